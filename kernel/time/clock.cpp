#include "kernel/time/clock.h"

#include "arch/x86_64/cpu.h"
#include "kernel/time/pvclock_math.h"
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

uint64_t xen_system_time_ns() { return read_system_time(xen::vcpu(0)->time); }

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
