#include "kernel/sync/semaphore.h"

namespace torpor {

void Semaphore::signal() {
    __atomic_add_fetch(&count_, 1, __ATOMIC_RELEASE);
    waiters_.wake_one();
}

bool Semaphore::try_wait() {
    uint32_t seen = __atomic_load_n(&count_, __ATOMIC_RELAXED);
    while (seen != 0) {
        if (__atomic_compare_exchange_n(&count_, &seen, seen - 1, /*weak=*/false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return true;
    }
    return false;
}

Error Semaphore::wait(uint64_t deadline_ns) {
    for (;;) {
        if (try_wait()) return Error::none;
        Error e = waiters_.wait_if([this] { return count() == 0; }, deadline_ns);
        if (e == Error::timed_out) {
            // A signal that raced the deadline still counts.
            return try_wait() ? Error::none : Error::timed_out;
        }
        // Woken (or the count rose before we slept): try again. Another
        // thread may have taken the unit first; then we sleep again.
    }
}

}  // namespace torpor
