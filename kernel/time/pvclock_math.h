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
    // The difference is taken modulo 2^64: with an emulated TSC Xen can stamp a
    // "negative" tsc_timestamp (the guest's TSC starts near 0 at creation, so
    // the first snapshot lies before it), and the delta is still small. Only a
    // TSC genuinely behind the snapshot (another pCPU's slightly different
    // TSC) counts as no time at all.
    int64_t delta = int64_t(tsc - s.tsc_timestamp);
    if (delta < 0) delta = 0;
    return s.system_time + scale_tsc_delta(uint64_t(delta), s.tsc_to_system_mul, s.tsc_shift);
}

}  // namespace torpor
