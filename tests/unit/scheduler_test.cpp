// The scheduler's state machine, run for real on the host: threads switch with
// ucontext, "idle" advances a fake clock to the next timer.
#include "kernel/sched/scheduler.h"
#include "tests/unit/host_vcpus.h"

#include <gtest/gtest.h>
#include <ucontext.h>

#include <cstdio>
#include <cstdlib>

#include <string>
#include <vector>

using namespace torpor;
using namespace torpor::sched;

namespace {

uint64_t fake_now = 0;
TimerQueue timers;
Scheduler scheduler;
bool masked = false;
int idle_calls = 0;

void switch_context(Thread* from, Thread* to) {
    swapcontext(static_cast<ucontext_t*>(from->platform), static_cast<ucontext_t*>(to->platform));
}

void start_thread(unsigned hi, unsigned lo) {
    thread_main(reinterpret_cast<Thread*>((uintptr_t(hi) << 32) | lo));
}

Error prepare_thread(Thread* t) {
    t->stack = malloc(t->stack_size);
    if (!t->stack) return Error::out_of_memory;
    auto* uc = new ucontext_t;
    getcontext(uc);
    uc->uc_stack.ss_sp = t->stack;
    uc->uc_stack.ss_size = t->stack_size;
    uc->uc_link = nullptr;
    auto p = reinterpret_cast<uintptr_t>(t);
    makecontext(uc, reinterpret_cast<void (*)()>(start_thread), 2, unsigned(p >> 32),
                unsigned(p & 0xffffffff));
    t->platform = uc;
    return Error::none;
}

void release_thread(Thread* t) {
    delete static_cast<ucontext_t*>(t->platform);
    free(t->stack);
}

void idle() {
    ++idle_calls;
    if (timers.is_empty()) {
        fprintf(stderr, "deadlock: nothing runnable and no timer pending\n");
        abort();  // fail fast instead of idling forever
    }
    fake_now = timers.earliest_deadline();
    timers.run_expired(fake_now);
}

void arm_timer(Timer* t, uint64_t deadline) { timers.add(t, deadline); }
void cancel_timer(Timer* t) { timers.remove(t); }
bool mask_events() {
    bool was = masked;
    masked = true;
    return was;
}
void restore_events(bool was) { masked = was; }

const Hooks hooks = {switch_context, prepare_thread, release_thread, idle, arm_timer,
                     cancel_timer,   nullptr,        mask_events,    restore_events};

std::vector<std::string> trace;

class SchedulerTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake_now = 0;
        timers = TimerQueue();
        trace.clear();
        idle_calls = 0;
        masked = false;
        boot = new Thread;
        boot->platform = new ucontext_t;
        scheduler = Scheduler();
        scheduler.init(&hooks, boot, 0);
        test::set_this_scheduler(&scheduler);
    }
    void TearDown() override {
        test::set_this_scheduler(nullptr);
        delete static_cast<ucontext_t*>(boot->platform);
        delete boot;
    }
    Thread* boot = nullptr;
};

}  // namespace

TEST_F(SchedulerTest, YieldingThreadsInterleaveInFifoOrder) {
    auto body = [](void* arg) {
        const char* name = static_cast<const char*>(arg);
        for (int i = 0; i < 3; ++i) {
            trace.push_back(std::string(name) + std::to_string(i));
            this_scheduler().yield();
        }
    };
    auto a = scheduler.spawn("a", body, const_cast<char*>("a"));
    auto b = scheduler.spawn("b", body, const_cast<char*>("b"));
    ASSERT_FALSE(a.is_error());
    ASSERT_FALSE(b.is_error());
    EXPECT_EQ(a.value()->state, ThreadState::runnable);
    EXPECT_EQ(scheduler.join(a.value()), Error::none);
    EXPECT_EQ(scheduler.join(b.value()), Error::none);
    EXPECT_EQ(trace, (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}));
    EXPECT_FALSE(masked) << "events must be unmasked again after the switches";
}

TEST_F(SchedulerTest, SleepersWakeInDeadlineOrderAndNeverEarly) {
    struct Sleeper {
        uint64_t deadline;
        uint64_t woke_at = 0;
    };
    static Sleeper late{300}, early{100};
    auto body = [](void* arg) {
        auto* s = static_cast<Sleeper*>(arg);
        this_scheduler().sleep_until(s->deadline);
        s->woke_at = fake_now;
        trace.push_back(std::to_string(s->deadline));
    };
    auto t1 = scheduler.spawn("late", body, &late);
    auto t2 = scheduler.spawn("early", body, &early);
    scheduler.join(t1.value());
    scheduler.join(t2.value());
    EXPECT_EQ(trace, (std::vector<std::string>{"100", "300"}));
    EXPECT_GE(early.woke_at, 100u);
    EXPECT_GE(late.woke_at, 300u);
    EXPECT_GT(idle_calls, 0);
}

TEST_F(SchedulerTest, WaitQueueWakesAWaiterAndBlockedStateIsVisible) {
    static WaitQueue queue;
    static Error result;
    auto waiter = [](void*) { result = queue.wait(); };
    auto t = scheduler.spawn("waiter", waiter, nullptr);
    scheduler.yield();  // let it block
    EXPECT_EQ(t.value()->state, ThreadState::blocked);
    EXPECT_TRUE(queue.has_waiters());
    queue.wake_one();
    EXPECT_EQ(t.value()->state, ThreadState::runnable);
    EXPECT_EQ(scheduler.join(t.value()), Error::none);
    EXPECT_EQ(result, Error::none);
    EXPECT_FALSE(queue.has_waiters());
}

TEST_F(SchedulerTest, BoundedWaitTimesOutAndLeavesTheQueue) {
    static WaitQueue queue;
    static Error result;
    static uint64_t returned_at;
    auto waiter = [](void*) {
        result = queue.wait(/*deadline_ns=*/500);
        returned_at = fake_now;
    };
    auto t = scheduler.spawn("waiter", waiter, nullptr);
    scheduler.join(t.value());
    EXPECT_EQ(result, Error::timed_out);
    EXPECT_GE(returned_at, 500u);
    EXPECT_FALSE(queue.has_waiters());
}

TEST_F(SchedulerTest, WakeBeatsTimeoutAndCancelsIt) {
    static WaitQueue queue;
    static Error result;
    auto waiter = [](void*) { result = queue.wait(1000); };
    auto t = scheduler.spawn("waiter", waiter, nullptr);
    scheduler.yield();
    queue.wake_all();
    scheduler.join(t.value());
    EXPECT_EQ(result, Error::none);
    EXPECT_TRUE(timers.is_empty()) << "the timeout timer must be cancelled";
}

TEST_F(SchedulerTest, WaitIfSkipsSleepingWhenTheConditionAlreadyHolds) {
    static WaitQueue queue;
    static bool ready = true;
    auto t = scheduler.spawn("w", [](void*) { (void)queue.wait_if([] { return !ready; }); },
                             nullptr);
    scheduler.join(t.value());
    EXPECT_EQ(idle_calls, 0);
}

TEST_F(SchedulerTest, JoinRejectsTheCallerAndTheBootThread) {
    EXPECT_EQ(scheduler.join(boot), Error::invalid_argument);
}

TEST_F(SchedulerTest, DetachedThreadsAreFreedByTheNextSpawnNotLeaked) {
    static int runs;
    runs = 0;
    auto body = [](void*) { ++runs; };
    auto sleep_a_little = [](void*) { this_scheduler().sleep_until(fake_now + 10); };
    for (int i = 0; i < 3; ++i) ASSERT_EQ(scheduler.spawn_detached("d", body, nullptr), Error::none);
    // Run them to completion: the boot thread sleeps, every detached one exits.
    sleep_a_little(nullptr);
    EXPECT_EQ(runs, 3);
    EXPECT_EQ(scheduler.zombie_count(), 3u);
    // The next spawn frees them (under ASan a double free or a leak would show).
    auto t = scheduler.spawn("joined", body, nullptr);
    ASSERT_FALSE(t.is_error());
    EXPECT_EQ(scheduler.zombie_count(), 0u);
    EXPECT_EQ(scheduler.join(t.value()), Error::none);
    EXPECT_EQ(runs, 4);
    EXPECT_EQ(scheduler.zombie_count(), 0u) << "a joined thread is freed by join, not queued";
    ASSERT_EQ(scheduler.spawn_detached("d", body, nullptr), Error::none);
    sleep_a_little(nullptr);
    EXPECT_EQ(scheduler.zombie_count(), 1u);
    ASSERT_EQ(scheduler.spawn_detached("d", sleep_a_little, nullptr), Error::none);
    EXPECT_EQ(scheduler.zombie_count(), 0u);
    this_scheduler().sleep_until(fake_now + 100);
    EXPECT_EQ(scheduler.zombie_count(), 1u);
    auto last = scheduler.spawn("last", body, nullptr);
    ASSERT_FALSE(last.is_error());
    EXPECT_EQ(scheduler.join(last.value()), Error::none);
    EXPECT_EQ(scheduler.zombie_count(), 0u);
}
