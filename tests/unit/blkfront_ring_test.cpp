// The blkfront's ring logic (drivers/blkfront/blk_ring.h) against a fake
// backend working on the same shared page: the normal flow, out-of-order
// answers, notification rules, and a hostile backend (ids out of range,
// repeated ids, a wrong operation, unknown statuses, responses with no
// request, a producer past what was posted), plus keeping unanswered requests
// in their original order for the re-issue after a reconnect. And the strict
// parser of what the backend offers (drivers/blkfront/disk_geometry.h).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/panic.h"
#include "drivers/blkfront/blk_ring.h"
#include "drivers/blkfront/disk_geometry.h"

using namespace torpor;
using namespace torpor::blkfront;

namespace {

std::vector<std::string> log_lines;
void capture(const char* text, size_t length) { log_lines.emplace_back(text, length); }

struct FakeBackend {
    explicit FakeBackend(blkif_sring* s, uint32_t slots = kRingSize) : sring(s), size(slots) {}
    blkif_sring* sring;
    uint32_t size;
    uint32_t req_cons = 0;
    uint32_t rsp_prod_pvt = 0;

    std::vector<blkif_request_t> take_requests() {
        std::vector<blkif_request_t> out;
        for (; req_cons != sring->req_prod; ++req_cons) out.push_back(sring->ring[req_cons % size].req);
        return out;
    }
    void respond(uint64_t id, uint8_t op, int16_t status = BLKIF_RSP_OKAY) {
        blkif_response_t& r = sring->ring[rsp_prod_pvt++ % size].rsp;
        r.id = id;
        r.operation = op;
        r.status = status;
    }
    void answer(const blkif_request_t& req, int16_t status = BLKIF_RSP_OKAY) {
        respond(req.id, req.operation, status);
    }
    void publish() { sring->rsp_prod = rsp_prod_pvt; }
};

class BlkfrontRing : public ::testing::Test {
protected:
    BlkfrontRing() : sring(static_cast<blkif_sring*>(aligned_alloc(kPageSize, kPageSize))) {}
    ~BlkfrontRing() override { free(sring); }
    void SetUp() override {
        log_lines.clear();
        set_log_sink(capture);
        ring.attach(sring);
    }
    void TearDown() override { set_log_sink(nullptr); }

    static Request write(uint64_t cookie, uint64_t sector = 0, uint8_t segments = 1) {
        Request r{};
        r.operation = BLKIF_OP_WRITE;
        r.nr_segments = segments;
        r.handle = 51712;
        r.sector = sector;
        for (uint8_t i = 0; i < segments; ++i)
            r.segments[i] = Segment{grant_ref_t(100 + cookie * 16 + i), 0, 7};
        r.cookie = cookie;
        return r;
    }
    static Request read(uint64_t cookie) {
        Request r = write(cookie);
        r.operation = BLKIF_OP_READ;
        return r;
    }
    static Request flush(uint64_t cookie) {
        Request r{};
        r.operation = BLKIF_OP_FLUSH_DISKCACHE;
        r.cookie = cookie;
        return r;
    }
    std::vector<Response> consume() {
        std::vector<Response> done;
        ring.consume([&](const Response& c) { done.push_back(c); });
        return done;
    }
    size_t broken_lines() const {
        size_t n = 0;
        for (auto& l : log_lines) n += l.find("device marked broken") != std::string::npos;
        return n;
    }
    // Posts `n` writes with cookies 1..n and pushes them; the backend takes them.
    std::vector<blkif_request_t> post_writes(unsigned n) {
        for (unsigned c = 1; c <= n; ++c) EXPECT_EQ(ring.post(write(c, c * 8)), Error::none);
        ring.push();
        return backend.take_requests();
    }

    blkif_sring* sring;
    Ring ring{"blkfront test"};
    FakeBackend backend{sring};
};

TEST_F(BlkfrontRing, RequestsCarryTheirFieldsAndComeBackByCookie) {
    ASSERT_EQ(ring.post(write(1, 40, 3)), Error::none);
    ASSERT_EQ(ring.post(read(2)), Error::none);
    ASSERT_EQ(ring.post(flush(3)), Error::none);
    EXPECT_TRUE(ring.push()) << "the backend asked for an event at the first request";
    auto reqs = backend.take_requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[0].operation, BLKIF_OP_WRITE);
    EXPECT_EQ(reqs[0].nr_segments, 3);
    EXPECT_EQ(reqs[0].handle, 51712);
    EXPECT_EQ(reqs[0].sector_number, 40u);
    EXPECT_EQ(reqs[0].seg[2].gref, grant_ref_t(100 + 16 + 2));
    EXPECT_EQ(reqs[0].seg[2].last_sect, 7);
    EXPECT_EQ(reqs[1].operation, BLKIF_OP_READ);
    EXPECT_EQ(reqs[2].operation, BLKIF_OP_FLUSH_DISKCACHE);
    EXPECT_EQ(reqs[2].nr_segments, 0);
    EXPECT_EQ(ring.outstanding(), 3u);

    // Out of order, with an I/O error on one.
    backend.answer(reqs[2]);
    backend.answer(reqs[0], BLKIF_RSP_ERROR);
    backend.answer(reqs[1]);
    backend.publish();
    auto done = consume();
    ASSERT_EQ(done.size(), 3u);
    EXPECT_EQ(done[0].cookie, 3u);
    EXPECT_EQ(done[1].cookie, 1u);
    EXPECT_EQ(done[1].status, BLKIF_RSP_ERROR);
    EXPECT_EQ(done[2].cookie, 2u);
    EXPECT_EQ(ring.outstanding(), 0u);
    EXPECT_FALSE(ring.is_broken());
    EXPECT_EQ(sring->rsp_event, 4u) << "re-armed for the next response";
}

TEST_F(BlkfrontRing, FillsToThirtyTwoThenBusyAndWrapsManyTimes) {
    for (unsigned round = 0; round < 10; ++round) {
        for (unsigned c = 0; c < kRingSize; ++c) ASSERT_EQ(ring.post(write(round * 100 + c)), Error::none);
        EXPECT_EQ(ring.post(write(999)), Error::busy);
        ring.push();
        auto reqs = backend.take_requests();
        ASSERT_EQ(reqs.size(), kRingSize);
        for (auto& r : reqs) backend.answer(r);
        backend.publish();
        EXPECT_EQ(consume().size(), kRingSize);
    }
    EXPECT_FALSE(ring.is_broken());
}

TEST_F(BlkfrontRing, NoEventNeededWhenTheBackendDidNotAskForOne) {
    ASSERT_EQ(ring.post(write(1)), Error::none);
    EXPECT_TRUE(ring.push());
    sring->req_event = 100;  // the backend is polling until request 100
    ASSERT_EQ(ring.post(write(2)), Error::none);
    EXPECT_FALSE(ring.push());
}

TEST_F(BlkfrontRing, MalformedRequestsAreRefused) {
    Request r = write(1);
    r.nr_segments = 0;
    EXPECT_EQ(ring.post(r), Error::invalid_argument);
    r = write(1);
    r.nr_segments = kMaxSegments + 1;
    EXPECT_EQ(ring.post(r), Error::invalid_argument);
    r = write(1);
    r.segments[0] = Segment{5, 3, 2};
    EXPECT_EQ(ring.post(r), Error::invalid_argument);
    r = write(1);
    r.segments[0] = Segment{5, 0, 8};
    EXPECT_EQ(ring.post(r), Error::invalid_argument);
    r = write(1);
    r.operation = BLKIF_OP_DISCARD;
    EXPECT_EQ(ring.post(r), Error::invalid_argument);
    EXPECT_EQ(ring.outstanding(), 0u);
}

TEST_F(BlkfrontRing, IdOutOfRangeBreaksTheRingWithOneLine) {
    auto reqs = post_writes(2);
    backend.respond(kRingSize, BLKIF_OP_WRITE);
    backend.respond(uint64_t(1) << 40, BLKIF_OP_WRITE);
    backend.publish();
    EXPECT_TRUE(consume().empty());
    EXPECT_TRUE(ring.is_broken());
    EXPECT_EQ(broken_lines(), 1u);
    EXPECT_NE(log_lines.back().find("out of range"), std::string::npos);
    // Broken: posts nothing more, completes nothing more.
    EXPECT_EQ(ring.post(write(9)), Error::protocol_error);
    backend.answer(reqs[0]);
    backend.publish();
    EXPECT_TRUE(consume().empty());
    EXPECT_EQ(broken_lines(), 1u);
}

TEST_F(BlkfrontRing, ARepeatedIdCompletesOnceThenBreaks) {
    auto reqs = post_writes(2);
    backend.answer(reqs[0]);
    backend.answer(reqs[0]);
    backend.publish();
    auto done = consume();
    ASSERT_EQ(done.size(), 1u) << "the first answer is good";
    EXPECT_EQ(done[0].cookie, 1u);
    EXPECT_TRUE(ring.is_broken());
    EXPECT_NE(log_lines.back().find("not outstanding"), std::string::npos);
}

TEST_F(BlkfrontRing, AResponseWithNoRequestBreaks) {
    // Id 5 was never handed out: a response the backend made up, within what
    // the producer may cover (one real request is pushed).
    post_writes(1);
    backend.respond(5, BLKIF_OP_WRITE);
    backend.publish();
    EXPECT_TRUE(consume().empty());
    EXPECT_TRUE(ring.is_broken());
    EXPECT_EQ(broken_lines(), 1u);
}

TEST_F(BlkfrontRing, TheWrongOperationBreaks) {
    auto reqs = post_writes(1);
    backend.respond(reqs[0].id, BLKIF_OP_READ);
    backend.publish();
    EXPECT_TRUE(consume().empty());
    EXPECT_TRUE(ring.is_broken());
    EXPECT_NE(log_lines.back().find("operation 0, but the request was 1"), std::string::npos);
}

TEST_F(BlkfrontRing, AnUnknownStatusBreaks) {
    auto reqs = post_writes(1);
    backend.answer(reqs[0], -3);
    backend.publish();
    EXPECT_TRUE(consume().empty());
    EXPECT_TRUE(ring.is_broken());
    EXPECT_NE(log_lines.back().find("status -3"), std::string::npos);
}

TEST_F(BlkfrontRing, EopnotsuppIsAKnownStatus) {
    Request r = flush(1);
    ASSERT_EQ(ring.post(r), Error::none);
    ring.push();
    backend.answer(backend.take_requests()[0], BLKIF_RSP_EOPNOTSUPP);
    backend.publish();
    auto done = consume();
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].status, BLKIF_RSP_EOPNOTSUPP);
    EXPECT_FALSE(ring.is_broken());
}

TEST_F(BlkfrontRing, AProducerPastWhatWasPushedBreaksBeforeReadingAnything) {
    auto reqs = post_writes(2);
    ASSERT_EQ(ring.post(write(3)), Error::none);  // posted, not pushed: not answerable yet
    backend.answer(reqs[0]);
    backend.answer(reqs[1]);
    backend.respond(2, BLKIF_OP_WRITE);  // id 2 is outstanding, but not pushed
    backend.publish();
    EXPECT_TRUE(consume().empty()) << "nothing is read once the producer is impossible";
    EXPECT_TRUE(ring.is_broken());
    EXPECT_NE(log_lines.back().find("past the consumer"), std::string::npos);
}

TEST_F(BlkfrontRing, AnAnswerToARequestNotYetPushedBreaks) {
    // The request is in the shared page already (the backend can read it), but
    // req_prod does not cover it: the backend may not have taken it.
    auto reqs = post_writes(1);
    ASSERT_EQ(ring.post(write(2)), Error::none);
    backend.respond(1, BLKIF_OP_WRITE);  // id 1: outstanding, not pushed
    backend.publish();
    EXPECT_TRUE(consume().empty());
    EXPECT_TRUE(ring.is_broken());
    EXPECT_NE(log_lines.back().find("not pushed yet"), std::string::npos);
}

TEST_F(BlkfrontRing, ABackendRewritingReqProdCannotWidenWhatMayBeAnswered) {
    post_writes(1);
    sring->req_prod = 20;  // the shared copy is the backend's to scribble on
    for (unsigned i = 0; i < 5; ++i) backend.respond(0, BLKIF_OP_WRITE);
    backend.publish();
    EXPECT_TRUE(consume().empty());
    EXPECT_TRUE(ring.is_broken());
}

TEST_F(BlkfrontRing, ConsumeRespectsItsBudget) {
    auto reqs = post_writes(5);
    for (auto& r : reqs) backend.answer(r);
    backend.publish();
    std::vector<Response> done;
    EXPECT_EQ(ring.consume([&](const Response& c) { done.push_back(c); }, 2), 2u);
    EXPECT_EQ(ring.consume([&](const Response& c) { done.push_back(c); }), 3u);
    EXPECT_EQ(done.size(), 5u);
}

TEST_F(BlkfrontRing, UnansweredRequestsComeBackOldestFirstWithTheirData) {
    auto reqs = post_writes(6);
    // Answered out of order: 2 and 5 done, 1 3 4 6 left.
    backend.answer(reqs[4]);
    backend.answer(reqs[1]);
    backend.publish();
    ASSERT_EQ(consume().size(), 2u);
    // Three more, reusing freed ids (so ids alone do not give the order).
    for (unsigned c = 7; c <= 9; ++c) ASSERT_EQ(ring.post(write(c, c * 8)), Error::none);
    ring.push();
    ring.detach();
    std::vector<Request> kept;
    ring.take_unanswered([&](const Request& r) { kept.push_back(r); });
    ASSERT_EQ(kept.size(), 7u);
    std::vector<uint64_t> cookies;
    for (auto& r : kept) cookies.push_back(r.cookie);
    EXPECT_EQ(cookies, (std::vector<uint64_t>{1, 3, 4, 6, 7, 8, 9}));
    EXPECT_EQ(kept[0].sector, 8u);
    EXPECT_EQ(kept[0].segments[0].gref, grant_ref_t(100 + 16));
    EXPECT_EQ(ring.outstanding(), 0u);

    // A new ring (new domain): re-issued in that order, answered, all complete once.
    FakeBackend fresh(sring);
    ring.attach(sring);
    for (auto& r : kept) ASSERT_EQ(ring.post(r), Error::none);
    ring.push();
    auto again = fresh.take_requests();
    ASSERT_EQ(again.size(), 7u);
    for (size_t i = 0; i < again.size(); ++i) EXPECT_EQ(again[i].sector_number, kept[i].sector);
    for (auto& r : again) fresh.answer(r);
    fresh.publish();
    auto done = consume();
    ASSERT_EQ(done.size(), 7u);
    EXPECT_FALSE(ring.is_broken());
}

TEST_F(BlkfrontRing, LateAnswersFromTheOldRingAreNotTakenAfterTakeUnanswered) {
    auto reqs = post_writes(3);
    ring.detach();
    std::vector<Request> kept;
    ring.take_unanswered([&](const Request& r) { kept.push_back(r); });
    EXPECT_EQ(kept.size(), 3u);
    // The old backend answers now: the ring is detached and reads nothing.
    for (auto& r : reqs) backend.answer(r);
    backend.publish();
    EXPECT_TRUE(consume().empty());
    EXPECT_FALSE(ring.is_broken());
}

// A failed VERIFY panics (base/panic.cpp); in the forked death-test child the
// panic goes to stderr and its crash action aborts.
void stderr_sink(const char* text, size_t length) { (void)!write(2, text, length); }
void crash_by_abort() { abort(); }

TEST_F(BlkfrontRing, AttachWithOutstandingRequestsIsABug) {
    post_writes(1);
    EXPECT_DEATH(
        {
            set_early_log_sink(stderr_sink);
            set_log_sink(nullptr);
            set_crash_action(crash_by_abort);
            ring.attach(sring);
        },
        "VERIFY\\(outstanding\\(\\) == 0\\) failed");
}

// ---- multi-page rings (max-ring-page-order) -----------------------------------

TEST(BlkfrontRingSize, FollowsRingHForEveryOrderWeUse) {
    // (pages * 4096 - 64 header bytes) / 112 bytes a slot, down to a power of two.
    EXPECT_EQ(ring_size_for_pages(1), 32u);
    EXPECT_EQ(ring_size_for_pages(2), 64u);
    EXPECT_EQ(ring_size_for_pages(4), 128u);
    EXPECT_EQ(ring_size_for_pages(8), 256u);
    EXPECT_EQ(ring_size_for_pages(16), 512u);
    EXPECT_EQ(ring_pages_for_order(kMaxRingOrder), kMaxRingPages);
    EXPECT_EQ(sizeof(blkif_sring) - sizeof(((blkif_sring*)nullptr)->ring), 64u);
}

TEST(BlkfrontRingSize, OrderIsTheSmallerOfOfferAndLimit) {
    EXPECT_EQ(choose_ring_order(nullptr, kMaxRingOrder).value(), 0u) << "no offer: one page";
    EXPECT_EQ(choose_ring_order("0", kMaxRingOrder).value(), 0u);
    EXPECT_EQ(choose_ring_order("2", kMaxRingOrder).value(), 2u);
    EXPECT_EQ(choose_ring_order("4", kMaxRingOrder).value(), 4u);
    EXPECT_EQ(choose_ring_order("9", kMaxRingOrder).value(), kMaxRingOrder) << "capped at ours";
    EXPECT_EQ(choose_ring_order("31", kMaxRingOrder).value(), kMaxRingOrder);
    EXPECT_EQ(choose_ring_order("4", 0).value(), 0u) << "blkring=0";
    EXPECT_EQ(choose_ring_order("4", 1).value(), 1u);
    EXPECT_EQ(choose_ring_order("4", 99).value(), kMaxRingOrder) << "our limit is capped too";
    const char* bad[] = {"", "-1", "+2", " 2", "2 ", "02", "0x2", "32", "4294967296", "two"};
    for (const char* s : bad) EXPECT_TRUE(choose_ring_order(s, kMaxRingOrder).is_error()) << s;
}

class BlkfrontMultiPageRing : public ::testing::TestWithParam<uint32_t> {
protected:
    BlkfrontMultiPageRing()
        : bytes(size_t(ring_pages_for_order(GetParam())) * kPageSize),
          sring(static_cast<blkif_sring*>(aligned_alloc(kPageSize, bytes))) {
        memset(static_cast<void*>(sring), 0xa5, bytes);  // attach() must initialise all of it
    }
    ~BlkfrontMultiPageRing() override { free(sring); }
    void SetUp() override {
        log_lines.clear();
        set_log_sink(capture);
    }
    void TearDown() override { set_log_sink(nullptr); }
    static Request write(uint64_t cookie) {
        Request r{};
        r.operation = BLKIF_OP_WRITE;
        r.nr_segments = 1;
        r.sector = cookie * 8;
        r.segments[0] = Segment{grant_ref_t(cookie), 0, 7};
        r.cookie = cookie;
        return r;
    }
    size_t bytes;
    blkif_sring* sring;
    Ring ring{"blkfront test"};
};

TEST_P(BlkfrontMultiPageRing, HoldsItsSizeInFlightAndWrapsAroundIt) {
    uint32_t pages = ring_pages_for_order(GetParam());
    uint32_t size = ring_size_for_pages(pages);
    ring.attach(sring, pages);
    EXPECT_EQ(ring.size(), size);
    EXPECT_EQ(ring.free_slots(), size);
    FakeBackend backend(sring, size);
    uint64_t next = 1, completed = 0;
    // Three laps of the ring, each filling it completely, answered in reverse.
    for (int lap = 0; lap < 3; ++lap) {
        for (uint32_t i = 0; i < size; ++i) ASSERT_EQ(ring.post(write(next++)), Error::none);
        EXPECT_EQ(ring.post(write(next)), Error::busy) << "the ring holds " << size;
        EXPECT_EQ(ring.outstanding(), size);
        ring.push();
        auto reqs = backend.take_requests();
        ASSERT_EQ(reqs.size(), size);
        std::vector<bool> ids(size, false);
        for (auto& r : reqs) {
            ASSERT_LT(r.id, size);
            EXPECT_FALSE(ids[r.id]) << "ids unique";
            ids[r.id] = true;
        }
        for (size_t i = reqs.size(); i-- > 0;) backend.answer(reqs[i]);
        backend.publish();
        unsigned n = ring.consume([&](const Response& c) {
            EXPECT_NE(c.cookie, 0u);
            ++completed;
        });
        EXPECT_EQ(n, size);
        EXPECT_EQ(ring.outstanding(), 0u);
    }
    EXPECT_EQ(completed, 3u * size);
    EXPECT_FALSE(ring.is_broken());
}

TEST_P(BlkfrontMultiPageRing, AnIdPastItsSizeBreaksIt) {
    uint32_t pages = ring_pages_for_order(GetParam());
    uint32_t size = ring_size_for_pages(pages);
    ring.attach(sring, pages);
    FakeBackend backend(sring, size);
    ASSERT_EQ(ring.post(write(1)), Error::none);
    ring.push();
    backend.take_requests();
    backend.respond(size, BLKIF_OP_WRITE);  // one past the last id of this ring
    backend.publish();
    EXPECT_EQ(ring.consume([](const Response&) {}), 0u);
    EXPECT_TRUE(ring.is_broken());
    ASSERT_EQ(log_lines.size(), 1u);
    EXPECT_NE(log_lines[0].find("out of range"), std::string::npos) << log_lines[0];
}

INSTANTIATE_TEST_SUITE_P(Orders, BlkfrontMultiPageRing, ::testing::Values(0u, 1u, 2u, 3u, 4u));

TEST(BlkfrontRingResize, UnansweredRequestsMoveToASmallerRingInOrder) {
    // A resume onto a backend that offers less: 100 requests on a 16-page
    // ring go, oldest first, onto a one-page ring 32 at a time.
    auto* big = static_cast<blkif_sring*>(aligned_alloc(kPageSize, kMaxRingPages * kPageSize));
    auto* small = static_cast<blkif_sring*>(aligned_alloc(kPageSize, kPageSize));
    set_log_sink(capture);
    Ring ring("blkfront test");
    ring.attach(big, kMaxRingPages);
    for (uint64_t c = 1; c <= 100; ++c) {
        Request r{};
        r.operation = BLKIF_OP_READ;
        r.nr_segments = 1;
        r.segments[0] = Segment{grant_ref_t(c), 0, 7};
        r.sector = c;
        r.cookie = c;
        ASSERT_EQ(ring.post(r), Error::none);
    }
    ring.push();
    ring.detach();
    std::vector<Request> kept;
    ring.take_unanswered([&](const Request& r) { kept.push_back(r); });
    ASSERT_EQ(kept.size(), 100u);
    ring.attach(small, 1);
    EXPECT_EQ(ring.size(), kRingSize);
    FakeBackend backend(small);
    std::vector<uint64_t> order;
    size_t at = 0;
    while (at < kept.size() || ring.outstanding() > 0) {
        while (at < kept.size() && ring.post(kept[at]) == Error::none) ++at;
        ring.push();
        for (auto& r : backend.take_requests()) backend.answer(r);
        backend.publish();
        ring.consume([&](const Response& c) { order.push_back(c.cookie); });
        ASSERT_FALSE(ring.is_broken());
    }
    ASSERT_EQ(order.size(), 100u);
    for (uint64_t c = 1; c <= 100; ++c) EXPECT_EQ(order[c - 1], c);
    set_log_sink(nullptr);
    free(big);
    free(small);
}

// ---- geometry -----------------------------------------------------------------

TEST(BlkfrontGeometry, ParsesWhatBlkbackWrites) {
    auto g = parse_geometry("131072", "512", "0", "1", "1");
    ASSERT_FALSE(g.is_error());
    EXPECT_EQ(g.value().sectors, 131072u);
    EXPECT_EQ(g.value().sector_size, 512u);
    EXPECT_EQ(g.value().bytes(), 64u << 20);
    EXPECT_TRUE(g.value().flush_cache);
    EXPECT_TRUE(g.value().barrier);
    EXPECT_FALSE(g.value().read_only());
    auto ro = parse_geometry("8", "4096", "4", nullptr, nullptr);
    ASSERT_FALSE(ro.is_error());
    EXPECT_TRUE(ro.value().read_only());
    EXPECT_FALSE(ro.value().flush_cache);
}

TEST(BlkfrontGeometry, RefusesAnythingElse) {
    const char* bad_numbers[] = {"", "-1", "+1", " 1", "1 ", "0x10", "010", "18446744073709551616", "1a"};
    for (const char* s : bad_numbers) {
        EXPECT_TRUE(parse_geometry(s, "512", "0", "0", "0").is_error()) << s;
        EXPECT_TRUE(parse_geometry("8", s, "0", "0", "0").is_error()) << s;
    }
    EXPECT_TRUE(parse_geometry(nullptr, "512", "0", nullptr, nullptr).is_error());
    EXPECT_TRUE(parse_geometry("8", nullptr, "0", nullptr, nullptr).is_error());
    EXPECT_TRUE(parse_geometry("0", "512", "0", nullptr, nullptr).is_error()) << "no sectors";
    EXPECT_TRUE(parse_geometry("8", "256", "0", nullptr, nullptr).is_error());
    EXPECT_TRUE(parse_geometry("8", "1000", "0", nullptr, nullptr).is_error());
    EXPECT_TRUE(parse_geometry("8", "8192", "0", nullptr, nullptr).is_error());
    EXPECT_TRUE(parse_geometry("36028797018963968", "4096", "0", nullptr, nullptr).is_error())
        << "2^55 sectors of 4 KiB overflow 64 bits of bytes";
    EXPECT_TRUE(parse_geometry("8", "512", "4294967296", nullptr, nullptr).is_error());
    EXPECT_TRUE(parse_geometry("8", "512", "0", "2", nullptr).is_error());
    EXPECT_TRUE(parse_geometry("8", "512", "0", nullptr, "yes").is_error());
}

}  // namespace
