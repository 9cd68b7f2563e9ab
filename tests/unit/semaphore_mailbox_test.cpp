// Semaphore, Mailbox and CpuRecursiveLock (kernel/sync), the pieces lwIP's
// sys_arch stands on: first on one vCPU with real ucontext switching and a fake
// clock that idle advances to the next timer (as scheduler_test.cpp), then on
// several host vCPUs (real OS threads) under ASan.
#include <gtest/gtest.h>
#include <ucontext.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "kernel/net/lwip_port/wait_time.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/cpu_recursive_lock.h"
#include "kernel/sync/mailbox.h"
#include "kernel/sync/semaphore.h"
#include "tests/unit/host_vcpus.h"

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
        abort();
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

class OneVcpu : public ::testing::Test {
protected:
    void SetUp() override {
        fake_now = 0;
        timers = TimerQueue();
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
    Thread* spawn(const char* name, Thread::Entry entry, void* arg) {
        auto t = scheduler.spawn(name, entry, arg);
        EXPECT_FALSE(t.is_error());
        return t.value();
    }
    Thread* boot = nullptr;
};

// ---- Semaphore ---------------------------------------------------------------

TEST_F(OneVcpu, SemaphoreSignalBeforeWaitIsKept) {
    Semaphore sem;
    sem.signal();
    EXPECT_EQ(sem.count(), 1u);
    EXPECT_EQ(sem.wait(), Error::none);
    EXPECT_EQ(sem.count(), 0u);
    EXPECT_EQ(idle_calls, 0) << "a unit already there must not make the waiter sleep";
}

TEST_F(OneVcpu, SemaphoreCountsEverySignal) {
    Semaphore sem(2);
    sem.signal();
    EXPECT_TRUE(sem.try_wait());
    EXPECT_TRUE(sem.try_wait());
    EXPECT_TRUE(sem.try_wait());
    EXPECT_FALSE(sem.try_wait());
    EXPECT_EQ(sem.count(), 0u);
}

TEST_F(OneVcpu, SemaphoreWaiterSleepsUntilSignalled) {
    static Semaphore* sem;
    static Error result;
    Semaphore s;
    sem = &s;
    result = Error::busy;
    Thread* t = spawn("waiter", [](void*) { result = sem->wait(); }, nullptr);
    scheduler.yield();
    EXPECT_EQ(t->state, ThreadState::blocked);
    EXPECT_TRUE(s.has_waiters());
    s.signal();
    EXPECT_EQ(scheduler.join(t), Error::none);
    EXPECT_EQ(result, Error::none);
    EXPECT_EQ(s.count(), 0u) << "the waiter took the unit";
    EXPECT_FALSE(s.has_waiters());
}

TEST_F(OneVcpu, SemaphoreTimedWaitEndsAtTheDeadlineNotBefore) {
    static Semaphore* sem;
    static Error result;
    static uint64_t returned_at;
    Semaphore s;
    sem = &s;
    Thread* t = spawn("waiter", [](void*) {
        result = sem->wait(/*deadline_ns=*/5'000'000);
        returned_at = fake_now;
    }, nullptr);
    EXPECT_EQ(scheduler.join(t), Error::none);
    EXPECT_EQ(result, Error::timed_out);
    EXPECT_GE(returned_at, 5'000'000u);
    EXPECT_FALSE(s.has_waiters());
    EXPECT_TRUE(timers.is_empty());
}

TEST_F(OneVcpu, SemaphoreOneSignalWakesOneOfTwoWaiters) {
    static Semaphore* sem;
    static int done;
    Semaphore s;
    sem = &s;
    done = 0;
    auto body = [](void*) {
        if (sem->wait() == Error::none) ++done;
    };
    Thread* a = spawn("a", body, nullptr);
    Thread* b = spawn("b", body, nullptr);
    scheduler.yield();
    s.signal();
    scheduler.yield();
    scheduler.yield();
    EXPECT_EQ(done, 1);
    EXPECT_TRUE(s.has_waiters()) << "the second waiter must still be asleep";
    s.signal();
    EXPECT_EQ(scheduler.join(a), Error::none);
    EXPECT_EQ(scheduler.join(b), Error::none);
    EXPECT_EQ(done, 2);
}

TEST_F(OneVcpu, SemaphoreSignalFromAnEventHandlerWakesATimedWaiter) {
    static Semaphore* sem;
    static Error result;
    static uint64_t returned_at;
    Semaphore s;
    sem = &s;
    // The "event": a timer callback (runs from idle, like an upcall) at 2 ms.
    Timer event;
    event.callback = [](Timer*) { sem->signal(); };
    timers.add(&event, 2'000'000);
    Thread* t = spawn("waiter", [](void*) {
        result = sem->wait(/*deadline_ns=*/10'000'000);
        returned_at = fake_now;
    }, nullptr);
    EXPECT_EQ(scheduler.join(t), Error::none);
    EXPECT_EQ(result, Error::none);
    EXPECT_EQ(returned_at, 2'000'000u);
    EXPECT_TRUE(timers.is_empty()) << "the waiter's own timeout must be cancelled";
}

// ---- Mailbox -----------------------------------------------------------------

TEST_F(OneVcpu, MailboxRejectsZeroCapacity) {
    auto box = Mailbox::create(0);
    ASSERT_TRUE(box.is_error());
    EXPECT_EQ(box.error(), Error::invalid_argument);
}

TEST_F(OneVcpu, MailboxIsFifoAcrossWrapAroundAndCarriesNull) {
    auto created = Mailbox::create(3);
    ASSERT_FALSE(created.is_error());
    Mailbox* box = created.value();
    int values[10];
    int next_in = 0, next_out = 0;
    for (int round = 0; round < 10; ++round) {
        // Two in, one or two out: the ring's head walks around it.
        for (int k = 0; k < 2 && box->count() < box->capacity(); ++k) {
            void* m = next_in % 4 == 3 ? nullptr : &values[next_in % 10];
            ASSERT_EQ(box->try_post(m), Error::none);
            ++next_in;
        }
        for (int k = 0; k < 1 + round % 2; ++k) {
            void* m = reinterpret_cast<void*>(1);
            if (!box->try_fetch(&m)) break;
            void* expected = next_out % 4 == 3 ? nullptr : &values[next_out % 10];
            EXPECT_EQ(m, expected) << "message " << next_out;
            ++next_out;
        }
    }
    EXPECT_GT(next_out, 8);
    EXPECT_EQ(size_t(next_in - next_out), box->count());
    delete box;
}

TEST_F(OneVcpu, MailboxTryFormsReportFullAndEmpty) {
    Mailbox* box = Mailbox::create(1).value();
    void* m = nullptr;
    EXPECT_FALSE(box->try_fetch(&m));
    EXPECT_EQ(box->try_post(&m), Error::none);
    EXPECT_EQ(box->try_post(&m), Error::busy);
    EXPECT_TRUE(box->try_fetch(nullptr)) << "a null destination drops the message";
    EXPECT_EQ(box->count(), 0u);
    delete box;
}

TEST_F(OneVcpu, MailboxFetchSleepsUntilAPostAndPostSleepsWhileFull) {
    static Mailbox* box;
    static std::vector<std::string> trace;
    trace.clear();
    box = Mailbox::create(1).value();
    static int a, b, c;
    Thread* consumer = spawn("consumer", [](void*) {
        for (int i = 0; i < 3; ++i) {
            void* m = nullptr;
            EXPECT_EQ(box->fetch(&m), Error::none);
            trace.push_back(m == &a ? "got a" : m == &b ? "got b" : m == &c ? "got c" : "?");
        }
    }, nullptr);
    scheduler.yield();
    EXPECT_EQ(consumer->state, ThreadState::blocked) << "fetch on an empty mailbox sleeps";
    Thread* producer = spawn("producer", [](void*) {
        for (int* p : {&a, &b, &c}) {
            EXPECT_EQ(box->post(p), Error::none);
            trace.push_back("posted");
        }
    }, nullptr);
    EXPECT_EQ(scheduler.join(producer), Error::none);
    EXPECT_EQ(scheduler.join(consumer), Error::none);
    // Capacity 1: the producer can never be more than one message ahead.
    int ahead = 0, max_ahead = 0;
    for (auto& s : trace) {
        ahead += s == "posted" ? 1 : -1;
        max_ahead = std::max(max_ahead, ahead);
    }
    EXPECT_EQ(max_ahead, 1);
    EXPECT_EQ(trace.back(), "got c");
    EXPECT_EQ(std::count(trace.begin(), trace.end(), "got a"), 1);
    EXPECT_FALSE(box->has_waiters());
    delete box;
}

TEST_F(OneVcpu, MailboxTimedFetchAndPostGiveUpAtTheirDeadlines) {
    static Mailbox* box;
    static Error fetch_result, post_result;
    static uint64_t fetch_at, post_at;
    static void* fetched;
    box = Mailbox::create(1).value();
    fetched = &fetched;
    Thread* t = spawn("fetcher", [](void*) {
        fetch_result = box->fetch(&fetched, 3'000'000);
        fetch_at = fake_now;
        ASSERT_EQ(box->try_post(nullptr), Error::none);
        post_result = box->post(&fetched, 7'000'000);  // full: times out
        post_at = fake_now;
    }, nullptr);
    EXPECT_EQ(scheduler.join(t), Error::none);
    EXPECT_EQ(fetch_result, Error::timed_out);
    EXPECT_EQ(fetched, &fetched) << "a timed-out fetch leaves the destination alone";
    EXPECT_GE(fetch_at, 3'000'000u);
    EXPECT_EQ(post_result, Error::timed_out);
    EXPECT_GE(post_at, 7'000'000u);
    EXPECT_EQ(box->count(), 1u) << "the timed-out post added nothing";
    EXPECT_FALSE(box->has_waiters());
    delete box;
}

TEST_F(OneVcpu, MailboxPostFromAnEventHandlerWakesAFetcher) {
    static Mailbox* box;
    static void* got;
    static uint64_t got_at;
    static int payload;
    box = Mailbox::create(4).value();
    Timer event;
    event.callback = [](Timer*) { EXPECT_EQ(box->try_post(&payload), Error::none); };
    timers.add(&event, 1'000'000);
    Thread* t = spawn("fetcher", [](void*) {
        EXPECT_EQ(box->fetch(&got, 50'000'000), Error::none);
        got_at = fake_now;
    }, nullptr);
    EXPECT_EQ(scheduler.join(t), Error::none);
    EXPECT_EQ(got, &payload);
    EXPECT_EQ(got_at, 1'000'000u);
    delete box;
}

// ---- CpuRecursiveLock --------------------------------------------------------

TEST_F(OneVcpu, RecursiveLockNestsAndRestoresTheEventMask) {
    CpuRecursiveLock lock;
    EXPECT_FALSE(lock.held_here());
    auto outer = lock.enter();
    EXPECT_TRUE(masked);
    EXPECT_FALSE(outer.nested);
    EXPECT_FALSE(outer.was_masked);
    auto inner = lock.enter();
    EXPECT_TRUE(inner.nested);
    EXPECT_TRUE(inner.was_masked);
    EXPECT_EQ(lock.depth(), 2u);
    lock.leave(inner);
    EXPECT_TRUE(lock.held_here());
    EXPECT_TRUE(masked) << "leaving the inner section keeps events masked";
    lock.leave(outer);
    EXPECT_FALSE(lock.held_here());
    EXPECT_FALSE(masked) << "leaving the outer section restores the mask as it was";
}

// ---- lwIP's timeouts ---------------------------------------------------------

TEST(LwipWaitTime, ZeroMeansForeverAndDeadlinesAreAbsolute) {
    using namespace torpor::lwip_port;
    EXPECT_EQ(deadline_after_ms(123, 0), 0u);
    EXPECT_EQ(deadline_after_ms(1'000, 5), 5'001'000u);
    EXPECT_EQ(deadline_after_ms(~uint64_t(0) - 4'999'999, 5), 1u) << "never 0 (no deadline)";
    EXPECT_EQ(elapsed_ms(1'000'000, 4'999'999), 3u);
    EXPECT_EQ(elapsed_ms(5, 1), 0u) << "a clock that went back counts as no time";
    EXPECT_EQ(elapsed_ms(0, uint64_t(kTimedOut) * 1'000'000 + 7), kTimedOut - 1)
        << "a long successful wait must not read as a timeout";
    EXPECT_EQ(thread_stack_size(0), kDefaultStack);
    EXPECT_EQ(thread_stack_size(-1), kDefaultStack);
    EXPECT_EQ(thread_stack_size(1024), kMinStack);
    EXPECT_EQ(thread_stack_size(1 << 20), size_t(1) << 20);
}

// ---- across host vCPUs -------------------------------------------------------

TEST(SyncAcrossVcpus, MailboxDeliversEveryMessageExactlyOnce) {
    constexpr unsigned kProducers = 2, kConsumers = 2;
    constexpr uintptr_t kPerProducer = 20'000;
    test::HostVcpus host(kProducers + kConsumers);
    Mailbox* box = Mailbox::create(8).value();
    std::vector<std::atomic<uint8_t>> seen(kProducers * kPerProducer + 1);
    std::atomic<uint64_t> received{0};
    std::vector<std::thread> drivers;
    for (unsigned p = 0; p < kProducers; ++p) {
        drivers.emplace_back([&, p] {
            EXPECT_TRUE(host.run_on(p, [&, p] {
                for (uintptr_t i = 1; i <= kPerProducer; ++i)
                    EXPECT_EQ(box->post(reinterpret_cast<void*>(p * kPerProducer + i)), Error::none);
            }, 60'000));
        });
    }
    for (unsigned c = 0; c < kConsumers; ++c) {
        drivers.emplace_back([&, c] {
            EXPECT_TRUE(host.run_on(kProducers + c, [&] {
                for (;;) {
                    void* m = nullptr;
                    // Bounded: once every message is in, the last fetches time out.
                    if (box->fetch(&m, test::host_now_ns() + 200'000'000) != Error::none) {
                        if (received.load() == kProducers * kPerProducer) return;
                        continue;
                    }
                    auto v = reinterpret_cast<uintptr_t>(m);
                    ASSERT_GT(v, 0u);
                    ASSERT_LT(v, seen.size());
                    seen[v].fetch_add(1);
                    received.fetch_add(1);
                }
            }, 60'000));
        });
    }
    for (auto& d : drivers) d.join();
    EXPECT_EQ(received.load(), kProducers * kPerProducer);
    for (size_t v = 1; v < seen.size(); ++v) ASSERT_EQ(seen[v].load(), 1) << "message " << v;
    EXPECT_EQ(box->count(), 0u);
    delete box;
}

TEST(SyncAcrossVcpus, SemaphorePingPongLosesNoSignal) {
    constexpr int kRounds = 20'000;
    test::HostVcpus host(2);
    Semaphore ping, pong;
    std::thread a([&] {
        EXPECT_TRUE(host.run_on(0, [&] {
            for (int i = 0; i < kRounds; ++i) {
                ping.signal();
                ASSERT_EQ(pong.wait(test::host_now_ns() + 5'000'000'000), Error::none) << i;
            }
        }, 60'000));
    });
    std::thread b([&] {
        EXPECT_TRUE(host.run_on(1, [&] {
            for (int i = 0; i < kRounds; ++i) {
                ASSERT_EQ(ping.wait(test::host_now_ns() + 5'000'000'000), Error::none) << i;
                pong.signal();
            }
        }, 60'000));
    });
    a.join();
    b.join();
    EXPECT_EQ(ping.count(), 0u);
    EXPECT_EQ(pong.count(), 0u);
}

TEST(SyncAcrossVcpus, RecursiveLockExcludesOtherVcpus) {
    constexpr unsigned kVcpus = 4;
    constexpr int kRounds = 50'000;
    test::HostVcpus host(kVcpus);
    CpuRecursiveLock lock;
    uint64_t counter = 0;  // plain: only the lock guards it
    std::atomic<int> inside{0};
    std::atomic<bool> overlap{false};
    std::vector<std::thread> drivers;
    for (unsigned cpu = 0; cpu < kVcpus; ++cpu) {
        drivers.emplace_back([&, cpu] {
            EXPECT_TRUE(host.run_on(cpu, [&] {
                for (int i = 0; i < kRounds; ++i) {
                    auto outer = lock.enter();
                    if (inside.fetch_add(1) != 0) overlap = true;
                    auto inner = lock.enter();  // nested, as lwIP's may be
                    ++counter;
                    lock.leave(inner);
                    inside.fetch_sub(1);
                    lock.leave(outer);
                }
            }, 60'000));
        });
    }
    for (auto& d : drivers) d.join();
    EXPECT_FALSE(overlap.load());
    EXPECT_EQ(counter, uint64_t(kVcpus) * kRounds);
}

}  // namespace
