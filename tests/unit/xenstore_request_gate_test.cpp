// RequestGate: what a closed gate lets through and what quiesce waits for.
#include "drivers/xenstore/request_gate.h"

#include <gtest/gtest.h>

using namespace torpor::xs;
using Admission = RequestGate::Admission;

TEST(XenstoreRequestGate, AnOpenGateAdmitsAndCountsUntilFinished) {
    RequestGate g;
    EXPECT_TRUE(g.is_drained());
    ASSERT_EQ(g.begin_request(0), Admission::admitted);
    EXPECT_EQ(g.counts().requests, 1u);
    EXPECT_FALSE(g.is_drained());
    g.finish_request();
    EXPECT_TRUE(g.is_drained());
}

TEST(XenstoreRequestGate, ARequestAdmittedJustBeforeTheFreezeIsWaitedFor) {
    RequestGate g;
    ASSERT_EQ(g.begin_request(0), Admission::admitted);  // passed the gate...
    g.close();                                          // ...then the suspend starts
    EXPECT_FALSE(g.is_drained()) << "quiesce must not miss a request already admitted";
    EXPECT_EQ(g.begin_request(0), Admission::closed) << "new requests wait";
    g.finish_request();
    EXPECT_TRUE(g.is_drained());
}

TEST(XenstoreRequestGate, AClosedGateHoldsNewTransactionsButLetsOpenOnesFinish) {
    RequestGate g;
    ASSERT_EQ(g.begin_transaction_start(), Admission::admitted);
    EXPECT_EQ(g.counts().transactions, 1u) << "a start in flight already counts";
    g.finish_transaction_start(42);
    EXPECT_EQ(g.counts().requests, 0u);
    EXPECT_EQ(g.counts().transactions, 1u);
    EXPECT_TRUE(g.is_open_transaction(42));

    g.close();
    EXPECT_FALSE(g.is_drained());
    EXPECT_EQ(g.begin_transaction_start(), Admission::closed);
    EXPECT_EQ(g.begin_request(7), Admission::closed) << "not a transaction of ours";
    ASSERT_EQ(g.begin_request(42), Admission::admitted) << "the body of an open transaction";
    g.finish_request();
    ASSERT_EQ(g.begin_request(42), Admission::admitted);  // its end
    g.finish_transaction_end(42);
    EXPECT_TRUE(g.is_drained());
    EXPECT_EQ(g.begin_request(42), Admission::closed) << "ended: no longer open";
    g.open();
    EXPECT_EQ(g.begin_request(0), Admission::admitted);
}

TEST(XenstoreRequestGate, AFailedTransactionStartReleasesItsSlot) {
    RequestGate g;
    ASSERT_EQ(g.begin_transaction_start(), Admission::admitted);
    g.finish_transaction_start(0);
    EXPECT_TRUE(g.is_drained());
}

TEST(XenstoreRequestGate, EndingATransactionTwiceOrAnUnknownOneChangesNothing) {
    RequestGate g;
    ASSERT_EQ(g.begin_transaction_start(), Admission::admitted);
    g.finish_transaction_start(5);
    ASSERT_EQ(g.begin_request(5), Admission::admitted);
    g.finish_transaction_end(5);
    ASSERT_EQ(g.begin_request(5), Admission::admitted);
    g.finish_transaction_end(5);
    ASSERT_EQ(g.begin_request(9), Admission::admitted);
    g.finish_transaction_end(9);
    EXPECT_TRUE(g.is_drained());
    ASSERT_EQ(g.begin_request(0), Admission::admitted);
    EXPECT_EQ(g.counts().requests, 1u) << "no count went below zero";
}

TEST(XenstoreRequestGate, TransactionSlotsAreBounded) {
    RequestGate g;
    for (unsigned i = 0; i < RequestGate::kMaxTransactions; ++i) {
        ASSERT_EQ(g.begin_transaction_start(), Admission::admitted);
        g.finish_transaction_start(100 + i);
    }
    EXPECT_EQ(g.begin_transaction_start(), Admission::full);
    ASSERT_EQ(g.begin_request(100), Admission::admitted);
    g.finish_transaction_end(100);
    EXPECT_EQ(g.begin_transaction_start(), Admission::admitted);
}
