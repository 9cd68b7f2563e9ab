#include "kernel/time/timers.h"

#include "base/log.h"
#include "kernel/cpu_local.h"
#include "kernel/events/event_channels.h"
#include "kernel/time/clock.h"
#include "xen/event_mask.h"
#include "xen/hypercalls.h"

namespace torpor::timers {

namespace {

// Programs Xen's single-shot timer (xen/vcpu.h, VCPUOP_set_singleshot_timer,
// absolute Xen system time) for the queue's earliest deadline. Events masked.
void program(CpuLocal& c) {
    uint64_t deadline = c.timers.earliest_deadline();
    if (deadline == c.programmed_deadline_ns) return;
    c.programmed_deadline_ns = deadline;
    unsigned vcpu = c.base.vcpu_id;
    if (deadline == TimerQueue::kNever) {
        (void)xen::vcpu_op(VCPUOP_stop_singleshot_timer, vcpu, nullptr);
        return;
    }
    vcpu_set_singleshot_timer_t t{clock::to_xen_system_time(deadline), 0};
    if (long rc = xen::vcpu_op(VCPUOP_set_singleshot_timer, vcpu, &t))
        klog("timers: set_singleshot_timer failed: %ld", rc);
}

void on_timer_virq(uint32_t, void*) {
    CpuLocal& c = this_cpu();
    ++c.timer_interrupts;
    c.programmed_deadline_ns = 0;  // the one-shot has been used up
    c.timers.run_expired(clock::monotonic_ns());
    program(c);
}

}  // namespace

Error init_this_cpu() {
    CpuLocal& c = this_cpu();
    unsigned vcpu = c.base.vcpu_id;
    (void)xen::vcpu_op(VCPUOP_stop_periodic_timer, vcpu, nullptr);
    c.programmed_deadline_ns = 0;
    auto h = events::bind_virq(VIRQ_TIMER, vcpu, on_timer_virq, nullptr);
    return h.is_error() ? h.error() : Error::none;
}

void arm(Timer* timer, uint64_t deadline_ns) {
    xen::EventMaskGuard masked;
    CpuLocal& c = this_cpu();
    c.timers.add(timer, deadline_ns);
    program(c);
}

void cancel(Timer* timer) {
    xen::EventMaskGuard masked;
    CpuLocal& c = this_cpu();
    if (c.timers.remove(timer)) program(c);
}

void reprogram_this_cpu() {
    xen::EventMaskGuard masked;
    CpuLocal& c = this_cpu();
    c.programmed_deadline_ns = 0;
    program(c);
}

void suspend_this_cpu() {
    xen::EventMaskGuard masked;
    CpuLocal& c = this_cpu();
    (void)xen::vcpu_op(VCPUOP_stop_singleshot_timer, c.base.vcpu_id, nullptr);
    c.programmed_deadline_ns = TimerQueue::kNever;
}

Error resume_this_cpu(bool new_domain) {
    if (new_domain) {
        if (Error e = init_this_cpu(); e != Error::none) return e;
    }
    reprogram_this_cpu();
    return Error::none;
}

}  // namespace torpor::timers
