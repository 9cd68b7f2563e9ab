#include "kernel/time/clock.h"

#include "arch/x86_64/cpu.h"
#include "kernel/time/monotonic_rebase.h"
#include "kernel/time/pvclock_math.h"
#include "arch/x86_64/cpu_base.h"
#include "xen/shared_info.h"

namespace torpor::clock {

namespace {

// Reads a consistent snapshot: Xen bumps `version` (odd while updating) around
// each update of vcpu_time_info (xen/xen.h).
uint64_t read_system_time(const volatile vcpu_time_info& t) {
    for (;;) {
        uint32_t version = t.version;
        arch::read_barrier();
        PvclockSnapshot s{t.tsc_timestamp, t.system_time, t.tsc_to_system_mul, t.tsc_shift};
        uint64_t now = system_time_at(s, arch::read_tsc());
        arch::read_barrier();
        if ((version & 1) == 0 && version == t.version) return now;
        arch::cpu_relax();
    }
}

}  // namespace

// Added to Xen system time (modulo 2^64: a "negative" offset after a migration
// to a host whose Xen has been up longer); changed only by the resume path.
uint64_t monotonic_offset_ns = 0;
// The largest value handed out, so that per-vCPU time infos that disagree by a
// few ns never make the clock step back.
uint64_t last_monotonic_ns = 0;

uint64_t xen_system_time_ns() {
    return read_system_time(xen::vcpu(arch::current_vcpu_id())->time);
}

uint64_t monotonic_ns() {
    uint64_t now = monotonic_at(xen_system_time_ns(), __atomic_load_n(&monotonic_offset_ns,
                                                                   __ATOMIC_RELAXED));
    uint64_t last = __atomic_load_n(&last_monotonic_ns, __ATOMIC_RELAXED);
    while (now > last) {
        if (__atomic_compare_exchange_n(&last_monotonic_ns, &last, now, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return now;
    }
    return last;
}

uint64_t to_xen_system_time(uint64_t monotonic) {
    return xen_system_time_for(monotonic, __atomic_load_n(&monotonic_offset_ns, __ATOMIC_RELAXED));
}

namespace {
uint64_t monotonic_at_suspend = 0;
uint64_t wall_at_suspend = 0;
}  // namespace

void note_suspend() {
    monotonic_at_suspend = monotonic_ns();
    wall_at_suspend = wall_clock_ns();
}

uint64_t resume(bool new_domain) {
    uint64_t wall_now = wall_clock_ns();
    uint64_t downtime = wall_now > wall_at_suspend ? wall_now - wall_at_suspend : 0;
    if (new_domain) {
        // Not clamped at 0: on a host whose Xen has been up longer than the
        // old one's the offset is negative, and a clamp would make the clock
        // jump forward by the difference.
        __atomic_store_n(&monotonic_offset_ns,
                         rebased_offset(monotonic_at_suspend, downtime, xen_system_time_ns()),
                         __ATOMIC_SEQ_CST);
    }
    return downtime;
}

uint64_t wall_clock_ns() {
    const volatile shared_info* s = xen::shared();
    for (;;) {
        uint32_t version = s->wc_version;
        arch::read_barrier();
        uint64_t sec = (uint64_t(s->wc_sec_hi) << 32) | s->wc_sec;
        uint64_t base = sec * 1000000000ull + s->wc_nsec;
        arch::read_barrier();
        if ((version & 1) == 0 && version == s->wc_version) return base + xen_system_time_ns();
        arch::cpu_relax();
    }
}

}  // namespace torpor::clock
