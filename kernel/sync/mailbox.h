// A bounded first-in first-out queue of pointers between threads, safe across
// vCPUs (lwIP's sys_mbox; kernel/net/lwip_port). Posting blocks while it is
// full, fetching while it is empty, each with an optional deadline; the try_
// forms never block and may also run in an event handler. A null pointer is a
// valid message.
//
// The ring is guarded by a spinlock taken with events masked; a thread that
// must wait sleeps on `not_full_` or `not_empty_` only while the condition
// still holds once that queue is locked (WaitQueue::wait_if), and each side
// wakes the other after changing the count, so no wakeup is lost.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/spinlock.h"
#include "kernel/sched/wait_queue.h"

namespace torpor {

class Mailbox {
public:
    // Error::invalid_argument for a capacity of 0, out_of_memory if the ring
    // cannot be allocated.
    static ErrorOr<Mailbox*> create(size_t capacity);
    // Needs nobody waiting on it (VERIFY). Messages still queued are dropped.
    ~Mailbox();
    Mailbox(const Mailbox&) = delete;
    Mailbox& operator=(const Mailbox&) = delete;

    // Blocks while full until there is room (Error::none) or monotonic time
    // reaches deadline_ns (Error::timed_out; 0 = no deadline).
    Error post(void* message, uint64_t deadline_ns = 0);
    // Error::busy when full.
    Error try_post(void* message);
    // Blocks while empty until a message arrives (Error::none, *message set)
    // or monotonic time reaches deadline_ns (Error::timed_out).
    Error fetch(void** message, uint64_t deadline_ns = 0);
    // False when empty.
    bool try_fetch(void** message);

    size_t capacity() const { return capacity_; }
    size_t count() const { return __atomic_load_n(&count_, __ATOMIC_ACQUIRE); }
    bool has_waiters() const { return not_full_.has_waiters() || not_empty_.has_waiters(); }

private:
    Mailbox(void** slots, size_t capacity) : slots_(slots), capacity_(capacity) {}

    void** slots_;
    size_t capacity_;
    size_t head_ = 0;   // next to fetch, under lock_
    size_t count_ = 0;  // written under lock_, read atomically by wait predicates
    Spinlock lock_;     // taken with events masked
    sched::WaitQueue not_full_;
    sched::WaitQueue not_empty_;
};

}  // namespace torpor
