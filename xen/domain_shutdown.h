// Ending the domain (SCHEDOP_shutdown, xen/sched.h).
#pragma once

namespace xen {

// Ends the domain with a SHUTDOWN_* reason (poweroff, reboot, crash).
[[noreturn]] void shutdown_domain(unsigned reason);
// shutdown_domain(SHUTDOWN_crash): the crash action kpanic runs.
[[noreturn]] void crash_domain();

}  // namespace xen
