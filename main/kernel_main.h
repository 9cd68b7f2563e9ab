#pragma once
#include <stdint.h>

#include "kernel/memory.h"
#include "xen/abi.h"

namespace torpor {

struct BootReport {
    start_info* si;
    memory::Summary memory;
    uint64_t entry_monotonic_ns;   // when kernel_start began
    uint64_t memory_ready_ns;      // direct map, allocator and heap up
    uint64_t devices_ready_ns;     // events, timers, console and xenstore connected
};

[[noreturn]] void kernel_main(const BootReport& boot);

}  // namespace torpor
