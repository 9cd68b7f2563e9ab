#pragma once
#include "xen/abi.h"

namespace torpor {

// The boot sequence after CPU setup; never returns.
[[noreturn]] void kernel_start(start_info* si);

}  // namespace torpor
