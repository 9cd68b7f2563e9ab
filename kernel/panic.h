// Fatal errors: log the reason and tell Xen the domain crashed.
#pragma once

namespace torpor {

[[noreturn, gnu::format(printf, 1, 2)]] void kpanic(const char* format, ...);
// Ends the domain with a SHUTDOWN_* reason (poweroff, reboot, crash).
[[noreturn]] void shutdown_domain(unsigned reason);

}  // namespace torpor
