// Initial stack frames for new threads, matching context_switch.S.
#pragma once
#include <stddef.h>
#include <stdint.h>

// Saves the current stack pointer in *save_sp and continues on new_sp, whose
// stack starts at new_stack_bottom (0: unknown; see stack_check.h).
extern "C" void arch_switch_stack(uintptr_t* save_sp, uintptr_t new_sp,
                                  uintptr_t new_stack_bottom);

namespace arch {

// Builds the frame that makes the first switch to a thread enter
// arch_thread_entry(context); returns the stack pointer to switch to.
uintptr_t build_initial_frame(void* stack, size_t size, void* context);

}  // namespace arch
