#include "kernel/smp/pause.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_base.h"
#include "kernel/cpu_local.h"
#include "kernel/smp/smp.h"
#include "kernel/sync/mutex.h"
#include "kernel/time/clock.h"
#include "xen/hypercalls.h"

namespace torpor::smp {

namespace {

Mutex pause_lock;
ParkHandler park_handler = nullptr;
CrossCall park_calls[kMaxCpus];
bool parked[kMaxCpus];
unsigned arrived = 0;
unsigned departed = 0;
bool released = true;
bool pausing = false;
constexpr uint64_t kPollSliceNs = 5'000'000ull;

void park(void*) {
    unsigned cpu = arch::current_vcpu_id();
    __atomic_fetch_add(&arrived, 1, __ATOMIC_ACQ_REL);
    if (park_handler)
        park_handler(cpu);
    else
        wait_at_barrier(cpu);
}

// Waits until `counter` reaches `target`, letting other vCPUs run meanwhile.
bool wait_for_count(const unsigned& counter, unsigned target, uint64_t timeout_ns) {
    uint64_t deadline = clock::monotonic_ns() + timeout_ns;
    while (__atomic_load_n(&counter, __ATOMIC_ACQUIRE) < target) {
        if (clock::monotonic_ns() > deadline) return false;
        xen::yield();
    }
    return true;
}

}  // namespace

void set_park_handler(ParkHandler handler) { park_handler = handler; }

void wait_at_barrier(unsigned cpu) {
    __atomic_store_n(&parked[cpu], true, __ATOMIC_RELEASE);
    // Block on our own IPI port (events stay masked): resume_cpus notifies it;
    // the slice bounds a lost notification.
    evtchn_port_t port = cpu_local(cpu).ipi.port;
    while (!__atomic_load_n(&released, __ATOMIC_ACQUIRE)) {
        evtchn_port_t ports[1] = {port};
        (void)xen::poll_ports(ports, 1, clock::xen_system_time_ns() + kPollSliceNs);
    }
    __atomic_store_n(&parked[cpu], false, __ATOMIC_RELEASE);
    __atomic_fetch_add(&departed, 1, __ATOMIC_ACQ_REL);
}

bool is_parked(unsigned cpu) {
    return cpu < kMaxCpus && __atomic_load_n(&parked[cpu], __ATOMIC_ACQUIRE);
}

ErrorOr<PauseResult> pause_cpus(uint64_t timeout_ns) {
    pause_lock.lock();
    unsigned self = arch::current_vcpu_id();
    __atomic_store_n(&arrived, 0u, __ATOMIC_RELAXED);
    __atomic_store_n(&departed, 0u, __ATOMIC_RELAXED);
    __atomic_store_n(&released, false, __ATOMIC_RELEASE);
    pausing = true;
    unsigned expected = 0;
    for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
        if (cpu == self || !is_online(cpu)) continue;
        park_calls[cpu] = CrossCall{};
        park_calls[cpu].fn = park;
        if (post_call(cpu, &park_calls[cpu]) == Error::none) ++expected;
    }
    if (!wait_for_count(arrived, expected, timeout_ns)) {
        (void)resume_cpus(timeout_ns);
        return Error::timed_out;
    }
    // "arrived" is counted on entry; wait until each has also reached the barrier.
    unsigned count = 0;
    uint64_t deadline = clock::monotonic_ns() + timeout_ns;
    for (;;) {
        count = 0;
        for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu)
            if (cpu != self && is_online(cpu) && is_parked(cpu)) ++count;
        if (count >= expected || park_handler || clock::monotonic_ns() > deadline) break;
        xen::yield();
    }
    return PauseResult{expected, count};
}

Error resume_cpus(uint64_t timeout_ns) {
    if (!pausing) return Error::invalid_argument;
    unsigned expected = __atomic_load_n(&arrived, __ATOMIC_ACQUIRE);
    __atomic_store_n(&released, true, __ATOMIC_RELEASE);
    for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu)
        if (is_parked(cpu)) kick(cpu);
    bool all_left = wait_for_count(departed, expected, timeout_ns);
    pausing = false;
    pause_lock.unlock();
    return all_left ? Error::none : Error::timed_out;
}

void end_pause_without_barrier() {
    __atomic_store_n(&released, true, __ATOMIC_RELEASE);
    pausing = false;
    pause_lock.unlock();
}

}  // namespace torpor::smp
