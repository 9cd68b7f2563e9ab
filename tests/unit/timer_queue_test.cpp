#include "kernel/time/timer_queue.h"

#include <gtest/gtest.h>

#include <vector>

using torpor::Timer;
using torpor::TimerQueue;

namespace {
std::vector<int> fired;
void record(Timer* t) { fired.push_back(int(reinterpret_cast<intptr_t>(t->context))); }
Timer make(int id) {
    Timer t;
    t.callback = record;
    t.context = reinterpret_cast<void*>(intptr_t(id));
    return t;
}
}  // namespace

TEST(TimerQueue, FiresOnlyExpiredTimersInDeadlineOrder) {
    fired.clear();
    TimerQueue q;
    Timer a = make(1), b = make(2), c = make(3);
    q.add(&a, 300);
    q.add(&b, 100);
    q.add(&c, 200);
    EXPECT_EQ(q.earliest_deadline(), 100u);
    EXPECT_EQ(q.run_expired(199), 1u);
    EXPECT_EQ(q.run_expired(300), 2u);
    EXPECT_EQ(fired, (std::vector<int>{2, 3, 1}));
    EXPECT_TRUE(q.is_empty());
    EXPECT_EQ(q.earliest_deadline(), TimerQueue::kNever);
}

TEST(TimerQueue, NothingFiresBeforeItsDeadline) {
    fired.clear();
    TimerQueue q;
    Timer a = make(1);
    q.add(&a, 1000);
    EXPECT_EQ(q.run_expired(999), 0u);
    EXPECT_TRUE(fired.empty());
    EXPECT_TRUE(a.armed);
}

TEST(TimerQueue, EqualDeadlinesKeepInsertionOrder) {
    fired.clear();
    TimerQueue q;
    Timer a = make(1), b = make(2), c = make(3);
    q.add(&a, 5);
    q.add(&b, 5);
    q.add(&c, 5);
    q.run_expired(5);
    EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
}

TEST(TimerQueue, ReAddingMovesAndRemovingDisarms) {
    fired.clear();
    TimerQueue q;
    Timer a = make(1), b = make(2);
    q.add(&a, 10);
    q.add(&b, 20);
    q.add(&a, 30);  // moved behind b
    EXPECT_EQ(q.earliest_deadline(), 20u);
    EXPECT_TRUE(q.remove(&b));
    EXPECT_FALSE(q.remove(&b));
    EXPECT_FALSE(b.armed);
    q.run_expired(100);
    EXPECT_EQ(fired, (std::vector<int>{1}));
}

TEST(TimerQueue, ACallbackMayRearmItsOwnTimer) {
    TimerQueue q;
    static TimerQueue* queue;
    static int count;
    queue = &q;
    count = 0;
    Timer periodic;
    periodic.callback = [](Timer* t) {
        if (++count < 3) queue->add(t, t->deadline_ns + 10);
    };
    q.add(&periodic, 10);
    q.run_expired(15);
    EXPECT_EQ(count, 1);
    q.run_expired(40);
    EXPECT_EQ(count, 3);
    EXPECT_TRUE(q.is_empty());
}
