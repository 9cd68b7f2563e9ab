// Clocks read from Xen's per-vCPU time info and the shared wall clock.
#pragma once
#include <stdint.h>

namespace torpor::clock {

// Xen system time in ns on this host (since this host's Xen booted).
uint64_t xen_system_time_ns();
// torpor's monotonic clock: Xen system time plus an offset that the resume
// path adjusts so that it never goes backwards across hosts.
uint64_t monotonic_ns();
// Converts between the two (deadlines handed to Xen are in system time).
uint64_t to_xen_system_time(uint64_t monotonic);
// Nanoseconds since the Unix epoch.
uint64_t wall_clock_ns();

// Suspend/resume. The monotonic clock never goes back and includes the time
// the domain was suspended, as measured by the wall clock (clamped at 0):
// after a migration the new host's Xen system time is unrelated, so the offset
// is recomputed. Returns the downtime (wall clock after minus before).
void note_suspend();
uint64_t resume(bool new_domain);

}  // namespace torpor::clock
