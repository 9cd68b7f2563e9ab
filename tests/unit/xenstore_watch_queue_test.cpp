// WatchEventQueue: bounded, coalescing what is still queued for the same
// watch and path, first in first out.
#include "drivers/xenstore/watch_queue.h"

#include <gtest/gtest.h>

#include <string>

using namespace torpor;
using namespace torpor::xs;
using Push = WatchEventQueue::Push;

namespace {
String str(const std::string& s) { return String::copy_of(s.c_str()).release_value(); }
}  // namespace

TEST(XenstoreWatchQueue, DeliversInOrder) {
    WatchEventQueue q;
    EXPECT_EQ(q.push(1, str("a")), Push::queued);
    EXPECT_EQ(q.push(2, str("b")), Push::queued);
    uint32_t id;
    String path;
    ASSERT_TRUE(q.pop(&id, &path));
    EXPECT_EQ(id, 1u);
    EXPECT_STREQ(path.c_str(), "a");
    ASSERT_TRUE(q.pop(&id, &path));
    EXPECT_EQ(id, 2u);
    EXPECT_FALSE(q.pop(&id, &path));
}

TEST(XenstoreWatchQueue, AFloodOnOnePathTakesOneSlot) {
    WatchEventQueue q;
    EXPECT_EQ(q.push(1, str("data/load")), Push::queued);
    for (int i = 0; i < 10000; ++i) ASSERT_EQ(q.push(1, str("data/load")), Push::coalesced);
    EXPECT_EQ(q.push(2, str("data/load")), Push::queued) << "another watch is told too";
    EXPECT_EQ(q.push(1, str("data/load/x")), Push::queued) << "another path is news";
    EXPECT_EQ(q.size(), 3u);
    uint32_t id;
    String path;
    ASSERT_TRUE(q.pop(&id, &path));
    // Once taken for delivery, a new change must be delivered again afterwards.
    EXPECT_EQ(q.push(1, str("data/load")), Push::queued);
}

TEST(XenstoreWatchQueue, IsBoundedAndDropsBeyondCapacity) {
    WatchEventQueue q;
    for (size_t i = 0; i < WatchEventQueue::kCapacity; ++i)
        ASSERT_EQ(q.push(1, str("k/" + std::to_string(i))), Push::queued);
    EXPECT_EQ(q.push(1, str("k/one-too-many")), Push::dropped);
    EXPECT_EQ(q.size(), WatchEventQueue::kCapacity);
    uint32_t id;
    String path;
    for (size_t i = 0; i < WatchEventQueue::kCapacity; ++i) {
        ASSERT_TRUE(q.pop(&id, &path));
        EXPECT_EQ(std::string(path.c_str()), "k/" + std::to_string(i));
    }
    EXPECT_TRUE(q.is_empty());
    EXPECT_EQ(q.push(1, str("again")), Push::queued) << "slots come back";
}
