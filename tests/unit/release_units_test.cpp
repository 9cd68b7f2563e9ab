#include "kernel/mm/release_units.h"

#include <gtest/gtest.h>

#include <vector>

using namespace torpor::balloon;

namespace {

constexpr size_t kRegion = 8;  // small regions keep the lists readable
constexpr size_t kMaxSingles = 3;

std::vector<ReleaseUnit> units(const std::vector<unsigned long>& pfns) {
    std::vector<ReleaseUnit> out;
    for (size_t at = 0;;) {
        ReleaseUnit u = next_release_unit(pfns.data(), pfns.size(), at, kRegion, kMaxSingles);
        if (u.count == 0) break;
        out.push_back(u);
        at += u.count;
    }
    return out;
}

std::vector<unsigned long> range(unsigned long first, unsigned long n) {
    std::vector<unsigned long> v;
    for (unsigned long i = 0; i < n; ++i) v.push_back(first + i);
    return v;
}

}  // namespace

TEST(ReleaseUnits, WholeAlignedRegionsGoAsOneUnit) {
    auto u = units(range(16, 16));
    ASSERT_EQ(u.size(), 2u);
    EXPECT_TRUE(u[0].whole_region);
    EXPECT_EQ(u[0].count, kRegion);
    EXPECT_TRUE(u[1].whole_region);
    EXPECT_EQ(u[1].first, kRegion);
}

TEST(ReleaseUnits, UnalignedRunsAreSinglesInBoundedBatches) {
    auto u = units(range(17, 8));  // 17..24: no region starts at 17, 24 alone is not whole
    ASSERT_EQ(u.size(), 3u);
    for (auto& x : u) EXPECT_FALSE(x.whole_region);
    EXPECT_EQ(u[0].count, 3u);
    EXPECT_EQ(u[1].count, 3u);
    EXPECT_EQ(u[2].count, 2u);
}

TEST(ReleaseUnits, SinglesStopWhereARegionBegins) {
    std::vector<unsigned long> pfns = {14, 15};
    auto region = range(16, 8);
    pfns.insert(pfns.end(), region.begin(), region.end());
    pfns.push_back(30);
    auto u = units(pfns);
    ASSERT_EQ(u.size(), 3u);
    EXPECT_FALSE(u[0].whole_region);
    EXPECT_EQ(u[0].count, 2u);
    EXPECT_TRUE(u[1].whole_region);
    EXPECT_EQ(u[1].first, 2u);
    EXPECT_FALSE(u[2].whole_region);
    EXPECT_EQ(u[2].count, 1u);
}

TEST(ReleaseUnits, ARegionWithAHoleIsNotWhole) {
    auto pfns = range(16, 8);
    pfns.erase(pfns.begin() + 3);  // 19 is in use
    pfns.push_back(24);            // same length, but the last pfn no longer matches
    EXPECT_FALSE(is_whole_region(pfns.data(), pfns.size(), 0, kRegion));
    for (auto& x : units(pfns)) EXPECT_FALSE(x.whole_region);
}

TEST(ReleaseUnits, ATruncatedListEndsInSingles) {
    auto pfns = range(16, 5);
    EXPECT_FALSE(is_whole_region(pfns.data(), pfns.size(), 0, kRegion));
    auto u = units(pfns);
    ASSERT_EQ(u.size(), 2u);
    EXPECT_EQ(u[0].count + u[1].count, 5u);
}
