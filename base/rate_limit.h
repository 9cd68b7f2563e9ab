// At most one action (typically a log line) per period of a monotonic clock;
// the ones held back are counted so the next allowed line can say how many.
// One caller at a time (no lock): e.g. a single reader thread.
#pragma once
#include <stdint.h>

namespace torpor {

class RateLimit {
public:
    explicit constexpr RateLimit(uint64_t period_ns) : period_ns_(period_ns) {}

    // True when the caller may act now; then `*held_back` (may be null) gets how
    // many calls were refused since the last allowed one.
    bool allow(uint64_t now_ns, uint64_t* held_back) {
        if (started_ && now_ns < next_ns_) {
            ++held_;
            return false;
        }
        started_ = true;
        next_ns_ = now_ns + period_ns_;
        if (held_back) *held_back = held_;
        held_ = 0;
        return true;
    }

private:
    uint64_t period_ns_;
    uint64_t next_ns_ = 0;
    uint64_t held_ = 0;
    bool started_ = false;
};

}  // namespace torpor
