#include "base/assert.h"
#include "base/log.h"
#include "base/panic.h"

#include <gtest/gtest.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

namespace {

std::string early_output;
std::string ring_output;

void early_sink(const char* text, size_t length) { early_output.append(text, length); }
void ring_sink(const char* text, size_t length) { ring_output.append(text, length); }

struct LogSinks : ::testing::Test {
    void SetUp() override {
        torpor::set_early_log_sink(nullptr);
        torpor::set_log_sink(nullptr);
        early_output.clear();
        ring_output.clear();
    }
    void TearDown() override { SetUp(); }
};

TEST_F(LogSinks, OutputBeforeAnySinkIsDropped) {
    torpor::klog("nobody hears %d", 1);
    torpor::set_early_log_sink(early_sink);
    torpor::klog("now %s", "heard");
    EXPECT_EQ(early_output, "now heard\n");
}

TEST_F(LogSinks, RegisteredSinkTakesOverAndNullFallsBackToTheEarlyOne) {
    torpor::set_early_log_sink(early_sink);
    torpor::set_log_sink(ring_sink);
    torpor::klog("to the ring");
    torpor::set_log_sink(nullptr);
    torpor::klog("to the early console");
    EXPECT_EQ(ring_output, "to the ring\n");
    EXPECT_EQ(early_output, "to the early console\n");
}

TEST_F(LogSinks, RegisteringTheEarlySinkLeavesAConnectedSinkInPlace) {
    torpor::set_log_sink(ring_sink);
    torpor::set_early_log_sink(early_sink);
    torpor::klog("still the ring");
    EXPECT_EQ(ring_output, "still the ring\n");
    EXPECT_EQ(early_output, "");
}

TEST_F(LogSinks, LongLinesAreCutAndStillEndTheLine) {
    torpor::set_early_log_sink(early_sink);
    torpor::klog("%s", std::string(2000, 'x').c_str());
    ASSERT_EQ(early_output.size(), 511u);
    EXPECT_EQ(early_output.back(), '\n');
}

void stderr_sink(const char* text, size_t length) { (void)!write(2, text, length); }
void exit_42() { _exit(42); }

// A panic in a forked child (death test): output to stderr, crash = exit 42.
void route_panics_to_stderr() {
    torpor::set_early_log_sink(stderr_sink);
    torpor::set_log_sink(nullptr);
    torpor::set_crash_action(exit_42);
}

TEST(Panic, LogsTheReasonThenRunsTheCrashAction) {
    EXPECT_EXIT(
        {
            route_panics_to_stderr();
            torpor::kpanic("cannot go on: %d", 7);
        },
        ::testing::ExitedWithCode(42),
        "^torpor: PANIC on vcpu 0 \\(thread boot\\): cannot go on: 7\n"
        "torpor: panic: backtrace \\(0 frames.*\n"
        "torpor: panic: crashing the domain\n$");
}

// The hooks the layers above register, faked: vCPU 3, thread "worker", two frames.
std::string events;
unsigned fake_cpu = 3;
unsigned cpu_id() { return fake_cpu; }
void stop_others() {
    events += "stop;";
    torpor::klog("torpor: panic: stopped 1 other vCPU");
}
const char* thread_name() { return "worker"; }
size_t two_frames(const torpor::PanicContext& where, uintptr_t* out, size_t max) {
    size_t n = 0;
    if (where.rip && n < max) out[n++] = where.rip;
    if (n < max) out[n++] = 0xffffffff80001234;
    return n;
}
void drain(uint64_t) { stderr_sink("[drained]\n", 10); }
void normal_sink(const char*, size_t) { stderr_sink("[normal sink]\n", 14); }

void install_fakes() {
    route_panics_to_stderr();
    torpor::PanicHooks h;
    h.cpu_id = cpu_id;
    h.stop_other_cpus = stop_others;
    h.thread_name = thread_name;
    h.backtrace = two_frames;
    torpor::set_panic_hooks(h);
    // A connected console: normal writes and its panic path differ.
    torpor::set_log_sink(normal_sink, stderr_sink, drain);
}

TEST(Panic, StopsTheOthersFirstThenNamesCpuAndThreadPrintsFramesDrainsAndCrashes) {
    EXPECT_EXIT(
        {
            install_fakes();
            torpor::PanicContext where;
            where.rip = 0xffffffff80000abc;
            where.rsp = where.rbp = 0x1000;
            torpor::kpanic_at(where, "trap %d", 14);
        },
        ::testing::ExitedWithCode(42),
        "^torpor: panic: stopped 1 other vCPU\n"
        "torpor: PANIC on vcpu 3 \\(thread worker\\): trap 14\n"
        "torpor: panic: backtrace \\(2 frames, innermost first.*\n"
        "torpor: panic:   #0 0xffffffff80000abc \\(faulting instruction\\)\n"
        "torpor: panic:   #1 0xffffffff80001234\n"
        "torpor: panic: crashing the domain\n"
        "\\[drained\\]\n$");
}

size_t panicking_backtrace(const torpor::PanicContext&, uintptr_t*, size_t) {
    torpor::kpanic("fault inside the backtrace");
}

TEST(Panic, APanicWhileReportingIsReportedAsNestedAndStillCrashes) {
    EXPECT_EXIT(
        {
            install_fakes();
            torpor::PanicHooks h;
            h.backtrace = panicking_backtrace;
            torpor::set_panic_hooks(h);
            torpor::kpanic("first");
        },
        ::testing::ExitedWithCode(42),
        "torpor: PANIC on vcpu 3 \\(thread worker\\): first\n"
        "torpor: PANIC \\(nested, while reporting the panic above\\) on vcpu 3: fault inside "
        "the backtrace\n"
        // the nested report's own backtrace panics again: one fixed line, then the crash
        "torpor: PANIC: fault while reporting a nested panic; crashing\n$");
}

void panicking_stop() { torpor::kpanic("fault while stopping the others"); }

TEST(Panic, ANestedPanicBeforeTheFirstHeaderStillNamesCpuAndThread) {
    EXPECT_EXIT(
        {
            install_fakes();
            torpor::PanicHooks h;
            h.stop_other_cpus = panicking_stop;
            torpor::set_panic_hooks(h);
            torpor::kpanic("never printed %s", "as such");
        },
        ::testing::ExitedWithCode(42),
        "^torpor: PANIC on vcpu 3 \\(thread worker\\): \\(its report was cut short by a "
        "nested panic; see below\\)\n"
        "torpor: PANIC \\(nested, while reporting the panic above\\) on vcpu 3: fault while "
        "stopping the others\n");
}

void exit_33() { _exit(33); }
void second_cpu_panics() {
    fake_cpu = 5;  // as if vCPU 5 panicked while vCPU 3 reports
    torpor::kpanic("second");
}

TEST(Panic, AnotherCpuThatPanicsMeanwhileParksItselfSilently) {
    EXPECT_EXIT(
        {
            install_fakes();
            torpor::PanicHooks h;
            h.stop_other_cpus = second_cpu_panics;
            h.park_this_cpu = exit_33;
            torpor::set_panic_hooks(h);
            torpor::kpanic("first");
        },
        ::testing::ExitedWithCode(33), "^$");
}

TEST(Panic, OnceItStartsTheLogTakesThePanicPath) {
    EXPECT_EXIT(
        {
            install_fakes();
            torpor::klog("before");
            torpor::kpanic("now");
        },
        ::testing::ExitedWithCode(42), "^\\[normal sink\\]\ntorpor: panic: stopped");
}

TEST(Panic, AFailedVerifyPanicsWithConditionFileLineAndFunction) {
    EXPECT_EXIT(
        {
            install_fakes();
            int x = 1;
            VERIFY(x == 2);
        },
        ::testing::ExitedWithCode(42),
        "torpor: PANIC on vcpu 3 \\(thread worker\\): VERIFY\\(x == 2\\) failed at "
        ".*log_panic_test\\.cpp:[0-9]+ in TestBody\\(\\)\n");
}

}  // namespace
