// "It is done": a one-shot signal that is safe across vCPUs, including when the
// waiter frees the object the moment it learns the news.
//
// The rule. A waker that stores a flag and then wakes a queue (`done = true;
// queue.wake_all();`) is still touching the queue when a waiter on another vCPU
// that saw the flag frees it: a use-after-free. A Completion closes that window:
//   * complete() sets the flag and makes every waiter runnable while holding
//     the Completion's own lock (events masked on its vCPU); it unlocks, then
//     kicks the waiters' vCPUs (their schedulers, not the object), and never
//     touches the object after the unlock;
//   * wait() takes that lock once more before it returns, so it cannot return
//     (and the waiter cannot free the object) until the completer has let go.
// Hence: once wait() has returned Error::none, or is_complete() has returned
// true, the waiter may free the Completion (and whatever holds it) at once.
// Every cross-vCPU "done, you may free it" signal uses one (cross-calls, thread
// exit/join); do not rebuild it from an atomic flag and a WaitQueue.
//
// After wait() returned timed_out the completer may still come: the object
// must stay alive until complete() has been called (or can no longer be).
// complete() may run in thread context or in an event handler, on any vCPU;
// wait() only in thread context. reset() re-arms it for reuse and needs the
// object idle: nobody waiting, complete() not running.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "kernel/sched/wait_queue.h"

namespace torpor {

class Completion {
public:
    void complete();
    // Blocks until complete() (Error::none) or until monotonic time reaches
    // deadline_ns (Error::timed_out; 0 = no deadline). Returns at once if
    // already complete.
    Error wait(uint64_t deadline_ns = 0);
    bool is_complete();
    void reset();

private:
    friend struct CompletionTestPeer;
    // complete(), calling before_unlock(kicks) while it still holds the lock
    // with the waiters runnable: the window in which no waiter may return
    // (host tests widen it through CompletionTestPeer).
    template <typename BeforeUnlock>
    void complete_and(BeforeUnlock before_unlock);

    sched::WaitQueue waiters_;  // its lock is the Completion's lock
    bool done_ = false;         // under waiters_.lock_
};

template <typename BeforeUnlock>
void Completion::complete_and(BeforeUnlock before_unlock) {
    sched::PendingKicks kicks;
    bool was_masked = waiters_.lock_masked();
    done_ = true;
    // Each waiter, once running, takes the lock before wait() returns: it
    // cannot free this object until the unlock below, our last access to it.
    waiters_.wake_all_locked(kicks);
    before_unlock(kicks);
    waiters_.lock_.unlock();
    // The kicks (a hypercall on Xen, where the hypervisor may switch to the
    // woken vCPU) come after the unlock, so a woken waiter does not spin on a
    // lock whose holder was preempted. Schedulers outlive every Completion.
    kicks.kick_all();
    sched::WaitQueue::restore_events(was_masked);
}

}  // namespace torpor
