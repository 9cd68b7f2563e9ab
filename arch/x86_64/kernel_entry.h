// The boot sequence after CPU setup; never returns. Declared by the platform,
// defined by the composition root (main/boot.cpp): arch_start calls it without
// knowing any layer above the platform (a link-time inversion).
#pragma once
#include "xen/abi.h"

extern "C" [[noreturn]] void kernel_start(start_info* si);
