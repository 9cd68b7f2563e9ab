// lwIP's sys_arch as lwIP calls it (kernel/net/lwip_port/sys_arch.cpp, through
// lwIP's own <lwip/sys.h>), on the ucontext scheduler with a fake monotonic
// clock that idle advances to the next timer: timeouts in ms with 0 meaning
// forever, SYS_ARCH_TIMEOUT versus elapsed ms, mailbox full/empty codes, the
// core-lock assertion, threads and the protect lock. Built only when the lwIP
// cache exists (TORPOR_LWIP_DIR), since it compiles against lwIP's headers.
#include <lwip/err.h>
#include <lwip/sys.h>
#include <lwip/tcpip.h>

#include <gtest/gtest.h>
#include <ucontext.h>

#include <cstdio>
#include <cstdlib>

#include "base/log.h"
#include "base/panic.h"
#include "kernel/sched/scheduler.h"
#include "kernel/time/clock.h"
#include "tests/unit/host_vcpus.h"

using namespace torpor;
using namespace torpor::sched;

// What tcpip.c defines in the kernel; here the tests set it.
sys_mutex_t lock_tcpip_core = nullptr;

namespace {

uint64_t fake_now = 1'000'000'000;  // the monotonic clock starts at 1 s
TimerQueue timers;
Scheduler scheduler;
bool masked = false;

void switch_context(Thread* from, Thread* to) {
    swapcontext(static_cast<ucontext_t*>(from->platform), static_cast<ucontext_t*>(to->platform));
}
void start_thread(unsigned hi, unsigned lo) {
    thread_main(reinterpret_cast<Thread*>((uintptr_t(hi) << 32) | lo));
}
Error prepare_thread(Thread* t) {
    t->stack = malloc(t->stack_size);
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

class LwipSysArch : public ::testing::Test {
protected:
    void SetUp() override {
        fake_now = 1'000'000'000;
        timers = TimerQueue();
        masked = false;
        boot = new Thread;
        boot->name = "boot";
        boot->platform = new ucontext_t;
        scheduler = Scheduler();
        scheduler.init(&hooks, boot, 0);
        test::set_this_scheduler(&scheduler);
        lock_tcpip_core = nullptr;
    }
    void TearDown() override {
        // Detached threads that exited wait on the zombie list for the next spawn.
        (void)scheduler.spawn_detached("reaper", [](void*) {}, nullptr);
        scheduler.yield();
        test::set_this_scheduler(nullptr);
        delete static_cast<ucontext_t*>(boot->platform);
        delete boot;
    }
    Thread* boot = nullptr;
};

}  // namespace

// The kernel's clock, faked.
namespace torpor::clock {
uint64_t monotonic_ns() { return fake_now; }
uint64_t wall_clock_ns() { return fake_now; }
}  // namespace torpor::clock

TEST_F(LwipSysArch, NowIsTheMonotonicClockInMilliseconds) {
    EXPECT_EQ(sys_now(), 1000u);
    fake_now += 2'500'000;
    EXPECT_EQ(sys_now(), 1002u);
}

TEST_F(LwipSysArch, SemaphoreWaitTimesOutOrReportsTheMillisecondsItWaited) {
    static sys_sem_t sem;
    ASSERT_EQ(sys_sem_new(&sem, 0), ERR_OK);
    ASSERT_TRUE(sys_sem_valid(&sem));
    static u32_t timed_out, woken;
    static uint64_t timed_out_at;
    auto t = scheduler.spawn("waiter", [](void*) {
        timed_out = sys_arch_sem_wait(&sem, 5);
        timed_out_at = fake_now;
        woken = sys_arch_sem_wait(&sem, 0);  // forever
    }, nullptr);
    ASSERT_FALSE(t.is_error());
    // Let it time out, then signal it 3 ms into its second (unbounded) wait.
    Timer later;
    later.callback = [](Timer*) { sys_sem_signal(&sem); };
    timers.add(&later, fake_now + 8'000'000);
    EXPECT_EQ(scheduler.join(t.value()), Error::none);
    EXPECT_EQ(timed_out, SYS_ARCH_TIMEOUT);
    EXPECT_EQ(timed_out_at, 1'005'000'000u);
    EXPECT_EQ(woken, 3u);
    sys_sem_signal(&sem);
    EXPECT_EQ(sys_arch_sem_wait(&sem, 100), 0u) << "a unit already there: no wait, not a timeout";
    sys_sem_free(&sem);
    sys_sem_set_invalid(&sem);
    EXPECT_FALSE(sys_sem_valid(&sem));
}

TEST_F(LwipSysArch, MailboxCodesAreLwipsOwn) {
    sys_mbox_t box;
    EXPECT_EQ(sys_mbox_new(&box, 0), ERR_VAL);
    ASSERT_EQ(sys_mbox_new(&box, 2), ERR_OK);
    int a, b, c;
    EXPECT_EQ(sys_mbox_trypost(&box, &a), ERR_OK);
    EXPECT_EQ(sys_mbox_trypost_fromisr(&box, nullptr), ERR_OK);
    EXPECT_EQ(sys_mbox_trypost(&box, &c), ERR_MEM);
    void* m = &b;
    EXPECT_EQ(sys_arch_mbox_tryfetch(&box, &m), 0u);
    EXPECT_EQ(m, &a);
    EXPECT_EQ(sys_arch_mbox_fetch(&box, &m, 1), 0u);
    EXPECT_EQ(m, nullptr) << "a null message is a message";
    EXPECT_EQ(sys_arch_mbox_tryfetch(&box, &m), SYS_MBOX_EMPTY);
    sys_mbox_free(&box);
    EXPECT_FALSE(sys_mbox_valid(&box));
}

TEST_F(LwipSysArch, MailboxFetchWaitsForAPosterAndTimesOut) {
    static sys_mbox_t box;
    ASSERT_EQ(sys_mbox_new(&box, 4), ERR_OK);
    static u32_t first, second;
    static void* got;
    static int payload;
    auto t = scheduler.spawn("fetcher", [](void*) {
        first = sys_arch_mbox_fetch(&box, &got, 7);
        second = sys_arch_mbox_fetch(&box, &got, 0);
    }, nullptr);
    ASSERT_FALSE(t.is_error());
    scheduler.yield();  // it waits, bounded
    (void)scheduler.spawn_detached("poster", [](void*) {
        this_scheduler().sleep_until(fake_now + 20'000'000);
        sys_mbox_post(&box, &payload);
    }, nullptr);
    EXPECT_EQ(scheduler.join(t.value()), Error::none);
    EXPECT_EQ(first, SYS_ARCH_TIMEOUT);
    EXPECT_EQ(second, 13u) << "posted 20 ms after the first wait began, 7 ms of which timed out";
    EXPECT_EQ(got, &payload);
    sys_mbox_free(&box);
}

TEST_F(LwipSysArch, ThreadsRunTheirFunctionOnThisVcpu) {
    static int ran_with;
    static unsigned ran_on = 99;
    static int arg = 42;
    sys_thread_t id = sys_thread_new("lwip-test", [](void* a) {
        ran_with = *static_cast<int*>(a);
        ran_on = this_scheduler().cpu();
    }, &arg, 0, 0);
    EXPECT_GT(id, 0);
    scheduler.yield();
    EXPECT_EQ(ran_with, 42);
    EXPECT_EQ(ran_on, 0u);
}

TEST_F(LwipSysArch, ProtectNestsAndRestoresTheEventMask) {
    sys_prot_t outer = sys_arch_protect();
    EXPECT_TRUE(masked);
    sys_prot_t inner = sys_arch_protect();
    sys_arch_unprotect(inner);
    EXPECT_TRUE(masked);
    sys_arch_unprotect(outer);
    EXPECT_FALSE(masked);
}

TEST_F(LwipSysArch, CoreLockAssertionPassesForTheHolderAndDuringInit) {
    torpor_lwip_assert_core_locked();  // no lock yet: tcpip_init's lwip_init()
    ASSERT_EQ(sys_mutex_new(&lock_tcpip_core), ERR_OK);
    LOCK_TCPIP_CORE();
    torpor_lwip_assert_core_locked();
    UNLOCK_TCPIP_CORE();
    sys_mutex_free(&lock_tcpip_core);
}

void panic_to_stderr(const char* text, size_t length) { fwrite(text, 1, length, stderr); }

TEST_F(LwipSysArch, CoreCalledWithoutTheLockPanicsNamingTheThread) {
    ASSERT_EQ(sys_mutex_new(&lock_tcpip_core), ERR_OK);
    EXPECT_DEATH(
        {
            set_early_log_sink(panic_to_stderr);
            set_crash_action([] { abort(); });
            torpor_lwip_assert_core_locked();
        },
        "core called without the core lock by thread boot");
    sys_mutex_free(&lock_tcpip_core);
}
