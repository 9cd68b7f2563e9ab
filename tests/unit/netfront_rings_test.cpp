// The netfront's tx and rx ring logic (drivers/netfront) against a fake
// backend working on the same shared pages: the normal flow, notification
// rules, and a hostile backend (bad ids, repeated completions, lengths and
// offsets past the page, unknown statuses and flags, more responses than
// requests), plus keeping unanswered packets for a reconnect.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/log.h"
#include "drivers/netfront/rx_ring.h"
#include "drivers/netfront/tx_ring.h"

using namespace torpor;
using namespace torpor::netfront;

namespace {

std::vector<std::string> log_lines;
void capture(const char* text, size_t length) { log_lines.emplace_back(text, length); }

// A 4 KiB page, as shared with the backend.
template <typename Sring>
struct Page {
    Page() : sring(static_cast<Sring*>(aligned_alloc(kPageSize, kPageSize))) {}
    ~Page() { free(sring); }
    Sring* sring;
};

// The backend side of a ring: takes requests, writes responses where it likes.
template <typename Sring, uint32_t N>
struct FakeBackend {
    explicit FakeBackend(Sring* s) : sring(s) {}
    Sring* sring;
    uint32_t req_cons = 0;
    uint32_t rsp_prod_pvt = 0;

    // The requests published since the last call.
    auto take_requests() {
        std::vector<decltype(sring->ring[0].req)> out;
        for (; req_cons != sring->req_prod; ++req_cons) out.push_back(sring->ring[req_cons % N].req);
        return out;
    }
    auto& next_response() { return sring->ring[rsp_prod_pvt++ % N].rsp; }
    void publish() { sring->rsp_prod = rsp_prod_pvt; }
};

using TxBackend = FakeBackend<netif_tx_sring, kTxRingSize>;
using RxBackend = FakeBackend<netif_rx_sring, kRxRingSize>;

class NetfrontRings : public ::testing::Test {
protected:
    void SetUp() override {
        log_lines.clear();
        set_log_sink(capture);
        tx.attach(tx_page.sring);
        rx.attach(rx_page.sring);
    }
    void TearDown() override { set_log_sink(nullptr); }
    // New rings on the same pages (attach() wants nothing outstanding).
    void fresh_rings() {
        tx = TxRing("netfront test tx");
        rx = RxRing("netfront test rx");
        txb = TxBackend(tx_page.sring);
        rxb = RxBackend(rx_page.sring);
        SetUp();
    }

    TxPacket packet(uint64_t cookie, uint16_t size = 60, uint16_t offset = 0) {
        return TxPacket{grant_ref_t(1000 + cookie), offset, size, cookie};
    }
    std::vector<uint64_t> consume_tx(unsigned budget = kTxRingSize) {
        std::vector<uint64_t> cookies;
        tx.consume([&](const TxCompletion& c) { cookies.push_back(c.cookie); }, budget);
        return cookies;
    }
    std::vector<RxCompletion> consume_rx() {
        std::vector<RxCompletion> done;
        rx.consume([&](const RxCompletion& c) { done.push_back(c); });
        return done;
    }
    void respond_tx(uint16_t id, int16_t status = NETIF_RSP_OKAY) {
        auto& r = txb.next_response();
        r.id = id;
        r.status = status;
    }
    void respond_rx(uint16_t id, int16_t status, uint16_t offset = 0, uint16_t flags = 0) {
        auto& r = rxb.next_response();
        r.id = id;
        r.status = status;
        r.offset = offset;
        r.flags = flags;
    }
    size_t broken_lines() const {
        size_t n = 0;
        for (auto& l : log_lines) n += l.find("device marked broken") != std::string::npos;
        return n;
    }

    Page<netif_tx_sring> tx_page;
    Page<netif_rx_sring> rx_page;
    TxRing tx{"netfront test tx"};
    RxRing rx{"netfront test rx"};
    TxBackend txb{tx_page.sring};
    RxBackend rxb{rx_page.sring};
};

// ---- tx ------------------------------------------------------------------------

TEST_F(NetfrontRings, TxPacketsGoOutWithGrantsAndComeBackByCookie) {
    for (uint64_t c = 1; c <= 3; ++c) ASSERT_EQ(tx.post(packet(c, uint16_t(60 * c), 16)), Error::none);
    EXPECT_TRUE(tx.push()) << "the backend asked for an event at the first request";
    auto reqs = txb.take_requests();
    ASSERT_EQ(reqs.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(reqs[i].gref, grant_ref_t(1001 + i));
        EXPECT_EQ(reqs[i].offset, 16);
        EXPECT_EQ(reqs[i].size, 60 * (i + 1));
        EXPECT_EQ(reqs[i].flags, 0);
    }
    EXPECT_NE(reqs[0].id, reqs[1].id);
    EXPECT_EQ(tx.outstanding(), 3u);
    for (auto& r : reqs) respond_tx(r.id);
    txb.publish();
    EXPECT_EQ(consume_tx(), (std::vector<uint64_t>{1, 2, 3}));
    EXPECT_EQ(tx.outstanding(), 0u);
    EXPECT_EQ(tx_page.sring->rsp_event, 4u) << "re-armed for the next response";
    EXPECT_EQ(broken_lines(), 0u);
}

TEST_F(NetfrontRings, TxNotifiesOnlyWhenTheBackendAskedForIt) {
    ASSERT_EQ(tx.post(packet(1)), Error::none);
    EXPECT_TRUE(tx.push());
    txb.take_requests();
    tx_page.sring->req_event = 10;  // the backend is busy: wake me at request 10
    ASSERT_EQ(tx.post(packet(2)), Error::none);
    EXPECT_FALSE(tx.push());
    for (uint64_t c = 3; c <= 12; ++c) ASSERT_EQ(tx.post(packet(c)), Error::none);
    EXPECT_TRUE(tx.push()) << "request 10 was published by this push";
}

TEST_F(NetfrontRings, TxRejectsFramesThatDoNotFitTheirPageAndAFullRing) {
    EXPECT_EQ(tx.post(packet(1, 0)), Error::invalid_argument);
    EXPECT_EQ(tx.post(packet(1, 100, 4000)), Error::invalid_argument);
    EXPECT_EQ(tx.post(packet(1, 1, 4096)), Error::invalid_argument);
    EXPECT_EQ(tx.post(packet(1, 4096, 0)), Error::none);
    for (uint64_t c = 2; c <= kTxRingSize; ++c) ASSERT_EQ(tx.post(packet(c)), Error::none);
    EXPECT_EQ(tx.post(packet(999)), Error::busy);
    EXPECT_FALSE(tx.is_broken());
}

TEST_F(NetfrontRings, TxOutOfOrderResponsesAreFine) {
    for (uint64_t c = 1; c <= 3; ++c) ASSERT_EQ(tx.post(packet(c)), Error::none);
    tx.push();
    auto reqs = txb.take_requests();
    respond_tx(reqs[2].id);
    respond_tx(reqs[0].id, NETIF_RSP_ERROR);
    respond_tx(reqs[1].id, NETIF_RSP_DROPPED);
    txb.publish();
    EXPECT_EQ(consume_tx(), (std::vector<uint64_t>{3, 1, 2}));
    EXPECT_FALSE(tx.is_broken());
}

TEST_F(NetfrontRings, TxMoreResponsesThanRequestsBreaksTheRing) {
    ASSERT_EQ(tx.post(packet(1)), Error::none);
    ASSERT_EQ(tx.post(packet(2)), Error::none);
    tx.push();
    auto reqs = txb.take_requests();
    respond_tx(reqs[0].id);
    respond_tx(reqs[1].id);
    respond_tx(reqs[1].id);
    txb.publish();  // rsp_prod 3 > 2 posted
    EXPECT_TRUE(consume_tx().empty()) << "nothing is taken from a ring that claims too much";
    EXPECT_TRUE(tx.is_broken());
    EXPECT_EQ(tx.post(packet(3)), Error::protocol_error);
    EXPECT_TRUE(consume_tx().empty());
    EXPECT_EQ(broken_lines(), 1u);
    EXPECT_NE(log_lines[0].find("netfront test tx: response producer 3"), std::string::npos)
        << log_lines[0];
}

TEST_F(NetfrontRings, TxAHugeProducerJumpIsCaughtToo) {
    ASSERT_EQ(tx.post(packet(1)), Error::none);
    tx.push();
    tx_page.sring->rsp_prod = 0x80000000u;
    EXPECT_TRUE(consume_tx().empty());
    EXPECT_TRUE(tx.is_broken());
}

TEST_F(NetfrontRings, TxBadIdsAndDoubleCompletionsBreakTheRingAfterTheGoodOnes) {
    struct Case {
        const char* what;
        uint16_t bad_id;
    };
    for (Case c : {Case{"out of range", 300}, Case{"never posted", 7}, Case{"already done", 0xffff}}) {
        fresh_rings();
        for (uint64_t k = 1; k <= 3; ++k) ASSERT_EQ(tx.post(packet(k)), Error::none);
        tx.push();
        auto reqs = txb.take_requests();
        respond_tx(reqs[0].id);
        respond_tx(c.bad_id == 0xffff ? reqs[0].id : c.bad_id);  // 0xffff: the first one again
        respond_tx(reqs[1].id);
        txb.publish();
        EXPECT_EQ(consume_tx(), (std::vector<uint64_t>{1})) << c.what;
        EXPECT_TRUE(tx.is_broken()) << c.what;
        EXPECT_EQ(broken_lines(), 1u) << c.what;
    }
}

TEST_F(NetfrontRings, TxUnknownStatusesBreakTheRing) {
    for (int16_t status : {int16_t(NETIF_RSP_NULL), int16_t(2), int16_t(-3), int16_t(-32768)}) {
        fresh_rings();
        ASSERT_EQ(tx.post(packet(1)), Error::none);
        tx.push();
        respond_tx(txb.take_requests()[0].id, status);
        txb.publish();
        EXPECT_TRUE(consume_tx().empty()) << status;
        EXPECT_TRUE(tx.is_broken()) << status;
    }
}

TEST_F(NetfrontRings, TxBudgetLimitsOnePassAndTheRestFollows) {
    for (uint64_t c = 1; c <= 5; ++c) ASSERT_EQ(tx.post(packet(c)), Error::none);
    tx.push();
    for (auto& r : txb.take_requests()) respond_tx(r.id);
    txb.publish();
    EXPECT_EQ(consume_tx(2), (std::vector<uint64_t>{1, 2}));
    EXPECT_EQ(consume_tx(), (std::vector<uint64_t>{3, 4, 5}));
}

TEST_F(NetfrontRings, TxThousandsOfPacketsReuseIdsAndSlots) {
    uint64_t next = 1, done = 0;
    for (int round = 0; round < 40; ++round) {
        while (tx.free_slots() > 0 && next <= 10'000) ASSERT_EQ(tx.post(packet(next++)), Error::none);
        tx.push();
        for (auto& r : txb.take_requests()) respond_tx(r.id);
        txb.publish();
        for (uint64_t c : consume_tx()) EXPECT_EQ(c, ++done);
    }
    EXPECT_EQ(done, 10'000u);
    EXPECT_FALSE(tx.is_broken());
}

TEST_F(NetfrontRings, TxUnansweredPacketsAreKeptInOrderAndSentAgainAfterAReconnect) {
    for (uint64_t c = 10; c <= 14; ++c) ASSERT_EQ(tx.post(packet(c, uint16_t(c))), Error::none);
    tx.push();
    auto reqs = txb.take_requests();
    respond_tx(reqs[3].id);  // 13 and 11 answered, out of order
    respond_tx(reqs[1].id);
    txb.publish();
    EXPECT_EQ(consume_tx(), (std::vector<uint64_t>{13, 11}));

    // Suspended into a new domain: the page is gone with its grants.
    tx.detach();
    std::vector<TxPacket> kept;
    tx.take_unanswered([&](const TxPacket& p) { kept.push_back(p); });
    ASSERT_EQ(kept.size(), 3u);
    EXPECT_EQ(kept[0].cookie, 10u);
    EXPECT_EQ(kept[1].cookie, 12u);
    EXPECT_EQ(kept[2].cookie, 14u);
    EXPECT_EQ(kept[1].size, 12);
    EXPECT_EQ(tx.outstanding(), 0u);

    Page<netif_tx_sring> fresh;
    tx.attach(fresh.sring);
    TxBackend newb(fresh.sring);
    for (TxPacket p : kept) {
        p.gref = grant_ref_t(5000 + p.cookie);  // granted again in the new domain
        ASSERT_EQ(tx.post(p), Error::none);
    }
    EXPECT_TRUE(tx.push());
    auto again = newb.take_requests();
    ASSERT_EQ(again.size(), 3u);
    EXPECT_EQ(again[0].gref, 5010u);
    EXPECT_EQ(again[2].size, 14);
    for (auto& r : again) {
        auto& rsp = newb.next_response();
        rsp.id = r.id;
        rsp.status = NETIF_RSP_OKAY;
    }
    newb.publish();
    EXPECT_EQ(consume_tx(), (std::vector<uint64_t>{10, 12, 14}));
}

TEST_F(NetfrontRings, TxOldestUnansweredComesFirstEvenWhenItsSlotWasReused) {
    // Packet 1 stays unanswered while hundreds of later ones complete.
    ASSERT_EQ(tx.post(packet(1)), Error::none);
    tx.push();
    uint16_t stuck = txb.take_requests()[0].id;
    for (uint64_t c = 2; c < 600; ++c) {
        ASSERT_EQ(tx.post(packet(c)), Error::none);
        tx.push();
        respond_tx(txb.take_requests()[0].id);
        txb.publish();
        ASSERT_EQ(consume_tx(), (std::vector<uint64_t>{c}));
    }
    ASSERT_EQ(tx.post(packet(600)), Error::none);
    std::vector<uint64_t> kept;
    tx.take_unanswered([&](const TxPacket& p) { kept.push_back(p.cookie); });
    EXPECT_EQ(kept, (std::vector<uint64_t>{1, 600}));
    (void)stuck;
}

// ---- rx ------------------------------------------------------------------------

TEST_F(NetfrontRings, RxFramesArriveWithOffsetAndLengthAndBuffersComeBack) {
    for (uint64_t c = 1; c <= 4; ++c) ASSERT_EQ(rx.post(RxBuffer{grant_ref_t(200 + c), c}), Error::none);
    EXPECT_TRUE(rx.push());
    auto reqs = rxb.take_requests();
    ASSERT_EQ(reqs.size(), 4u);
    EXPECT_EQ(reqs[0].gref, 201u);
    respond_rx(reqs[0].id, 60, 0, NETRXF_data_validated);
    respond_rx(reqs[1].id, 1400, 100);
    respond_rx(reqs[2].id, NETIF_RSP_ERROR);
    respond_rx(reqs[3].id, 4096, 0);  // a whole page is allowed
    rxb.publish();
    auto done = consume_rx();
    ASSERT_EQ(done.size(), 4u);
    EXPECT_EQ(done[0].cookie, 1u);
    EXPECT_EQ(done[0].length, 60);
    EXPECT_EQ(done[0].flags, NETRXF_data_validated);
    EXPECT_EQ(done[1].offset, 100);
    EXPECT_EQ(done[1].length, 1400);
    EXPECT_EQ(done[2].length, 0) << "an error hands the buffer back empty";
    EXPECT_EQ(done[2].status, NETIF_RSP_ERROR);
    EXPECT_EQ(done[3].length, 4096);
    EXPECT_EQ(rx.posted(), 0u);
    EXPECT_FALSE(rx.is_broken());
}

TEST_F(NetfrontRings, RxLengthsAndOffsetsPastThePageBreakTheRing) {
    struct Case {
        uint16_t offset;
        int16_t length;
    };
    for (Case c : {Case{4000, 97}, Case{1, 4096}, Case{4096, 1}, Case{65535, 2}, Case{0, 32767}}) {
        fresh_rings();
        ASSERT_EQ(rx.post(RxBuffer{1, 1}), Error::none);
        ASSERT_EQ(rx.post(RxBuffer{2, 2}), Error::none);
        rx.push();
        auto reqs = rxb.take_requests();
        respond_rx(reqs[0].id, 60);
        respond_rx(reqs[1].id, c.length, c.offset);
        rxb.publish();
        auto done = consume_rx();
        EXPECT_EQ(done.size(), 1u) << c.offset << "+" << c.length;
        EXPECT_TRUE(rx.is_broken()) << c.offset << "+" << c.length;
        EXPECT_EQ(broken_lines(), 1u);
    }
}

TEST_F(NetfrontRings, RxFlagsNeverNegotiatedAndUnknownStatusesBreakTheRing) {
    struct Case {
        int16_t status;
        uint16_t flags;
    };
    for (Case c : {Case{60, NETRXF_more_data}, Case{60, NETRXF_extra_info}, Case{60, NETRXF_gso_prefix},
                   Case{60, 0x8000}, Case{-3, 0}, Case{-32768, 0}}) {
        fresh_rings();
        ASSERT_EQ(rx.post(RxBuffer{1, 1}), Error::none);
        rx.push();
        respond_rx(rxb.take_requests()[0].id, c.status, 0, c.flags);
        rxb.publish();
        EXPECT_TRUE(consume_rx().empty());
        EXPECT_TRUE(rx.is_broken()) << c.status << " flags " << c.flags;
    }
}

TEST_F(NetfrontRings, RxBadIdsDoubleCompletionsAndTooManyResponsesBreakTheRing) {
    ASSERT_EQ(rx.post(RxBuffer{1, 1}), Error::none);
    ASSERT_EQ(rx.post(RxBuffer{2, 2}), Error::none);
    rx.push();
    auto reqs = rxb.take_requests();
    respond_rx(reqs[0].id, 60);
    respond_rx(reqs[0].id, 60);  // the same buffer twice
    rxb.publish();
    EXPECT_EQ(consume_rx().size(), 1u);
    EXPECT_TRUE(rx.is_broken());

    fresh_rings();
    ASSERT_EQ(rx.post(RxBuffer{1, 1}), Error::none);
    rx.push();
    respond_rx(999, 60);
    rxb.publish();
    EXPECT_TRUE(consume_rx().empty());
    EXPECT_TRUE(rx.is_broken());

    fresh_rings();
    ASSERT_EQ(rx.post(RxBuffer{1, 1}), Error::none);
    rx.push();
    rx_page.sring->rsp_prod = 2;
    EXPECT_TRUE(consume_rx().empty());
    EXPECT_TRUE(rx.is_broken());
    EXPECT_EQ(broken_lines(), 1u);
}

TEST_F(NetfrontRings, RxPostedBuffersAreTakenBackForANewRing) {
    for (uint64_t c = 1; c <= 5; ++c) ASSERT_EQ(rx.post(RxBuffer{grant_ref_t(c), c}), Error::none);
    rx.push();
    auto reqs = rxb.take_requests();
    respond_rx(reqs[2].id, 60);
    rxb.publish();
    EXPECT_EQ(consume_rx().size(), 1u);
    rx.detach();
    std::vector<uint64_t> kept;
    rx.take_posted([&](const RxBuffer& b) { kept.push_back(b.cookie); });
    std::sort(kept.begin(), kept.end());
    EXPECT_EQ(kept, (std::vector<uint64_t>{1, 2, 4, 5}));
    Page<netif_rx_sring> fresh;
    rx.attach(fresh.sring);
    EXPECT_EQ(rx.posted(), 0u);
    EXPECT_EQ(rx.free_slots(), kRxRingSize);
}

TEST_F(NetfrontRings, RxRingFillsToItsSizeAndNoFurther) {
    for (uint64_t c = 0; c < kRxRingSize; ++c) ASSERT_EQ(rx.post(RxBuffer{1, c}), Error::none);
    EXPECT_EQ(rx.post(RxBuffer{1, 999}), Error::busy);
}

}  // namespace
