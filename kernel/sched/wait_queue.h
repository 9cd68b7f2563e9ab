// Threads waiting for something. Wakers may run in an event upcall or on
// another vCPU; the queue's lock is only ever taken with events masked.
//
// A WaitQueue living inside an object that its waiter frees is not enough on
// its own: a waker that sets a flag and then wakes the queue can still be
// touching the queue when the waiter, having seen the flag, frees it. Use a
// Completion (kernel/sync/completion.h) for "done, you may free it" signals.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "base/spinlock.h"

namespace torpor {
class Completion;
}

namespace torpor::sched {

struct Thread;
class Scheduler;

// The vCPUs a waker must kick once it has dropped its locks (deduplicated).
class PendingKicks {
public:
    void add(Scheduler* target);  // kicks at once if there is no room left
    void kick_all();

private:
    static constexpr unsigned kCapacity = 16;
    Scheduler* targets_[kCapacity] = {};
    unsigned count_ = 0;
};

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
    friend class torpor::Completion;
    // Masks events on this vCPU and takes lock_; returns the previous mask state.
    bool lock_masked();
    void unlock_and_restore(bool was_masked);
    static void restore_events(bool was_masked);
    // Called with lock_ held and events masked; returns with lock_ released
    // (events still masked).
    Error wait_locked(uint64_t deadline_ns);
    // Makes every waiter runnable; called with lock_ held, which it keeps.
    // The waiters' vCPUs are kicked later, by kicks.kick_all().
    void wake_all_locked(PendingKicks& kicks);
    void append(Thread* t);
    bool unlink(Thread* t);

    Spinlock lock_;
    Thread* head_ = nullptr;
    Thread* tail_ = nullptr;
};

template <typename Predicate>
Error WaitQueue::wait_if(Predicate still_needed, uint64_t deadline_ns) {
    bool was_masked = lock_masked();
    if (!still_needed()) {
        unlock_and_restore(was_masked);
        return Error::none;
    }
    Error e = wait_locked(deadline_ns);
    restore_events(was_masked);
    return e;
}

}  // namespace torpor::sched
