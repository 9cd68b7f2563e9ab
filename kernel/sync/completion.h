// "It is done": a one-shot signal that is safe across vCPUs, including when the
// waiter frees the object the moment it learns the news.
//
// The rule. A waker that stores a flag and then wakes a queue (`done = true;
// queue.wake_all();`) is still touching the queue when a waiter on another vCPU
// that saw the flag frees it: a use-after-free. A Completion closes that window:
//   * complete() sets the flag and wakes every waiter while holding the
//     Completion's own lock (events masked on its vCPU), and after it returns
//     the completer never touches the object again;
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
    sched::WaitQueue waiters_;  // its lock is the Completion's lock
    bool done_ = false;         // under waiters_.lock_
};

}  // namespace torpor
