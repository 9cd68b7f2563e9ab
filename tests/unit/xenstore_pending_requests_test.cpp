// PendingRequests: a reply completes its request exactly once.
#include "drivers/xenstore/pending_requests.h"
#include "drivers/xenstore/wire.h"

#include <gtest/gtest.h>

using namespace torpor;
using namespace torpor::xs;

namespace {
String str(const char* s) { return String::copy_of(s).release_value(); }
constexpr uint32_t kRead = uint32_t(MessageType::read);
}  // namespace

TEST(XenstorePendingRequests, AReplyCompletesItsRequestAndUnlinksIt) {
    PendingRequests table;
    PendingRequest a, b;
    a.id = 1;
    b.id = 2;
    table.add(&a);
    table.add(&b);
    EXPECT_EQ(table.count(), 2u);
    PendingRequest* r = table.complete(2, kRead, Error::none, str("two"));
    ASSERT_EQ(r, &b);
    EXPECT_TRUE(b.complete);
    EXPECT_STREQ(b.payload.c_str(), "two");
    EXPECT_EQ(b.reply_type, kRead);
    EXPECT_FALSE(a.complete);
    EXPECT_EQ(table.count(), 1u);
}

TEST(XenstorePendingRequests, ADuplicateReplyNeverOverwritesTheFirst) {
    PendingRequests table;
    PendingRequest a;
    a.id = 7;
    table.add(&a);
    ASSERT_EQ(table.complete(7, kRead, Error::none, str("first")), &a);
    EXPECT_EQ(table.complete(7, kRead, Error::none, str("second")), nullptr);
    EXPECT_STREQ(a.payload.c_str(), "first");
    EXPECT_FALSE(table.withdraw(&a)) << "a completed request is no longer in the table";
}

TEST(XenstorePendingRequests, AWithdrawnRequestIsOutOfReachOfALateReply) {
    PendingRequests table;
    PendingRequest a;
    a.id = 3;
    table.add(&a);
    EXPECT_TRUE(table.withdraw(&a));
    EXPECT_EQ(table.complete(3, kRead, Error::none, str("late")), nullptr);
    EXPECT_FALSE(a.complete);
    EXPECT_TRUE(a.payload.is_empty());
    EXPECT_TRUE(table.is_empty());
}

TEST(XenstorePendingRequests, AnErrorReplyCompletesWithItsError) {
    PendingRequests table;
    PendingRequest a;
    a.id = 4;
    table.add(&a);
    ASSERT_EQ(table.complete(4, uint32_t(MessageType::error), Error::not_found, String()), &a);
    EXPECT_EQ(a.error, Error::not_found);
}
