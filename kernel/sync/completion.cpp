#include "kernel/sync/completion.h"

namespace torpor {

void Completion::complete() {
    complete_and([](sched::PendingKicks&) {});
}

Error Completion::wait(uint64_t deadline_ns) {
    bool was_masked = waiters_.lock_masked();
    Error e = Error::none;
    // Loops only on a wake that was neither complete() nor the deadline.
    while (!done_ && e != Error::timed_out) {
        e = waiters_.wait_locked(deadline_ns);  // returns with the lock released
        waiters_.lock_.lock();                  // the completer has let go once we hold it
    }
    bool done = done_;
    waiters_.unlock_and_restore(was_masked);
    return done ? Error::none : Error::timed_out;
}

bool Completion::is_complete() {
    bool was_masked = waiters_.lock_masked();
    bool done = done_;
    waiters_.unlock_and_restore(was_masked);
    return done;
}

void Completion::reset() {
    bool was_masked = waiters_.lock_masked();
    done_ = false;
    waiters_.unlock_and_restore(was_masked);
}

}  // namespace torpor
