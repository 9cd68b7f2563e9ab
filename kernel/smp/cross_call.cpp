#include "kernel/smp/cross_call.h"

#include "kernel/sched/scheduler.h"

namespace torpor::smp {

void CrossCallQueue::push(CrossCall* call) {
    call->done.reset();
    call->next = nullptr;
    sched::EventsMasked masked(sched::this_scheduler().hooks());
    LockGuard guard(lock_);
    if (tail_)
        tail_->next = call;
    else
        head_ = call;
    tail_ = call;
}

bool CrossCallQueue::withdraw(CrossCall* call) {
    sched::EventsMasked masked(sched::this_scheduler().hooks());
    LockGuard guard(lock_);
    CrossCall* prev = nullptr;
    for (CrossCall* cur = head_; cur; prev = cur, cur = cur->next) {
        if (cur != call) continue;
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

CrossCall* CrossCallQueue::pop() {
    sched::EventsMasked masked(sched::this_scheduler().hooks());
    LockGuard guard(lock_);
    CrossCall* call = head_;
    if (call) {
        head_ = call->next;
        if (!head_) tail_ = nullptr;
        call->next = nullptr;
    }
    return call;
}

unsigned CrossCallQueue::run_all() {
    unsigned ran = 0;
    while (CrossCall* call = pop()) {
        call->fn(call->arg);
        call->done.complete();  // the caller may free `call` from here on
        ++ran;
    }
    return ran;
}

}  // namespace torpor::smp
