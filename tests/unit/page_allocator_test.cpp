#include "kernel/mm/page_allocator.h"

#include <gtest/gtest.h>

#include <vector>

using torpor::Error;
using torpor::PageAllocator;

namespace {

struct Fixture {
    explicit Fixture(unsigned long first, size_t count)
        : bitmap(PageAllocator::bitmap_words_for(count), ~uint64_t(0)) {
        allocator.init(first, count, bitmap.data());
    }
    std::vector<uint64_t> bitmap;
    PageAllocator allocator;
};

}  // namespace

TEST(PageAllocator, StartsAllFreeAndAllocatesFromTheTop) {
    Fixture f(100, 70);
    EXPECT_EQ(f.allocator.free_count(), 70u);
    auto a = f.allocator.allocate();
    ASSERT_FALSE(a.is_error());
    EXPECT_EQ(a.value(), 169u);
    auto b = f.allocator.allocate();
    EXPECT_EQ(b.value(), 168u);
    EXPECT_EQ(f.allocator.free_count(), 68u);
}

TEST(PageAllocator, RunsAreContiguousAndSkipUsedFrames) {
    Fixture f(0, 16);
    ASSERT_EQ(f.allocator.claim(13, 1), Error::none);  // splits the top
    auto run = f.allocator.allocate_run(4);
    ASSERT_FALSE(run.is_error());
    EXPECT_EQ(run.value(), 9u);  // 9..12: the first free run of 4 below frame 13
    for (unsigned long i = 9; i < 13; ++i) EXPECT_FALSE(f.allocator.is_free(i));
}

TEST(PageAllocator, ExhaustionIsReportedAndNothingIsLost) {
    Fixture f(0, 3);
    ASSERT_FALSE(f.allocator.allocate_run(3).is_error());
    auto none = f.allocator.allocate();
    ASSERT_TRUE(none.is_error());
    EXPECT_EQ(none.error(), Error::out_of_memory);
    EXPECT_EQ(f.allocator.free(1), Error::none);
    EXPECT_EQ(f.allocator.allocate().value(), 1u);
}

TEST(PageAllocator, DoubleFreeAndOutOfRangeAreRejected) {
    Fixture f(10, 8);
    auto a = f.allocator.allocate();
    ASSERT_EQ(f.allocator.free(a.value()), Error::none);
    EXPECT_EQ(f.allocator.free(a.value()), Error::invalid_argument);
    EXPECT_EQ(f.allocator.free(9), Error::invalid_argument);
    EXPECT_EQ(f.allocator.claim(16, 3), Error::invalid_argument);
    EXPECT_EQ(f.allocator.free_count(), 8u);
}

TEST(PageAllocator, ClaimFailsWithoutPartialEffect) {
    Fixture f(0, 8);
    ASSERT_EQ(f.allocator.claim(4, 1), Error::none);
    EXPECT_EQ(f.allocator.claim(2, 4), Error::busy);
    EXPECT_TRUE(f.allocator.is_free(2));
    EXPECT_TRUE(f.allocator.is_free(3));
    EXPECT_EQ(f.allocator.free_count(), 7u);
}

TEST(PageAllocator, BitmapSpansMultipleWords) {
    Fixture f(0, 200);
    for (int i = 0; i < 200; ++i) ASSERT_FALSE(f.allocator.allocate().is_error()) << i;
    EXPECT_EQ(f.allocator.free_count(), 0u);
    EXPECT_EQ(f.allocator.free(64, 65), Error::none);
    auto run = f.allocator.allocate_run(65);
    ASSERT_FALSE(run.is_error());
    EXPECT_EQ(run.value(), 64u);
}

TEST(PageAllocator, TakeFreeFramesTakesTheHighestAboveAFloorInOnePass) {
    Fixture f(100, 20);
    ASSERT_EQ(f.allocator.claim(118, 1), Error::none);
    unsigned long out[20];
    size_t n = f.allocator.take_free_frames(110, out, 5);
    ASSERT_EQ(n, 5u);
    EXPECT_EQ(out[0], 119u);
    EXPECT_EQ(out[1], 117u) << "a used frame is skipped";
    EXPECT_EQ(out[4], 114u);
    n = f.allocator.take_free_frames(110, out, 20);
    EXPECT_EQ(n, 4u) << "only 110..113 remain above the floor";
    EXPECT_EQ(f.allocator.free_count(), 10u);
    EXPECT_TRUE(f.allocator.is_free(109));
}

TEST(PageAllocator, RunsBelowABoundStayBelowIt) {
    std::vector<uint64_t> bitmap(torpor::PageAllocator::bitmap_words_for(64));
    torpor::PageAllocator a;
    a.init(100, 64, bitmap.data());
    auto run = a.allocate_run_below(4, 120);
    ASSERT_FALSE(run.is_error());
    EXPECT_EQ(run.value(), 116u);  // the highest run that ends at 120
    EXPECT_TRUE(a.allocate_run_below(17, 120).is_error()) << "only 16 free below 120";
    EXPECT_TRUE(a.allocate_run_below(1, 100).is_error());
    EXPECT_EQ(a.allocate_run_below(2, 1000).value(), 162u) << "a bound past the end is the end";
}
