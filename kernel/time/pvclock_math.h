// Xen system time from a vcpu_time_info snapshot (xen/xen.h, struct vcpu_time_info):
//   system_time + ((((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32)
// with a negative shift meaning a right shift. Pure arithmetic, host-tested.
#pragma once
#include <stdint.h>

namespace torpor {

inline uint64_t scale_tsc_delta(uint64_t delta, uint32_t mul_frac, int8_t shift) {
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return uint64_t((unsigned __int128)delta * mul_frac >> 32);
}

struct PvclockSnapshot {
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
};

inline uint64_t system_time_at(const PvclockSnapshot& s, uint64_t tsc) {
    // A TSC read before the snapshot's timestamp (another pCPU's slightly
    // different TSC) must not wrap around to a huge delta.
    uint64_t delta = tsc > s.tsc_timestamp ? tsc - s.tsc_timestamp : 0;
    return s.system_time + scale_tsc_delta(delta, s.tsc_to_system_mul, s.tsc_shift);
}

}  // namespace torpor
