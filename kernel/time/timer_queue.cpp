#include "kernel/time/timer_queue.h"

namespace torpor {

void TimerQueue::add(Timer* timer, uint64_t deadline_ns) {
    if (timer->armed) remove(timer);
    timer->deadline_ns = deadline_ns;
    Timer** link = &head_;
    while (*link && (*link)->deadline_ns <= deadline_ns) link = &(*link)->next;
    timer->next = *link;
    *link = timer;
    timer->armed = true;
}

bool TimerQueue::remove(Timer* timer) {
    if (!timer->armed) return false;
    for (Timer** link = &head_; *link; link = &(*link)->next) {
        if (*link == timer) {
            *link = timer->next;
            timer->next = nullptr;
            timer->armed = false;
            return true;
        }
    }
    timer->armed = false;  // not found: keep the flag honest
    return false;
}

unsigned TimerQueue::run_expired(uint64_t now_ns) {
    unsigned fired = 0;
    while (head_ && head_->deadline_ns <= now_ns) {
        Timer* t = head_;
        head_ = t->next;
        t->next = nullptr;
        t->armed = false;
        ++fired;
        if (t->callback) t->callback(t);
    }
    return fired;
}

}  // namespace torpor
