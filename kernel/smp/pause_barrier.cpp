#include "kernel/smp/pause_barrier.h"

namespace torpor::smp {

namespace {
CpuMask bit(unsigned cpu) { return CpuMask(1) << cpu; }
}  // namespace

uint32_t PauseBarrier::stage_of(unsigned cpu) const {
    return __atomic_load_n(&orders_[cpu].stage, __ATOMIC_ACQUIRE);
}

bool PauseBarrier::is_parked(unsigned cpu) const {
    return cpu < kCapacity && stage_of(cpu) == parked;
}

// In the target's IPI handler, events masked.
void PauseBarrier::park(void* arg) {
    Order& o = *static_cast<Order*>(arg);
    // The handler came with the order and stays put until this call completes.
    ParkHandler handler = o.handler;
    uint32_t expected = posted;
    if (!__atomic_compare_exchange_n(&o.stage, &expected, uint32_t(arrived), false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;  // cancelled: the pause gave up on us before we got here
    if (handler)
        handler(o.cpu);
    else
        o.barrier->wait_at_barrier(o);
}

void PauseBarrier::wait_at_barrier(Order& o) {
    __atomic_store_n(&o.stage, uint32_t(parked), __ATOMIC_RELEASE);
    while (!__atomic_load_n(&o.released, __ATOMIC_ACQUIRE)) platform_.wait_parked(o.cpu);
    __atomic_store_n(&o.stage, uint32_t(left), __ATOMIC_RELEASE);
}

// An order is reused only once the vCPU has finished the cross-call carrying
// it (a straggler cancelled last time may only now be running it).
Error PauseBarrier::reclaim_orders(uint64_t deadline_ns) {
    for (unsigned cpu = 0; cpu < kCapacity; ++cpu) {
        Order& o = orders_[cpu];
        if (!o.in_flight) continue;
        if (o.call.done.wait(deadline_ns) != Error::none) {
            cancelled_ = bit(cpu);
            return Error::timed_out;
        }
        o.in_flight = false;
    }
    return Error::none;
}

Error PauseBarrier::post_orders(ParkHandler handler) {
    unsigned self = platform_.this_cpu();
    for (unsigned cpu = 0; cpu < kCapacity; ++cpu) {
        if (cpu == self || !platform_.is_online(cpu)) continue;
        Order& o = orders_[cpu];
        o.barrier = this;
        o.handler = handler;
        o.cpu = cpu;
        o.call.fn = park;
        o.call.arg = &o;
        __atomic_store_n(&o.released, false, __ATOMIC_RELAXED);
        __atomic_store_n(&o.stage, uint32_t(posted), __ATOMIC_RELEASE);
        if (Error e = platform_.post(cpu, &o.call); e != Error::none) {
            __atomic_store_n(&o.stage, uint32_t(idle), __ATOMIC_RELEASE);
            return e;
        }
        o.in_flight = true;
        posted_ |= bit(cpu);
        ++expected_;
    }
    return Error::none;
}

bool PauseBarrier::wait_until_all_reach(uint32_t stage, uint64_t deadline_ns) {
    for (;;) {
        bool all = true;
        for (unsigned cpu = 0; cpu < kCapacity && all; ++cpu)
            if ((posted_ & bit(cpu)) && stage_of(cpu) < stage) all = false;
        if (all) return true;
        if (platform_.now_ns() > deadline_ns) return false;
        platform_.relax();
    }
}

void PauseBarrier::cancel_stragglers() {
    for (unsigned cpu = 0; cpu < kCapacity; ++cpu) {
        if (!(posted_ & bit(cpu))) continue;
        uint32_t expected = posted;
        if (__atomic_compare_exchange_n(&orders_[cpu].stage, &expected,
                                        uint32_t(cancelled_stage), false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            cancelled_ |= bit(cpu);
    }
}

// Lets every vCPU that arrived leave the barrier and waits for its cross-call
// to complete (a cancelled one completes whenever its vCPU gets to it).
Error PauseBarrier::release_and_wait(uint64_t deadline_ns) {
    CpuMask waiting = posted_ & ~cancelled_;
    for (unsigned cpu = 0; cpu < kCapacity; ++cpu) {
        if (!(waiting & bit(cpu))) continue;
        __atomic_store_n(&orders_[cpu].released, true, __ATOMIC_RELEASE);
        platform_.kick(cpu);
    }
    Error result = Error::none;
    for (unsigned cpu = 0; cpu < kCapacity; ++cpu) {
        if (!(waiting & bit(cpu))) continue;
        if (orders_[cpu].call.done.wait(deadline_ns) == Error::none)
            orders_[cpu].in_flight = false;
        else
            result = Error::timed_out;  // released: it leaves when it next runs
    }
    posted_ = 0;
    return result;
}

ErrorOr<PauseResult> PauseBarrier::pause(uint64_t timeout_ns) {
    uint64_t deadline = platform_.now_ns() + timeout_ns;
    posted_ = cancelled_ = 0;
    expected_ = 0;
    if (Error e = reclaim_orders(deadline); e != Error::none) return e;
    Error e = post_orders(nullptr);
    if (e == Error::none && wait_until_all_reach(parked, deadline)) {
        unsigned n = 0;
        for (unsigned cpu = 0; cpu < kCapacity; ++cpu) n += is_parked(cpu);
        return PauseResult{expected_, n};
    }
    if (e == Error::none) e = Error::timed_out;
    cancel_stragglers();
    (void)release_and_wait(platform_.now_ns() + timeout_ns);
    return e;
}

Error PauseBarrier::resume(uint64_t timeout_ns) {
    return release_and_wait(platform_.now_ns() + timeout_ns);
}

Error PauseBarrier::divert(ParkHandler handler, uint64_t timeout_ns, CpuMask* entered) {
    *entered = 0;
    if (!handler) return Error::invalid_argument;
    uint64_t deadline = platform_.now_ns() + timeout_ns;
    posted_ = cancelled_ = 0;
    expected_ = 0;
    if (Error e = reclaim_orders(deadline); e != Error::none) return e;
    Error e = post_orders(handler);
    if (e == Error::none && !wait_until_all_reach(arrived, deadline)) e = Error::timed_out;
    if (e != Error::none) cancel_stragglers();
    *entered = posted_ & ~cancelled_;
    // Their calls complete once they are back; reclaim_orders waits for that.
    posted_ = 0;
    return e;
}

}  // namespace torpor::smp
