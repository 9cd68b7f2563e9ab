// A sleeping mutex for threads (never from an event handler).
#pragma once
#include "kernel/sched/wait_queue.h"

namespace torpor {

class Mutex {
public:
    void lock() {
        while (__atomic_exchange_n(&locked_, true, __ATOMIC_ACQUIRE))
            (void)waiters_.wait_if([this] { return __atomic_load_n(&locked_, __ATOMIC_RELAXED); });
    }
    void unlock() {
        __atomic_store_n(&locked_, false, __ATOMIC_RELEASE);
        waiters_.wake_one();
    }

private:
    bool locked_ = false;
    sched::WaitQueue waiters_;
};

}  // namespace torpor
