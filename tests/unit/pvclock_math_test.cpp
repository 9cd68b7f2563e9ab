#include "kernel/time/pvclock_math.h"

#include <gtest/gtest.h>

using torpor::PvclockSnapshot;
using torpor::scale_tsc_delta;
using torpor::system_time_at;

TEST(PvclockMath, ScalesWithMultiplierAndShift) {
    // mul = 2^31 is a factor of 0.5; shift +1 doubles first: net factor 1.
    EXPECT_EQ(scale_tsc_delta(1000, 0x80000000u, 1), 1000u);
    // shift -2 quarters first: 1000 -> 250 -> 125.
    EXPECT_EQ(scale_tsc_delta(1000, 0x80000000u, -2), 125u);
}

TEST(PvclockMath, MatchesA3GHzTsc) {
    // A 3 GHz TSC: ns = ticks / 3. Xen would pick shift -1, mul = 2/3 * 2^32.
    uint32_t mul = uint32_t((2.0 / 3.0) * 4294967296.0);
    uint64_t one_second_of_ticks = 3'000'000'000ull;
    uint64_t ns = scale_tsc_delta(one_second_of_ticks, mul, -1);
    EXPECT_NEAR(double(ns), 1e9, 2.0);
}

TEST(PvclockMath, LargeDeltasDoNotOverflow) {
    // 10 hours at 4 GHz with shift +1 would overflow a 64-bit product.
    uint64_t ticks = 36000ull * 4'000'000'000ull;
    uint64_t ns = scale_tsc_delta(ticks, 0x80000000u, -1);  // factor 1/4
    EXPECT_EQ(ns, ticks / 4);
}

TEST(PvclockMath, SystemTimeAddsScaledDeltaAndNeverGoesBelowTheSnapshot) {
    PvclockSnapshot s{/*tsc_timestamp=*/1000, /*system_time=*/5'000'000, 0x80000000u, 1};
    EXPECT_EQ(system_time_at(s, 1500), 5'000'500u);
    // A TSC slightly behind the snapshot (another pCPU) clamps to the snapshot.
    EXPECT_EQ(system_time_at(s, 900), 5'000'000u);
}

TEST(PvclockMath, ATimestampBeforeTheTscWrapStillGivesTheSmallDelta) {
    // Seen on Xen 4.17 under TCG at boot: an emulated TSC that starts near 0
    // and a first snapshot stamped 1.25e9 ticks "before" it.
    uint64_t stamp = uint64_t(0) - 1'254'781'184ull;
    PvclockSnapshot s{stamp, /*system_time=*/10'582'707'937ull, 0x80000000u, 1};  // 1 ns a tick
    EXPECT_EQ(system_time_at(s, 774'537'154ull), 10'582'707'937ull + 2'029'318'338ull);
}
