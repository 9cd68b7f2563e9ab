#include "kernel/smp/pause.h"

#include "arch/x86_64/cpu_base.h"
#include "kernel/cpu_local.h"
#include "base/log.h"
#include "kernel/smp/smp.h"
#include "kernel/sync/mutex.h"
#include "kernel/time/clock.h"
#include "xen/hypercalls.h"

namespace torpor::smp {

namespace {

static_assert(kMaxCpus <= PauseBarrier::kCapacity);
constexpr uint64_t kPollSliceNs = 5'000'000ull;

unsigned this_vcpu() { return arch::current_vcpu_id(); }
uint64_t now_ns() { return clock::monotonic_ns(); }
void relax() { (void)xen::yield(); }

// Blocks on our own IPI port (events stay masked): the release kicks it; the
// slice bounds a lost notification.
void wait_parked(unsigned cpu) {
    evtchn_port_t ports[1] = {cpu_local(cpu).ipi.port};
    (void)xen::poll_ports(ports, 1, clock::xen_system_time_ns() + kPollSliceNs);
}

constexpr PausePlatform xen_platform = {this_vcpu, is_online, post_call, kick,
                                        now_ns,    relax,     wait_parked};
constinit PauseBarrier barrier(xen_platform);
Mutex pause_lock;
bool pausing = false;

void log_cancelled(const char* what, Error e) {
    CpuMask late = barrier.cancelled();
    for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu)
        if (late & (CpuMask(1) << cpu))
            klog("%s: vcpu %u did not arrive (%s); cancelled, it carries on", what, cpu,
                 error_name(e));
    if (!late) klog("%s: failed: %s", what, error_name(e));
}

}  // namespace

bool is_parked(unsigned cpu) { return barrier.is_parked(cpu); }

ErrorOr<PauseResult> pause_cpus(uint64_t timeout_ns) {
    pause_lock.lock();
    auto r = barrier.pause(timeout_ns);
    if (r.is_error()) {
        log_cancelled("pause", r.error());
        pause_lock.unlock();
        return r;
    }
    pausing = true;
    return r;
}

Error resume_cpus(uint64_t timeout_ns) {
    if (!pausing) return Error::invalid_argument;
    Error e = barrier.resume(timeout_ns);
    if (e != Error::none) klog("pause: a released vcpu has not left yet (%s)", error_name(e));
    pausing = false;
    pause_lock.unlock();
    return e;
}

Error divert_cpus(ParkHandler handler, uint64_t timeout_ns, CpuMask* entered) {
    pause_lock.lock();
    Error e = barrier.divert(handler, timeout_ns, entered);
    if (e != Error::none) log_cancelled("divert", e);
    return e;
}

void end_divert() { pause_lock.unlock(); }

}  // namespace torpor::smp
