#include "xen/domain_shutdown.h"

#include "xen/hypercalls.h"

namespace xen {

void shutdown_domain(unsigned reason) {
    for (;;) {
        shutdown(reason);
        // SHUTDOWN_poweroff/reboot/crash do not return; if Xen refuses, crash.
        shutdown(SHUTDOWN_crash);
    }
}

void crash_domain() { shutdown_domain(SHUTDOWN_crash); }

}  // namespace xen
