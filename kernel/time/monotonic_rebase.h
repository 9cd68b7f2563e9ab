// torpor's monotonic clock is Xen system time plus an offset; the resume path
// recomputes the offset after a migration. Pure arithmetic, host-tested.
//
// Xen system time counts from the hypervisor's boot (xen/xen.h, struct
// vcpu_time_info: "system time (ns) since boot"), so on another host it is
// unrelated: larger when that host has been up longer, smaller when it booted
// later. The offset is therefore a signed amount, kept modulo 2^64: adding it
// to the new host's system time gives exactly the monotonic time the guest
// must resume at, whichever host is older.
#pragma once
#include <stdint.h>

namespace torpor::clock {

// The offset that makes `xen_now` read as `monotonic_at_suspend + downtime`.
inline uint64_t rebased_offset(uint64_t monotonic_at_suspend, uint64_t downtime,
                               uint64_t xen_now) {
    return monotonic_at_suspend + downtime - xen_now;  // modulo 2^64: may be "negative"
}

inline uint64_t monotonic_at(uint64_t xen_system_time, uint64_t offset) {
    return xen_system_time + offset;  // modulo 2^64
}

// The Xen system time at which the monotonic clock reads `monotonic` (a timer
// deadline); a deadline before this host's time 0 is already due: 0.
inline uint64_t xen_system_time_for(uint64_t monotonic, uint64_t offset) {
    int64_t t = int64_t(monotonic - offset);
    return t < 0 ? 0 : uint64_t(t);
}

}  // namespace torpor::clock
