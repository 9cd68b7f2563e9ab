// A test-and-test-and-set spinlock. It does not mask events: code that can
// also run in an event upcall takes it under an event mask (see sched/).
#pragma once
#include <stdint.h>

#include "base/assert.h"

namespace torpor {

class Spinlock {
public:
    void lock() {
        while (__atomic_exchange_n(&locked_, 1, __ATOMIC_ACQUIRE)) {
            while (__atomic_load_n(&locked_, __ATOMIC_RELAXED)) __builtin_ia32_pause();
        }
    }
    bool try_lock() { return !__atomic_exchange_n(&locked_, 1, __ATOMIC_ACQUIRE); }
    void unlock() {
        VERIFY(is_locked());  // unlocking a free lock: someone else's section is now unguarded
        __atomic_store_n(&locked_, 0, __ATOMIC_RELEASE);
    }
    bool is_locked() const { return __atomic_load_n(&locked_, __ATOMIC_RELAXED); }

private:
    uint32_t locked_ = 0;
};

template <typename Lock>
class [[nodiscard]] LockGuard {
public:
    explicit LockGuard(Lock& lock) : lock_(lock) { lock_.lock(); }
    ~LockGuard() { lock_.unlock(); }
    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

private:
    Lock& lock_;
};

}  // namespace torpor
