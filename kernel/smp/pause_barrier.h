// The pause barrier's protocol, apart from Xen (host-tested with real threads).
//
// The pausing vCPU gives every other online vCPU an order inside a cross-call:
// wait at the barrier, or run a handler (suspend: save registers, go down).
// The handler travels in the order itself, never through a global the pausing
// side might change while a target is on its way in. In its IPI handler a
// target claims its order (posted -> arrived); if the pausing side gave up
// first it finds the order cancelled (posted -> cancelled) and returns at once.
// One compare-and-swap decides, so each vCPU is either in or out, never both.
//
// Timeouts never leave a half-paused guest: pause() releases every vCPU that
// arrived and cancels the others; divert() cancels the stragglers and tells
// the caller exactly which vCPUs entered the handler (the caller brings those
// back). An order is reused only once its cross-call has completed.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "kernel/smp/cross_call.h"

namespace torpor::smp {

// Runs in a diverted vCPU's IPI handler, events masked; returns only once the
// vCPU has been brought back.
using ParkHandler = void (*)(unsigned cpu);
using CpuMask = uint32_t;  // bit n: vCPU n

struct PausePlatform {
    unsigned (*this_cpu)();
    bool (*is_online)(unsigned cpu);
    // Queues the cross-call on `cpu` and interrupts it; an error means it was
    // not queued and never runs.
    Error (*post)(unsigned cpu, CrossCall* call);
    void (*kick)(unsigned cpu);        // wakes `cpu` out of wait_parked
    uint64_t (*now_ns)();              // monotonic
    void (*relax)();                   // the pausing vCPU between polls
    void (*wait_parked)(unsigned cpu); // a parked vCPU between checks: bounded, events stay masked
};

struct PauseResult {
    unsigned expected;  // other vCPUs online when the pause began
    unsigned parked;    // of them, parked at the barrier when pause returned
};

class PauseBarrier {
public:
    static constexpr unsigned kCapacity = 32;

    explicit constexpr PauseBarrier(const PausePlatform& platform) : platform_(platform) {}

    // One caller at a time (the caller serialises pause/resume and divert).
    // Parks every other online vCPU at the barrier. On failure (timed_out, or
    // an IPI that could not be sent) nothing stays parked: the vCPUs that
    // arrived are released, the others cancelled.
    ErrorOr<PauseResult> pause(uint64_t timeout_ns);
    // Releases the parked vCPUs and waits until each has left its handler.
    Error resume(uint64_t timeout_ns);
    // Sends every other online vCPU into `handler`. `entered` gets the vCPUs
    // that run it, on success (all of them) and on failure (the rest were
    // cancelled and carry on as if nothing happened): the caller brings them back.
    Error divert(ParkHandler handler, uint64_t timeout_ns, CpuMask* entered);

    bool is_parked(unsigned cpu) const;
    // vCPUs the last pause or divert gave up on (cancelled before they arrived).
    CpuMask cancelled() const { return cancelled_; }

private:
    enum Stage : uint32_t { idle, posted, cancelled_stage, arrived, parked, left };
    struct Order {
        CrossCall call;
        PauseBarrier* barrier = nullptr;
        ParkHandler handler = nullptr;  // null: wait at the barrier; fixed while posted
        unsigned cpu = 0;
        uint32_t stage = idle;          // atomic
        bool released = false;          // atomic
        bool in_flight = false;         // pausing side only: posted, completion not yet seen
    };

    static void park(void* order);
    void wait_at_barrier(Order& o);
    Error reclaim_orders(uint64_t deadline_ns);
    Error post_orders(ParkHandler handler);
    bool wait_until_all_reach(uint32_t stage, uint64_t deadline_ns);
    void cancel_stragglers();
    Error release_and_wait(uint64_t deadline_ns);
    uint32_t stage_of(unsigned cpu) const;

    const PausePlatform& platform_;
    Order orders_[kCapacity];
    CpuMask posted_ = 0;     // orders of the current pause
    CpuMask cancelled_ = 0;  // of them, cancelled
    unsigned expected_ = 0;
};

}  // namespace torpor::smp
