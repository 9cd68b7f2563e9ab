// A queue of one-shot timers ordered by deadline (intrusive: a Timer lives in
// its owner). Pure logic, host-tested; kernel/time/timers.h drives it from the
// hypervisor's one-shot timer.
#pragma once
#include <stdint.h>

namespace torpor {

struct Timer {
    using Callback = void (*)(Timer*);
    uint64_t deadline_ns = 0;
    Callback callback = nullptr;
    void* context = nullptr;  // for the callback's use
    Timer* next = nullptr;
    bool armed = false;
};

class TimerQueue {
public:
    static constexpr uint64_t kNever = ~uint64_t(0);

    // Inserts (or moves) `timer` to fire at `deadline_ns`. Timers with equal
    // deadlines fire in the order they were added.
    void add(Timer* timer, uint64_t deadline_ns);
    // Returns whether the timer was armed.
    bool remove(Timer* timer);
    uint64_t earliest_deadline() const { return head_ ? head_->deadline_ns : kNever; }
    // Fires (removes, then calls back) every timer whose deadline is <= now, in
    // deadline order; a callback may re-add its timer. Returns the count fired.
    unsigned run_expired(uint64_t now_ns);
    bool is_empty() const { return head_ == nullptr; }

private:
    Timer* head_ = nullptr;
};

}  // namespace torpor
