#include "kernel/panic.h"

#include "kernel/log.h"
#include "xen/hypercalls.h"

namespace torpor {

void shutdown_domain(unsigned reason) {
    for (;;) {
        xen::shutdown(reason);
        // SHUTDOWN_poweroff/reboot/crash do not return; if Xen refuses, crash.
        xen::shutdown(SHUTDOWN_crash);
    }
}

void kpanic(const char* format, ...) {
    va_list args;
    va_start(args, format);
    log_write("torpor: PANIC: ", 15);
    vklog(format, args);
    va_end(args);
    shutdown_domain(SHUTDOWN_crash);
}

}  // namespace torpor
