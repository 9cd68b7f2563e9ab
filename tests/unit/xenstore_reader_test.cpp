// RingReader against a fake response ring: reassembly across passes and the
// ring's wrap, the message budget, and resynchronisation on impossible indices
// or headers.
#include "drivers/xenstore/reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace torpor;
using namespace torpor::xs;

namespace {

std::string message(uint32_t type, uint32_t req_id, const std::string& payload) {
    std::string m(16, '\0');
    uint32_t h[4] = {type, req_id, 0, uint32_t(payload.size())};
    memcpy(m.data(), h, 16);
    return m + payload;
}
std::string reply(MessageType type, uint32_t req_id, const std::string& payload) {
    return message(uint32_t(type), req_id, payload);
}
std::string event(const std::string& path, const std::string& token) {
    return reply(MessageType::watch_event, 0, path + '\0' + token + '\0');
}

struct FakeRing {
    char rsp[kRingSize] = {};
    uint32_t prod = 0;
    uint32_t cons = 0;
    void put(const std::string& bytes) {
        ASSERT_LE(prod - cons + bytes.size(), kRingSize);
        for (char c : bytes) rsp[prod++ & (kRingSize - 1)] = c;
    }
};

struct RecordingSink : ReplySink {
    std::vector<std::string> log;
    void on_reply(const Header& h, const char* payload) override {
        log.push_back("reply " + std::to_string(h.req_id) + " " + std::string(payload, h.len));
    }
    void on_watch_event(const WatchEvent& e) override {
        log.push_back(std::string("event ") + e.path + " " + e.token);
    }
    void on_malformed_reply(const Header& h) override {
        log.push_back("malformed " + std::to_string(h.req_id));
    }
    void on_malformed_event(const Header&) override { log.push_back("malformed event"); }
};

struct XenstoreReader : ::testing::Test {
    FakeRing ring;
    RingReader reader;
    RecordingSink sink;
    ReadPass pass(unsigned max_messages = 100) {
        ReadPass p = reader.consume(ring.rsp, ring.prod, ring.cons, max_messages, sink);
        ring.cons = p.new_cons;
        return p;
    }
};

}  // namespace

TEST_F(XenstoreReader, DeliversRepliesAndWatchEventsInOrder) {
    ring.put(reply(MessageType::read, 3, "hello"));
    ring.put(event("data/load", "tw1"));
    ring.put(reply(MessageType::write, 4, std::string("OK") + '\0'));
    ReadPass p = pass();
    EXPECT_EQ(p.status, ReadPass::Status::drained);
    EXPECT_EQ(p.messages, 3u);
    EXPECT_EQ(ring.cons, ring.prod);
    EXPECT_EQ(sink.log, (std::vector<std::string>{"reply 3 hello", "event data/load tw1",
                                                   std::string("reply 4 OK") + '\0'}));
}

TEST_F(XenstoreReader, ReassemblesAMessageSplitAcrossPassesAndTheWrap) {
    ring.prod = ring.cons = kRingSize - 7;  // the header straddles the end of the ring
    std::string m = reply(MessageType::read, 9, "split value");
    ring.put(m.substr(0, 10));
    ReadPass first = pass();
    EXPECT_EQ(first.bytes, 10u);
    EXPECT_EQ(first.messages, 0u);
    EXPECT_TRUE(reader.is_mid_message());
    EXPECT_TRUE(sink.log.empty());
    ring.put(m.substr(10));
    ReadPass second = pass();
    EXPECT_EQ(second.messages, 1u);
    EXPECT_EQ(sink.log, (std::vector<std::string>{"reply 9 split value"}));
    EXPECT_FALSE(reader.is_mid_message());
}

TEST_F(XenstoreReader, StopsAtTheMessageBudgetAndLeavesTheRestInTheRing) {
    for (uint32_t id = 1; id <= 5; ++id) ring.put(reply(MessageType::read, id, "v"));
    ReadPass p = pass(2);
    EXPECT_EQ(p.status, ReadPass::Status::budget_spent);
    EXPECT_EQ(p.messages, 2u);
    EXPECT_EQ(p.bytes, 2 * 17u);
    EXPECT_EQ(ring.prod - ring.cons, 3 * 17u);
    p = pass(2);
    EXPECT_EQ(p.status, ReadPass::Status::budget_spent);
    p = pass(2);
    EXPECT_EQ(p.status, ReadPass::Status::drained);
    EXPECT_EQ(p.messages, 1u);
    EXPECT_EQ(sink.log.size(), 5u);
    EXPECT_EQ(sink.log.back(), "reply 5 v");
}

TEST_F(XenstoreReader, ImpossibleIndicesResynchroniseAtProdAndForgetAPartialMessage) {
    std::string m = reply(MessageType::read, 1, "partial");
    ring.put(m.substr(0, 12));
    pass();
    ASSERT_TRUE(reader.is_mid_message());
    ring.prod = ring.cons + kRingSize + 1;  // claims more than the ring holds
    ReadPass p = pass();
    EXPECT_EQ(p.status, ReadPass::Status::bad_indices);
    EXPECT_TRUE(p.resynchronised());
    EXPECT_EQ(p.messages, 0u);
    EXPECT_EQ(ring.cons, ring.prod);
    EXPECT_FALSE(reader.is_mid_message());
    // What comes next starts a new message: nothing of the old one sticks to it.
    ring.put(reply(MessageType::read, 2, "fresh"));
    p = pass();
    EXPECT_EQ(p.status, ReadPass::Status::drained);
    EXPECT_EQ(sink.log, (std::vector<std::string>{"reply 2 fresh"}));
}

TEST_F(XenstoreReader, ABadHeaderDropsTheRestOfTheSnapshotThenReadingGoesOn) {
    ring.put(reply(MessageType::read, 1, "before"));
    ring.put(message(3 /* XS_GET_PERMS: never a reply here */, 2, "??"));
    ring.put(reply(MessageType::read, 3, "lost with it"));
    ReadPass p = pass();
    EXPECT_EQ(p.status, ReadPass::Status::bad_header);
    EXPECT_EQ(p.header_error, Error::protocol_error);
    EXPECT_EQ(p.messages, 1u);
    EXPECT_EQ(ring.cons, ring.prod);
    ring.put(reply(MessageType::read, 4, "after"));
    p = pass();
    EXPECT_EQ(p.status, ReadPass::Status::drained);
    EXPECT_EQ(sink.log, (std::vector<std::string>{"reply 1 before", "reply 4 after"}));
}

TEST_F(XenstoreReader, AnOversizedLengthIsABadHeader) {
    std::string h = message(uint32_t(MessageType::read), 1, "");
    uint32_t len = uint32_t(kMaxPayload + 1);
    memcpy(&h[12], &len, 4);
    ring.put(h);
    ReadPass p = pass();
    EXPECT_EQ(p.status, ReadPass::Status::bad_header);
    EXPECT_EQ(p.header_error, Error::too_big);
}

TEST_F(XenstoreReader, MalformedPayloadsAreReportedNotDelivered) {
    ring.put(reply(MessageType::write, 7, "KO"));  // must be "OK\0"
    ring.put(reply(MessageType::watch_event, 0, "no-token"));
    ring.put(reply(MessageType::read, 8, "fine"));
    ReadPass p = pass();
    EXPECT_EQ(p.status, ReadPass::Status::drained);
    EXPECT_EQ(sink.log,
              (std::vector<std::string>{"malformed 7", "malformed event", "reply 8 fine"}));
}

TEST_F(XenstoreReader, AnEmptyRingIsANoOp) {
    ring.prod = ring.cons = 12345;
    ReadPass p = pass();
    EXPECT_EQ(p.status, ReadPass::Status::drained);
    EXPECT_EQ(p.bytes, 0u);
    EXPECT_EQ(p.new_cons, 12345u);
}
