#pragma once
#include <stdint.h>

#include "kernel/memory.h"
#include "xen/abi.h"

namespace torpor {

struct BootReport {
    start_info* si;
    memory::Summary memory;
    uint64_t entry_monotonic_ns;  // when kernel_start began
};

[[noreturn]] void kernel_main(const BootReport& boot);

}  // namespace torpor
