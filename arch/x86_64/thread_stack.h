// Initial stack frames for new threads, matching context_switch.S.
#pragma once
#include <stddef.h>
#include <stdint.h>

extern "C" void arch_switch_stack(uintptr_t* save_sp, uintptr_t new_sp);

namespace arch {

// Builds the frame that makes the first switch to a thread enter
// arch_thread_entry(context); returns the stack pointer to switch to.
uintptr_t build_initial_frame(void* stack, size_t size, void* context);

}  // namespace arch
