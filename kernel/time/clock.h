// Clocks read from Xen's per-vCPU time info and the shared wall clock.
#pragma once
#include <stdint.h>

namespace torpor::clock {

// Xen system time in ns (monotonic on one host, starts near 0 at domain boot).
uint64_t xen_system_time_ns();
// Nanoseconds since the Unix epoch.
uint64_t wall_clock_ns();

}  // namespace torpor::clock
