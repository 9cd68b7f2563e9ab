// The kernel's part of a panic (base/panic.h): the running thread's name,
// stopping every other vCPU, and a backtrace that follows frame pointers only
// inside a stack the kernel knows.
#pragma once

namespace torpor {

// Registers them; the boot sequence does, once vCPU 0's per-CPU data is in place.
void install_kernel_panic_hooks();

}  // namespace torpor
