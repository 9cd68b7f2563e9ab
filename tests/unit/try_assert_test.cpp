// TRY's propagation and VERIFY/ASSERT's checks (kernel/lib/error.h, assert.h).
#include <gtest/gtest.h>

#include <memory>

#include "kernel/lib/assert.h"
#include "kernel/lib/error.h"

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

TEST(VerifyDeathTest, NamesConditionFileLineAndFunction) {
    int x = 1;
    EXPECT_DEATH(VERIFY(x == 2), "VERIFY\\(x == 2\\) failed at .*try_assert_test\\.cpp:[0-9]+ in .*");
}

TEST(AssertDeathTest, IsCheckedInThisBuild) {
    int x = 1;
    EXPECT_DEATH(ASSERT(x == 2), "ASSERT\\(x == 2\\) failed at .*try_assert_test\\.cpp");
}

TEST(VerifyDeathTest, NotReachedAlwaysFails) {
    EXPECT_DEATH(VERIFY_NOT_REACHED(), "VERIFY_NOT_REACHED");
}

// ASSERT compiled out (assert_off.cpp is built with TORPOR_NO_ASSERTS).
int assert_off_evaluations();
TEST(Assert, CompiledOutItNeverEvaluatesTheCondition) { EXPECT_EQ(assert_off_evaluations(), 0); }

#include "kernel/sync/spinlock.h"

TEST(SpinlockDeathTest, UnlockingAFreeLockFailsAVerify) {
    Spinlock lock;
    lock.lock();
    lock.unlock();
    EXPECT_DEATH(lock.unlock(), "VERIFY\\(is_locked\\(\\)\\) failed");
}
