#include "kernel/time/monotonic_rebase.h"

#include <gtest/gtest.h>

using torpor::clock::monotonic_at;
using torpor::clock::rebased_offset;
using torpor::clock::xen_system_time_for;

namespace {
constexpr uint64_t kSecond = 1'000'000'000ull;
}

TEST(MonotonicRebase, ToAHostThatBootedLaterTheClockGoesOnByTheDowntime) {
    // Suspended at monotonic 100 s on A; B's Xen has been up 70 s; 2 s away.
    uint64_t offset = rebased_offset(100 * kSecond, 2 * kSecond, 70 * kSecond);
    EXPECT_EQ(monotonic_at(70 * kSecond, offset), 102 * kSecond);
    EXPECT_EQ(monotonic_at(71 * kSecond, offset), 103 * kSecond);
}

TEST(MonotonicRebase, ToAHostThatHasBeenUpLongerTheClockDoesNotJumpForward) {
    // The guest booted on the younger host (monotonic 40 s) and moves to one
    // whose Xen has been up 70 s: the offset is negative. Clamping it at 0
    // (the old code) made the clock read 70 s: a 28 s jump forward.
    uint64_t offset = rebased_offset(40 * kSecond, 2 * kSecond, 70 * kSecond);
    EXPECT_EQ(monotonic_at(70 * kSecond, offset), 42 * kSecond);
    EXPECT_EQ(monotonic_at(75 * kSecond, offset), 47 * kSecond);
}

TEST(MonotonicRebase, DeadlinesMapToTheNewHostsSystemTime) {
    uint64_t later = rebased_offset(100 * kSecond, 0, 70 * kSecond);   // +30 s
    uint64_t earlier = rebased_offset(40 * kSecond, 0, 70 * kSecond);  // -30 s
    // A timer armed before the hop for monotonic 101 s fires 1 s after resuming.
    EXPECT_EQ(xen_system_time_for(101 * kSecond, later), 71 * kSecond);
    EXPECT_EQ(xen_system_time_for(41 * kSecond, earlier), 71 * kSecond);
    // A deadline that lies before the new host's time 0 is due at once.
    EXPECT_EQ(xen_system_time_for(10 * kSecond, later), 0u);
    // Before any migration the offset is 0 and the two clocks are one.
    EXPECT_EQ(xen_system_time_for(5 * kSecond, 0), 5 * kSecond);
}

TEST(MonotonicRebase, ARoundTripAddsUpTheDowntimes) {
    // A (up 100 s) -> B (up 70 s) -> A, 3 s and 4 s away, 10 s on B.
    uint64_t to_b = rebased_offset(100 * kSecond, 3 * kSecond, 70 * kSecond);
    uint64_t on_b = monotonic_at(80 * kSecond, to_b);  // 10 s later on B
    EXPECT_EQ(on_b, 113 * kSecond);
    uint64_t to_a = rebased_offset(on_b, 4 * kSecond, 117 * kSecond);
    EXPECT_EQ(monotonic_at(117 * kSecond, to_a), 117 * kSecond);
}
