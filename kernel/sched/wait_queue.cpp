#include "kernel/sched/wait_queue.h"

#include "kernel/sched/scheduler.h"

namespace torpor::sched {

void WaitQueue::append(Thread* t) {
    t->next = nullptr;
    if (tail_)
        tail_->next = t;
    else
        head_ = t;
    tail_ = t;
}

bool WaitQueue::unlink(Thread* t) {
    Thread* prev = nullptr;
    for (Thread* cur = head_; cur; prev = cur, cur = cur->next) {
        if (cur != t) continue;
        if (prev)
            prev->next = cur->next;
        else
            head_ = cur->next;
        if (tail_ == cur) tail_ = prev;
        cur->next = nullptr;
        return true;
    }
    return false;
}

bool WaitQueue::lock_masked() {
    bool was_masked = this_scheduler().hooks().mask_events();
    lock_.lock();
    return was_masked;
}

void WaitQueue::unlock_and_restore(bool was_masked) {
    lock_.unlock();
    restore_events(was_masked);
}

void WaitQueue::restore_events(bool was_masked) {
    this_scheduler().hooks().restore_events(was_masked);
}

Error WaitQueue::wait(uint64_t deadline_ns) {
    return wait_if([] { return true; }, deadline_ns);
}

Error WaitQueue::wait_locked(uint64_t deadline_ns) {
    Scheduler& s = this_scheduler();
    Thread* t = s.current();
    t->wake_reason = WakeReason::none;
    t->waiting_on = this;
    t->state = ThreadState::blocked;
    append(t);
    if (deadline_ns) s.hooks().arm_timer(&t->timeout, deadline_ns);
    lock_.unlock();
    s.schedule();
    if (deadline_ns) s.hooks().cancel_timer(&t->timeout);
    return t->wake_reason == WakeReason::timed_out ? Error::timed_out : Error::none;
}

void WaitQueue::wake_one() {
    EventsMasked masked(this_scheduler().hooks());
    lock_.lock();
    Thread* t = head_;
    if (t) {
        unlink(t);
        t->waiting_on = nullptr;
    }
    lock_.unlock();
    if (t) t->scheduler->wake(t, WakeReason::woken);
}

void WaitQueue::wake_all() {
    EventsMasked masked(this_scheduler().hooks());
    lock_.lock();
    Thread* list = head_;
    head_ = tail_ = nullptr;
    for (Thread* t = list; t; t = t->next) t->waiting_on = nullptr;
    lock_.unlock();
    while (list) {
        Thread* t = list;
        list = t->next;
        t->next = nullptr;
        t->scheduler->wake(t, WakeReason::woken);
    }
}

void WaitQueue::wake_all_locked(PendingKicks& kicks) {
    while (Thread* t = head_) {
        head_ = t->next;
        if (!head_) tail_ = nullptr;
        t->next = nullptr;
        t->waiting_on = nullptr;
        Scheduler* s = t->scheduler;
        if (s->wake_deferring_kick(t, WakeReason::woken)) kicks.add(s);
    }
}

void PendingKicks::add(Scheduler* target) {
    for (unsigned i = 0; i < count_; ++i)
        if (targets_[i] == target) return;
    if (count_ == kCapacity) {
        target->kick();
        return;
    }
    targets_[count_++] = target;
}

void PendingKicks::kick_all() {
    for (unsigned i = 0; i < count_; ++i) targets_[i]->kick();
    count_ = 0;
}

}  // namespace torpor::sched
