// The platform's part of a panic (base/panic.h): which vCPU is running, masking
// its events, parking it for good, and crashing the domain.
#pragma once

namespace arch {

// Registers them; arch_start does, first thing.
void install_panic_platform();

}  // namespace arch
