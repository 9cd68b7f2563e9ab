// First C++ code: the platform's log sink and panic hooks for the layers
// above, CPU-level setup, then the boot sequence of the composition root.
#include "arch/x86_64/kernel_entry.h"
#include "arch/x86_64/panic_platform.h"
#include "arch/x86_64/traps.h"
#include "base/log.h"
#include "base/panic.h"
#include "xen/early_console.h"

extern "C" [[noreturn]] void arch_start(start_info* si) {
    torpor::set_early_log_sink(xen::early_console_write);
    arch::install_panic_platform();  // which vCPU, park, crash (base/panic.h)
    long rc = arch::install_traps();
    if (rc) torpor::kpanic("cannot register the trap table and callbacks: %ld", rc);
    kernel_start(si);
}
