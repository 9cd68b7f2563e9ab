#pragma once
#include "kernel/memory.h"
#include "xen/abi.h"

namespace torpor {

struct BootReport {
    const start_info* si;
    memory::Summary memory;
};

[[noreturn]] void kernel_main(const BootReport& boot);

}  // namespace torpor
