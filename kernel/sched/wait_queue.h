// Threads waiting for something. Wakers may run in an event upcall or on
// another vCPU; the queue's lock is only ever taken with events masked.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "base/spinlock.h"

namespace torpor::sched {

struct Thread;

class WaitQueue {
public:
    // Blocks the current thread until woken (Error::none) or until monotonic
    // time reaches `deadline_ns` (Error::timed_out); 0 means no deadline.
    Error wait(uint64_t deadline_ns = 0);
    // As wait(), but only if `still_needed()` holds once the queue is locked, so
    // a wake between checking a condition and sleeping is not lost.
    template <typename Predicate>
    Error wait_if(Predicate still_needed, uint64_t deadline_ns = 0);

    void wake_one();
    void wake_all();
    bool has_waiters() const { return head_ != nullptr; }

private:
    friend class Scheduler;
    Error wait_locked(uint64_t deadline_ns);  // called with lock_ held and events masked
    void append(Thread* t);
    bool unlink(Thread* t);

    Spinlock lock_;
    Thread* head_ = nullptr;
    Thread* tail_ = nullptr;
};

}  // namespace torpor::sched

// WaitQueue::wait_if is defined with the scheduler it needs.
#include "kernel/sched/scheduler.h"
