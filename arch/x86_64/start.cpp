// First C++ code: CPU-level setup, then the architecture-neutral boot.
#include "arch/x86_64/traps.h"
#include "kernel/boot.h"
#include "kernel/panic.h"

extern "C" [[noreturn]] void arch_start(start_info* si) {
    long rc = arch::install_traps();
    if (rc) torpor::kpanic("cannot register the trap table and callbacks: %ld", rc);
    torpor::kernel_start(si);
}
