// Stacks for threads and vCPUs, each with an unmapped guard page below it
// (arch/x86_64/stack_check.h explains what an overflow then does).
// Taken from the frame allocator, not the C heap: whole frames, and a frame
// whose mapping is gone never sits inside a malloc chunk.
#pragma once
#include <stddef.h>

#include "base/error.h"

namespace torpor::memory {

// A stack of `size` bytes (rounded up to whole pages); returns its lowest
// usable address. The page below it is unmapped.
ErrorOr<void*> allocate_guarded_stack(size_t size);
// Maps the guard page back and returns every frame to the allocator.
void free_guarded_stack(void* bottom, size_t size);
// VERIFYs that the guard page below the stack starting at `bottom` is still
// unmapped (after a resume: neither the balloon nor the toolstack may have
// mapped it back).
void verify_guard_page(const void* bottom);

}  // namespace torpor::memory
