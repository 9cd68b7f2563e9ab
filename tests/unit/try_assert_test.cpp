// TRY's propagation and VERIFY/ASSERT's checks (base/error.h, base/assert.h).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "base/assert.h"
#include "base/error.h"
#include "base/log.h"
#include "base/panic.h"
#include "base/spinlock.h"

using namespace torpor;

namespace {

int calls = 0;

Error fails() {
    ++calls;
    return Error::busy;
}
Error succeeds() {
    ++calls;
    return Error::none;
}
ErrorOr<int> number(int n) {
    ++calls;
    if (n < 0) return Error::invalid_argument;
    return n;
}
ErrorOr<std::unique_ptr<int>> boxed(int n) {
    if (n < 0) return Error::out_of_memory;
    return std::make_unique<int>(n);
}

// Each TRY either yields its value or leaves the function with the error.
ErrorOr<int> add(int a, int b) {
    int x = TRY(number(a));
    int y = TRY(number(b));
    return x + y;
}

Error plain_steps(bool fail_second) {
    TRY(succeeds());
    TRY(fail_second ? fails() : succeeds());
    ++calls;  // only reached when both succeeded
    return Error::none;
}

ErrorOr<int> unbox(int n) {
    std::unique_ptr<int> p = TRY(boxed(n));  // move-only values are moved out
    return *p * 2;
}

}  // namespace

TEST(Try, YieldsTheValueOfAnErrorOr) {
    auto r = add(2, 3);
    ASSERT_FALSE(r.is_error());
    EXPECT_EQ(r.value(), 5);
}

TEST(Try, ReturnsTheFirstErrorAndStopsThere) {
    calls = 0;
    auto r = add(-1, 3);
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error(), Error::invalid_argument);
    EXPECT_EQ(calls, 1) << "the second TRY must not run";
}

TEST(Try, PropagatesAPlainError) {
    calls = 0;
    EXPECT_EQ(plain_steps(false), Error::none);
    EXPECT_EQ(calls, 3);
    calls = 0;
    EXPECT_EQ(plain_steps(true), Error::busy);
    EXPECT_EQ(calls, 2);
}

TEST(Try, EvaluatesItsExpressionOnce) {
    calls = 0;
    (void)add(1, 1);
    EXPECT_EQ(calls, 2);
}

TEST(Try, MovesMoveOnlyValuesOut) {
    auto r = unbox(21);
    ASSERT_FALSE(r.is_error());
    EXPECT_EQ(r.value(), 42);
    EXPECT_EQ(unbox(-1).error(), Error::out_of_memory);
}

TEST(Verify, PassesSilentlyWhenTheConditionHolds) {
    int evaluated = 0;
    VERIFY(++evaluated == 1);
    EXPECT_EQ(evaluated, 1) << "VERIFY evaluates its condition exactly once";
}

// A failed check panics (base/panic.cpp); in the forked death-test child the
// panic's output goes to stderr and its crash action aborts.
void stderr_sink(const char* text, size_t length) { (void)!write(2, text, length); }
void crash_by_abort() { abort(); }
void route_panics_to_stderr() {
    set_early_log_sink(stderr_sink);
    set_log_sink(nullptr);
    set_crash_action(crash_by_abort);
}

TEST(VerifyDeathTest, NamesConditionFileLineAndFunction) {
    int x = 1;
    EXPECT_DEATH(
        {
            route_panics_to_stderr();
            VERIFY(x == 2);
        },
        "PANIC on vcpu 0 \\(thread boot\\): VERIFY\\(x == 2\\) failed at "
        ".*try_assert_test\\.cpp:[0-9]+ in TestBody\\(\\)");
}

TEST(AssertDeathTest, IsCheckedInThisBuild) {
    int x = 1;
    EXPECT_DEATH(
        {
            route_panics_to_stderr();
            ASSERT(x == 2);
        },
        "ASSERT\\(x == 2\\) failed at .*try_assert_test\\.cpp");
}

TEST(VerifyDeathTest, NotReachedAlwaysFails) {
    EXPECT_DEATH(
        {
            route_panics_to_stderr();
            VERIFY_NOT_REACHED();
        },
        "VERIFY_NOT_REACHED");
}

// ASSERT compiled out (assert_off.cpp is built with TORPOR_NO_ASSERTS).
int assert_off_evaluations();
TEST(Assert, CompiledOutItNeverEvaluatesTheCondition) { EXPECT_EQ(assert_off_evaluations(), 0); }

TEST(SpinlockDeathTest, UnlockingAFreeLockFailsAVerify) {
    Spinlock lock;
    lock.lock();
    lock.unlock();
    EXPECT_DEATH(
        {
            route_panics_to_stderr();
            lock.unlock();
        },
        "VERIFY\\(is_locked\\(\\)\\) failed");
}
