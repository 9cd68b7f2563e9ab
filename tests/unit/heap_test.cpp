#include "kernel/mm/heap.h"

#include <gtest/gtest.h>

#include <vector>

using torpor::Error;
using torpor::Heap;
using torpor::PageAllocator;

namespace {
constexpr size_t kPage = 4096;
constexpr uintptr_t kBase = 0x100000;
}  // namespace

TEST(Heap, GrowsOverClaimedFramesFromTheBottom) {
    std::vector<uint64_t> bitmap(1);
    PageAllocator allocator;
    allocator.init(50, 10, bitmap.data());
    Heap heap;
    heap.init(allocator, kBase, kPage);

    auto first = heap.grow(100);
    ASSERT_FALSE(first.is_error());
    EXPECT_EQ(first.value(), kBase);
    EXPECT_FALSE(allocator.is_free(50));
    EXPECT_TRUE(allocator.is_free(51));

    auto second = heap.grow(kPage);  // crosses into frame 51
    EXPECT_EQ(second.value(), kBase + 100);
    EXPECT_FALSE(allocator.is_free(51));
    EXPECT_EQ(heap.committed_bytes(), 2 * kPage);
}

TEST(Heap, StopsAtAFrameSomeoneElseOwns) {
    std::vector<uint64_t> bitmap(1);
    PageAllocator allocator;
    allocator.init(0, 4, bitmap.data());
    ASSERT_EQ(allocator.claim(2, 1), Error::none);  // e.g. a page-table page
    Heap heap;
    heap.init(allocator, kBase, kPage);
    ASSERT_FALSE(heap.grow(2 * kPage).is_error());
    auto blocked = heap.grow(1);
    ASSERT_TRUE(blocked.is_error());
    EXPECT_EQ(blocked.error(), Error::out_of_memory);
    EXPECT_EQ(heap.break_address(), kBase + 2 * kPage);  // unchanged
}

TEST(Heap, ShrinksButNotBelowItsBase) {
    std::vector<uint64_t> bitmap(1);
    PageAllocator allocator;
    allocator.init(0, 4, bitmap.data());
    Heap heap;
    heap.init(allocator, kBase, kPage);
    ASSERT_FALSE(heap.grow(300).is_error());
    EXPECT_EQ(heap.grow(-200).value(), kBase + 300);
    EXPECT_EQ(heap.break_address(), kBase + 100);
    EXPECT_TRUE(heap.grow(-101).is_error());
}

TEST(Heap, ShrinkingGivesTheWholePagesAboveTheBreakBack) {
    std::vector<uint64_t> bitmap(1);
    PageAllocator allocator;
    allocator.init(10, 8, bitmap.data());
    Heap heap;
    heap.init(allocator, kBase, kPage);
    ASSERT_FALSE(heap.grow(5 * kPage).is_error());
    EXPECT_EQ(allocator.free_count(), 3u);
    ASSERT_FALSE(heap.grow(-int(3 * kPage) + 10).is_error());  // break inside page 2
    EXPECT_EQ(heap.committed_bytes(), 3 * kPage);
    EXPECT_EQ(allocator.free_count(), 5u);
    EXPECT_TRUE(allocator.is_free(13));
    EXPECT_FALSE(allocator.is_free(12));
    ASSERT_FALSE(heap.grow(2 * kPage).is_error());  // claims them again
    EXPECT_EQ(allocator.free_count(), 3u);
}
