// Several "vCPUs" on the host for tests that need real parallelism: each is an
// OS thread running its own sched::Scheduler (threads switch with ucontext),
// with its own timers on the real monotonic clock, an idle that sleeps until
// kicked or the next timer, and "upcalls" (the host's IPIs) that run in its
// idle context with events masked. Faults can be injected: a slow kick (the
// waker lingers after waking a thread) and a frozen vCPU (takes no upcalls).
#pragma once
#include <stdint.h>

#include <functional>
#include <memory>
#include <vector>

#include "kernel/sched/scheduler.h"
#include "kernel/smp/cross_call.h"

namespace torpor::test {

// What this_scheduler() returns on the calling OS thread (the single-vCPU
// scheduler tests set theirs; HostVcpus sets each of its vCPUs').
void set_this_scheduler(sched::Scheduler* scheduler);

uint64_t host_now_ns();  // the monotonic clock the host vCPUs' timers use

class HostVcpus {
public:
    explicit HostVcpus(unsigned count);
    ~HostVcpus();  // stops every vCPU (unfreezing them first)
    HostVcpus(const HostVcpus&) = delete;
    HostVcpus& operator=(const HostVcpus&) = delete;

    unsigned count() const { return unsigned(vcpus_.size()); }
    sched::Scheduler& scheduler(unsigned cpu);
    // The vCPU the caller runs on (from a host vCPU's threads or upcalls only).
    static unsigned this_cpu();
    static HostVcpus* current();

    // Runs `body` as a thread on `cpu`, then waits (from the test's own thread)
    // until it has returned and been joined. False if it took over `timeout_ms`.
    bool run_on(unsigned cpu, std::function<void()> body, unsigned timeout_ms = 20'000);
    // Runs `fn` in `cpu`'s upcall context (events masked) when it next idles.
    void post(unsigned cpu, std::function<void()> fn);
    // A cross-call through the real queue, delivered as an upcall.
    void post_call(unsigned cpu, smp::CrossCall* call);
    void kick(unsigned cpu);
    // For a vCPU parked in an upcall: waits until kicked or `slice_ns` passed.
    void wait_for_kick(unsigned cpu, uint64_t slice_ns);

    // Every kick of `cpu` sleeps this long after waking it (0: off).
    void set_kick_delay_us(unsigned cpu, unsigned us);
    // A frozen vCPU runs no upcalls until thawed (a vCPU Xen does not run).
    void freeze(unsigned cpu, bool frozen);
    // Each upcall delivery to `cpu` first sleeps up to this long, at random.
    void set_upcall_jitter_us(unsigned cpu, unsigned us);

    struct Vcpu;

private:
    std::vector<std::unique_ptr<Vcpu>> vcpus_;
};

}  // namespace torpor::test
