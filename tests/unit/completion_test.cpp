// Completion and thread join across real parallel vCPUs (OS threads, see
// host_vcpus.h), under ASan: a completer that touches the object after the
// waiter may have freed it is a heap-use-after-free report, not a flaky hang.
#include "kernel/sync/completion.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include "kernel/sched/scheduler.h"
#include "tests/unit/host_vcpus.h"

using namespace torpor;
using namespace torpor::sched;
using test::HostVcpus;
using test::host_now_ns;

namespace {

void spin_for_ns(uint64_t ns) {
    uint64_t until = host_now_ns() + ns;
    while (host_now_ns() < until) {
    }
}

}  // namespace

TEST(Completion, CompleteBeforeWaitReturnsAtOnce) {
    HostVcpus host(1);
    Error result = Error::busy;
    bool complete_before = false;
    ASSERT_TRUE(host.run_on(0, [&] {
        Completion c;
        complete_before = c.is_complete();
        c.complete();
        result = c.wait();
    }));
    EXPECT_FALSE(complete_before);
    EXPECT_EQ(result, Error::none);
}

TEST(Completion, WaitTimesOutWithoutACompleter) {
    HostVcpus host(1);
    Error result = Error::none;
    uint64_t waited = 0;
    ASSERT_TRUE(host.run_on(0, [&] {
        Completion c;
        uint64_t start = host_now_ns();
        result = c.wait(start + 20'000'000);
        waited = host_now_ns() - start;
    }));
    EXPECT_EQ(result, Error::timed_out);
    EXPECT_GE(waited, 20'000'000u);
}

TEST(Completion, ResetRearmsIt) {
    HostVcpus host(1);
    bool after_reset = true;
    ASSERT_TRUE(host.run_on(0, [&] {
        Completion c;
        c.complete();
        c.reset();
        after_reset = c.is_complete();
    }));
    EXPECT_FALSE(after_reset);
}

// The race the Completion exists for: vCPU 1 completes (in its upcall, like a
// cross-call's target) while vCPU 0 waits and frees the object the moment
// wait() returns. Random offsets put the completer before, during and after
// the waiter's blocking; ASan catches any touch after the free.
TEST(Completion, CompleterAndFreeingWaiterRaceOnTwoVcpus) {
    HostVcpus host(2);
    constexpr int kRounds = 3000;
    int completed = 0;
    ASSERT_TRUE(host.run_on(0, [&] {
        std::minstd_rand random(7);
        for (int i = 0; i < kRounds; ++i) {
            auto* c = new Completion;
            uint64_t completer_delay = random() % 20'000, waiter_delay = random() % 20'000;
            HostVcpus::current()->post(1, [c, completer_delay] {
                spin_for_ns(completer_delay);
                c->complete();
            });
            spin_for_ns(waiter_delay);
            completed += c->wait() == Error::none;
            delete c;
        }
    }));
    EXPECT_EQ(completed, kRounds);
}

namespace torpor {
// Widens complete()'s locked window: the waiter's vCPU is kicked early (as if
// it had been running anyway) and the completer lingers 20 ms before letting go.
struct CompletionTestPeer {
    static void complete_lingering(Completion& c, std::atomic<uint64_t>& let_go_at) {
        c.complete_and([&](sched::PendingKicks& kicks) {
            kicks.kick_all();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            let_go_at = host_now_ns();
        });
    }
};
}  // namespace torpor

// Deterministic: the woken waiter must not return, and free the object,
// before complete() has let go of it.
TEST(Completion, WaitReturnsOnlyAfterTheCompleterHasLetGo) {
    HostVcpus host(2);
    std::atomic<uint64_t> let_go_at{0};
    uint64_t wait_returned_at = 0;
    ASSERT_TRUE(host.run_on(0, [&] {
        auto* c = new Completion;
        HostVcpus::current()->post(1, [c, &let_go_at] {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the waiter blocks first
            CompletionTestPeer::complete_lingering(*c, let_go_at);
        });
        EXPECT_EQ(c->wait(), Error::none);
        wait_returned_at = host_now_ns();
        delete c;
    }));
    ASSERT_NE(let_go_at.load(), 0u);
    EXPECT_GE(wait_returned_at, let_go_at.load());
}

// The kick of the waiter's vCPU comes after the unlock and may be slow (20 ms
// here): it must not touch the object, which the waiter frees meanwhile.
TEST(Completion, ASlowKickAfterTheUnlockDoesNotTouchTheObject) {
    HostVcpus host(2);
    host.set_kick_delay_us(0, 20'000);
    int completed = 0;
    ASSERT_TRUE(host.run_on(0, [&] {
        for (int i = 0; i < 5; ++i) {
            auto* c = new Completion;
            HostVcpus::current()->post(1, [c] {
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                c->complete();
            });
            completed += c->wait() == Error::none;
            delete c;
        }
    }));
    host.set_kick_delay_us(0, 0);
    EXPECT_EQ(completed, 5);
}

#if defined(__SANITIZE_ADDRESS__)
// The old pattern (run_queued_calls, finish_switch before the Completion): set
// a flag, then wake a queue living in the object. A waiter that sees the flag
// without sleeping frees the object while the waker is between the two steps.
// Widened to 20 ms here so it fails every time: ASan reports the wake_all().
TEST(CompletionDeathTest, TheOldSetFlagThenWakePatternIsAUseAfterFree) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    struct OldDone {
        bool done = false;
        WaitQueue waiters;
    };
    auto run = [] {
        HostVcpus host(2);
        (void)host.run_on(0, [] {
            auto* d = new OldDone;
            HostVcpus::current()->post(1, [d] {
                __atomic_store_n(&d->done, true, __ATOMIC_RELEASE);
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
                d->waiters.wake_all();
            });
            // The waiter that checks the flag before it would sleep: it sees
            // "done" and frees the object while the setter is still to wake.
            // (Polling, not wait_if: a waiter that blocked first would only be
            // released by wake_all, and a slow host would hide the race.)
            while (!__atomic_load_n(&d->done, __ATOMIC_ACQUIRE))
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            delete d;
            std::this_thread::sleep_for(std::chrono::milliseconds(400));
        });
    };
    EXPECT_DEATH(run(), "heap-use-after-free");
}
#endif

// join() on one vCPU of a thread that runs and exits on another: the joiner
// frees it as soon as join returns, racing the exiting vCPU's switch away.
TEST(ThreadJoin, JoiningAThreadOnAnotherVcpuFreesItSafely) {
    HostVcpus host(2);
    constexpr int kRounds = 500;
    std::atomic<int> ran{0};
    int joined = 0;
    ASSERT_TRUE(host.run_on(1, [&] {
        std::minstd_rand random(3);
        for (int i = 0; i < kRounds; ++i) {
            struct Arg {
                std::atomic<int>* ran;
                uint64_t spin;
                bool yield;
            } arg{&ran, random() % 20'000, (random() & 1) != 0};
            auto t = HostVcpus::current()->scheduler(0).spawn("short", [](void* p) {
                auto* a = static_cast<Arg*>(p);
                if (a->yield) this_scheduler().yield();
                spin_for_ns(a->spin);
                ++*a->ran;
            }, &arg);
            ASSERT_FALSE(t.is_error());
            joined += this_scheduler().join(t.value()) == Error::none;
        }
    }));
    EXPECT_EQ(joined, kRounds);
    EXPECT_EQ(ran.load(), kRounds);
}

// The exiting thread's vCPU is slow to kick the joiner's (20 ms, after the
// completions' unlocks): the joiner frees the thread meanwhile, which nothing
// on the exiting side may touch any more.
TEST(ThreadJoin, TheJoinerWaitsForTheExitingVcpuToLetGo) {
    HostVcpus host(2);
    host.set_kick_delay_us(1, 20'000);
    Error result = Error::busy;
    ASSERT_TRUE(host.run_on(1, [&] {
        auto t = HostVcpus::current()->scheduler(0).spawn("exits", [](void*) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the joiner blocks first
        }, nullptr);
        ASSERT_FALSE(t.is_error());
        result = this_scheduler().join(t.value());
    }));
    host.set_kick_delay_us(1, 0);
    EXPECT_EQ(result, Error::none);
}
