#include "kernel/sync/mailbox.h"

#include <new>

#include "base/assert.h"
#include "kernel/sched/scheduler.h"

namespace torpor {

ErrorOr<Mailbox*> Mailbox::create(size_t capacity) {
    if (capacity == 0) return Error::invalid_argument;
    void** slots = new (std::nothrow) void*[capacity];
    if (!slots) return Error::out_of_memory;
    Mailbox* box = new (std::nothrow) Mailbox(slots, capacity);
    if (!box) {
        delete[] slots;
        return Error::out_of_memory;
    }
    return box;
}

Mailbox::~Mailbox() {
    VERIFY(!has_waiters());  // a thread asleep on a freed mailbox would never wake
    delete[] slots_;
}

Error Mailbox::try_post(void* message) {
    {
        sched::EventsMasked masked(sched::this_scheduler().hooks());
        LockGuard guard(lock_);
        if (count_ == capacity_) return Error::busy;
        slots_[(head_ + count_) % capacity_] = message;
        __atomic_store_n(&count_, count_ + 1, __ATOMIC_RELEASE);
    }
    not_empty_.wake_one();
    return Error::none;
}

bool Mailbox::try_fetch(void** message) {
    {
        sched::EventsMasked masked(sched::this_scheduler().hooks());
        LockGuard guard(lock_);
        if (count_ == 0) return false;
        void* m = slots_[head_];
        head_ = (head_ + 1) % capacity_;
        __atomic_store_n(&count_, count_ - 1, __ATOMIC_RELEASE);
        if (message) *message = m;
    }
    not_full_.wake_one();
    return true;
}

Error Mailbox::post(void* message, uint64_t deadline_ns) {
    for (;;) {
        if (try_post(message) == Error::none) return Error::none;
        Error e = not_full_.wait_if([this] { return count() == capacity_; }, deadline_ns);
        if (e == Error::timed_out) return try_post(message) == Error::none ? Error::none : e;
    }
}

Error Mailbox::fetch(void** message, uint64_t deadline_ns) {
    for (;;) {
        if (try_fetch(message)) return Error::none;
        Error e = not_empty_.wait_if([this] { return count() == 0; }, deadline_ns);
        if (e == Error::timed_out) return try_fetch(message) ? Error::none : e;
    }
}

}  // namespace torpor
