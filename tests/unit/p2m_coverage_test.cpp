// The end of the p2m published to the toolstack, and where runs and the heap
// live so that populated memory stays at the bottom.
#include "kernel/mm/p2m_coverage.h"
#include "kernel/mm/run_zone.h"

#include <gtest/gtest.h>

using torpor::P2mCoverage;
using torpor::run_zone_end_for;

namespace {
constexpr unsigned long G = P2mCoverage::kGrain;
constexpr unsigned long kGiB = 262144;  // frames
constexpr unsigned long kSlack = 16 * G;
}  // namespace

TEST(P2mCoverage, CoversEverythingUntilMemoryGoesBack) {
    P2mCoverage c;
    c.init(kGiB, kSlack);
    EXPECT_EQ(c.published(), kGiB);
    EXPECT_FALSE(c.after_populate(kGiB).publish);
}

TEST(P2mCoverage, EndsAtThePopulatedFramesPlusSlackInWholeP2mPages) {
    P2mCoverage c;
    c.init(kGiB, kSlack);
    EXPECT_EQ(c.reset(10 * G + 3), 27 * G);  // 10 pages and a bit, plus 16
    EXPECT_EQ(c.published(), 27 * G);
    EXPECT_EQ(c.reset(kGiB - 5), kGiB) << "never past the p2m's length";
    P2mCoverage small;
    small.init(4096, kSlack);
    EXPECT_EQ(small.reset(1000), 4096u);
}

TEST(P2mCoverage, GrowsEarlyThenConfirmsWhenFramesPastTheOldEndAreUsed) {
    P2mCoverage c;
    c.init(kGiB, kSlack);
    unsigned long end = c.reset(4 * G);  // 20 pages
    ASSERT_EQ(end, 20 * G);
    // Well inside: nothing to do.
    auto s = c.after_populate(10 * G);
    EXPECT_FALSE(s.publish);
    EXPECT_FALSE(s.bump);
    // Within half the slack of the end: grow now, before anything is there.
    s = c.after_populate(13 * G);
    EXPECT_TRUE(s.publish);
    EXPECT_EQ(s.max_pfn, 29 * G);
    EXPECT_FALSE(s.bump) << "nothing populated past the old end yet";
    EXPECT_EQ(c.confirmed(), 20 * G);
    // The first frame past the old end: the generation moves once more.
    s = c.after_populate(21 * G);
    EXPECT_FALSE(s.publish);
    EXPECT_TRUE(s.bump);
    EXPECT_EQ(c.confirmed(), 29 * G);
    s = c.after_populate(21 * G);
    EXPECT_FALSE(s.publish);
    EXPECT_FALSE(s.bump) << "once per end";
    // And again: grow early, confirm later.
    s = c.after_populate(25 * G);
    EXPECT_TRUE(s.publish);
    EXPECT_EQ(s.max_pfn, 41 * G);
    EXPECT_FALSE(s.bump);
    s = c.after_populate(30 * G);
    EXPECT_TRUE(s.bump);
    EXPECT_EQ(c.confirmed(), 41 * G);
}

TEST(P2mCoverage, ABurstPastTheEndPublishesAndConfirmsAtOnce) {
    P2mCoverage c;
    c.init(kGiB, kSlack);
    (void)c.reset(2 * G);  // 18 pages
    auto s = c.after_populate(40 * G);
    EXPECT_TRUE(s.publish);
    EXPECT_EQ(s.max_pfn, 56 * G);
    EXPECT_TRUE(s.bump);
    EXPECT_GE(s.max_pfn, 40 * G) << "every populated frame is covered";
}

TEST(P2mCoverage, NeverShrinksWhileRunning) {
    P2mCoverage c;
    c.init(kGiB, kSlack);
    (void)c.reset(40 * G);
    auto s = c.after_populate(2 * G);
    EXPECT_FALSE(s.publish);
    EXPECT_EQ(c.published(), 56 * G);
}

TEST(RunZone, AtMostTheZoneAndAtMostAQuarterInWholeRegions) {
    EXPECT_EQ(run_zone_end_for(700, kGiB, 4096, 512), 4608u);  // (700 + 4096) rounded down
    EXPECT_EQ(run_zone_end_for(700, 4096, 4096, 512), 1536u);  // a quarter of 3396 frames
    EXPECT_EQ(run_zone_end_for(700, 1200, 4096, 512), 700u);  // too small: no zone
    EXPECT_EQ(run_zone_end_for(700, 600, 4096, 512), 700u);
}
