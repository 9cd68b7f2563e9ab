// A counting semaphore for threads, safe across vCPUs. signal() may run in
// thread context or in an event handler on any vCPU; wait() only in a thread.
// The count is one atomic word; a waiter sleeps on the queue only while the
// count is still 0 once the queue is locked (WaitQueue::wait_if), and signal()
// wakes a sleeper after raising the count, so no signal is lost.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "kernel/sched/wait_queue.h"

namespace torpor {

class Semaphore {
public:
    explicit Semaphore(uint32_t initial = 0) : count_(initial) {}
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;

    void signal();
    // Takes one unit, blocking until there is one (Error::none) or until
    // monotonic time reaches deadline_ns (Error::timed_out; 0 = no deadline).
    Error wait(uint64_t deadline_ns = 0);
    // Takes one unit if there is one, without blocking.
    bool try_wait();
    uint32_t count() const { return __atomic_load_n(&count_, __ATOMIC_ACQUIRE); }
    bool has_waiters() const { return waiters_.has_waiters(); }

private:
    uint32_t count_;
    sched::WaitQueue waiters_;
};

}  // namespace torpor
