// The accounting of free memory that lives in Xen, against a fake hypervisor
// that has a fixed number of frames to give and can refuse.
#include "kernel/mm/backed_regions.h"
#include "kernel/mm/memory_target.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <vector>

using torpor::BackedRegions;
using torpor::Error;
using torpor::PageAllocator;
using torpor::RegionOps;

namespace {

constexpr size_t R = BackedRegions::kFrames;

struct FakeXen final : RegionOps {
    size_t host_free = 0;           // frames Xen can still give
    std::set<unsigned long> given;  // regions we gave back (first pfn)
    size_t populate_calls = 0, release_calls = 0;
    bool refuse_release = false;
    size_t populate(const unsigned long* firsts, size_t n) override {
        ++populate_calls;
        size_t ok = 0;
        for (; ok < n && host_free >= R; ++ok) {
            EXPECT_EQ(given.count(firsts[ok]), 1u) << "populating a region that was never given";
            given.erase(firsts[ok]);
            host_free -= R;
        }
        return ok;
    }
    bool release(unsigned long first) override {
        ++release_calls;
        if (refuse_release) return false;
        EXPECT_EQ(first % R, 0u);
        EXPECT_TRUE(given.insert(first).second) << "region given twice";
        host_free += R;
        return true;
    }
};

// An allocator over [first, first + count) and the regions inside it.
struct Fixture {
    Fixture(unsigned long first, size_t count, unsigned long held)
        : bitmap(PageAllocator::bitmap_words_for(count)) {
        allocator.init(first, count, bitmap.data());
        regions = std::make_unique<BackedRegions>();
        regions->init(allocator, xen, held);
    }
    std::vector<uint64_t> bitmap;
    PageAllocator allocator;
    FakeXen xen;
    std::unique_ptr<BackedRegions> regions;
};

}  // namespace

TEST(BackedRegions, OnlyWholeAlignedRegionsInsideTheRangeCount) {
    Fixture f(100, 8 * R, 9000);  // frames 100..4195: regions 1..7 are whole (512..4095)
    EXPECT_EQ(f.regions->region_count(), 7u);
    EXPECT_EQ(f.regions->first_pfn_of(0), R);
}

TEST(BackedRegions, GivesBackWholeFreeRegionsHighestFirstKeepingTheReserveAtTheBottom) {
    Fixture f(0, 16 * R, 16 * R);
    ASSERT_EQ(f.allocator.claim(3 * R + 7, 1), Error::none);  // region 3 in use
    size_t given = f.regions->give_back_free(2 * R);
    // 15 free regions; the reserve keeps at least 2 regions' worth free.
    EXPECT_EQ(f.allocator.free_count(), 16 * R - 1 - given);
    EXPECT_GE(f.allocator.free_count(), 2 * R);
    EXPECT_LT(f.allocator.free_count(), 3 * R + R);
    EXPECT_EQ(f.regions->held_frames(), 16 * R - given);
    EXPECT_EQ(f.xen.given.count(15 * R), 1u);   // the highest went first
    EXPECT_EQ(f.xen.given.count(3 * R), 0u);    // in use: never
    EXPECT_EQ(f.xen.given.count(0), 0u);        // the bottom stays: runs come from there
    EXPECT_EQ(f.regions->populated_end(), 4 * R) << "what stays populated is compact";
    // An empty region's frames cannot be allocated: they are marked in use.
    for (unsigned long first : f.xen.given) EXPECT_FALSE(f.allocator.is_free(first));
}

TEST(BackedRegions, AFreeThatMakesARegionWholeGivesItBackBeyondTheReserve) {
    Fixture f(0, 8 * R, 8 * R);
    EXPECT_EQ(f.regions->give_back_free(R), 7 * R);  // region 0 stays: the reserve
    EXPECT_EQ(f.allocator.free_count(), R);
    auto run = f.allocator.allocate_run(R);  // all of region 0
    ASSERT_FALSE(run.is_error());
    EXPECT_EQ(run.value(), 0u);
    EXPECT_EQ(f.regions->give_back_around(0, R, 0), 0u) << "in use";
    ASSERT_EQ(f.allocator.free(0, R), Error::none);
    EXPECT_EQ(f.regions->give_back_around(0, R, R), 0u) << "it is the reserve";
    EXPECT_EQ(f.regions->give_back_around(0, R, 0), R);
    EXPECT_EQ(f.regions->empty_regions(), 8u);
    EXPECT_EQ(f.regions->held_frames(), 0u);
}

TEST(BackedRegions, PopulatesEmptyRegionsOnDemandAndTheyBecomeAllocatable) {
    Fixture f(0, 8 * R, 8 * R);
    (void)f.regions->give_back_free(R);
    size_t free_before = f.allocator.free_count();
    EXPECT_TRUE(f.allocator.allocate_run(free_before + 1).is_error());
    EXPECT_EQ(f.regions->populate(2), 2u);
    EXPECT_EQ(f.allocator.free_count(), free_before + 2 * R);
    EXPECT_EQ(f.regions->held_frames(), 8 * R - f.regions->empty_regions() * R);
    EXPECT_FALSE(f.allocator.allocate_run(free_before + 1).is_error());
}

TEST(BackedRegions, XenRefusingLeavesTheRegionEmptyAndTheAllocationFails) {
    Fixture f(0, 8 * R, 8 * R);
    (void)f.regions->give_back_free(R);
    size_t empty = f.regions->empty_regions();
    f.xen.host_free = 0;  // the host is full: someone else took what we gave
    EXPECT_EQ(f.regions->populate(1), 0u);
    EXPECT_EQ(f.regions->empty_regions(), empty);
    EXPECT_EQ(f.regions->populate_range(7 * R, 1), Error::out_of_memory);  // region 7 went
    EXPECT_TRUE(f.allocator.allocate_run(f.allocator.free_count() + 1).is_error());
}

TEST(BackedRegions, NeverPopulatesPastTheLimit) {
    Fixture f(0, 8 * R, 8 * R);
    (void)f.regions->give_back_free(R);
    unsigned long held = f.regions->held_frames();
    f.regions->set_limit(held + R + R / 2);  // room for one region, not two
    EXPECT_EQ(f.regions->populate(4), 1u);
    EXPECT_EQ(f.regions->held_frames(), held + R);
    EXPECT_EQ(f.regions->populate(1), 0u);
    EXPECT_LE(f.regions->held_frames(), f.regions->limit());
    f.regions->set_limit(BackedRegions::kNoLimit);  // mem-set up again: growth allowed
    EXPECT_EQ(f.regions->populate(1), 1u);
}

TEST(BackedRegions, PopulateRangeBacksExactlyTheRegionsTheHeapGrowsInto) {
    Fixture f(0, 8 * R, 8 * R);
    (void)f.regions->give_back_free(0);  // everything goes
    EXPECT_EQ(f.regions->empty_regions(), 8u);
    EXPECT_EQ(f.regions->populate_range(R - 1, 2), Error::none);  // regions 0 and 1
    EXPECT_EQ(f.regions->empty_regions(), 6u);
    EXPECT_TRUE(f.allocator.is_free(0));
    EXPECT_TRUE(f.allocator.is_free(2 * R - 1));
    EXPECT_FALSE(f.allocator.is_free(2 * R));
    EXPECT_EQ(f.allocator.claim(R - 1, 2), Error::none);
}

TEST(BackedRegions, AReleaseXenRefusesLeavesTheRegionUsable) {
    Fixture f(0, 4 * R, 4 * R);
    f.xen.refuse_release = true;
    EXPECT_EQ(f.regions->give_back_free(0), 0u);
    EXPECT_EQ(f.regions->empty_regions(), 0u);
    EXPECT_EQ(f.allocator.free_count(), 4 * R);
    EXPECT_EQ(f.regions->held_frames(), 4 * R);
}

TEST(BackedRegions, GiveBackAndPopulateRoundTripKeepsTheCountsLevel) {
    Fixture f(0, 32 * R, 32 * R);
    for (int round = 0; round < 20; ++round) {
        (void)f.regions->give_back_free(2 * R);
        size_t held = f.regions->held_frames();
        EXPECT_EQ(held, 32 * R - f.xen.given.size() * R);
        EXPECT_EQ(f.allocator.free_count() + f.regions->empty_regions() * R, 32 * R);
        (void)f.regions->populate(3);
    }
}

TEST(BackedRegions, PopulateWithinTakesTheLowestEmptyRegionsOfTheZoneOnly) {
    Fixture f(0, 16 * R, 16 * R);
    (void)f.regions->give_back_free(0);  // everything goes
    EXPECT_EQ(f.regions->populated_end(), 0u);
    EXPECT_EQ(f.regions->populate_within(2, 2 * R, 6 * R), 2u);
    EXPECT_FALSE(f.regions->is_empty(2));
    EXPECT_FALSE(f.regions->is_empty(3));
    EXPECT_TRUE(f.regions->is_empty(4));
    EXPECT_EQ(f.regions->populated_end(), 4 * R);
    EXPECT_EQ(f.regions->populate_within(8, 2 * R, 6 * R), 2u) << "only 4 and 5 are inside";
    EXPECT_EQ(f.regions->populate_within(1, 2 * R, 6 * R), 0u);
    EXPECT_EQ(f.regions->populated_end(), 6 * R);
    EXPECT_EQ(f.regions->populate(1), 1u);  // the fallback: highest first
    EXPECT_EQ(f.regions->populated_end(), 16 * R);
}

TEST(BackedRegions, APartialRegionOnTopIsAlwaysPopulated) {
    Fixture f(0, 8 * R + 7, 8 * R + 7);
    (void)f.regions->give_back_free(0);
    EXPECT_EQ(f.regions->empty_regions(), 8u);
    EXPECT_EQ(f.regions->populated_end(), 8 * R + 7);
}

TEST(MemoryTarget, ParsesKibIntoFramesAndRejectsWhatIsNotANumber) {
    using torpor::memory::frames_of_target;
    EXPECT_EQ(frames_of_target("262144").value(), 65536u);
    EXPECT_EQ(frames_of_target("0").value(), 0u);
    EXPECT_TRUE(frames_of_target("").is_error());
    EXPECT_TRUE(frames_of_target("-5").is_error());
    EXPECT_TRUE(frames_of_target("12k").is_error());
    EXPECT_TRUE(frames_of_target("99999999999999999999999").is_error());
}
