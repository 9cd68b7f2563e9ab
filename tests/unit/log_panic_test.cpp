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

TEST(Panic, LogsTheReasonThenRunsTheCrashAction) {
    EXPECT_EXIT(
        {
            torpor::set_early_log_sink(stderr_sink);
            torpor::set_crash_action(exit_42);
            torpor::kpanic("cannot go on: %d", 7);
        },
        ::testing::ExitedWithCode(42), "torpor: PANIC: cannot go on: 7\n");
}

}  // namespace
