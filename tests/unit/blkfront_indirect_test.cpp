// Indirect descriptors in the blkfront (BLKIF_OP_INDIRECT, xen/io/blkif.h):
// the ring posting blkif_request_indirect and validating its answers (the
// indirect_op, as Linux blkback echoes it, or BLKIF_OP_INDIRECT; nothing
// else), the indirect page's segment list, choosing the segment count from
// feature-max-indirect-segments, and cutting an I/O into requests
// (io_parts.h), again after a resume onto a backend that takes fewer
// segments, against a fake backend on the shared ring.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "base/log.h"
#include "drivers/blkfront/blk_ring.h"
#include "drivers/blkfront/disk_geometry.h"
#include "drivers/blkfront/indirect_segments.h"
#include "drivers/blkfront/io_parts.h"

using namespace torpor;
using namespace torpor::blkfront;

namespace {

std::vector<std::string> log_lines;
void capture(const char* text, size_t length) { log_lines.emplace_back(text, length); }

// The indirect pages by grant ref, as the backend would map them.
std::map<grant_ref_t, uint8_t*> granted_pages;

// A backend that takes plain and indirect requests off the ring and answers
// them; what it took is decoded into (operation, sector, segments).
struct Taken {
    uint64_t id;
    uint8_t slot_operation;  // what the slot said: BLKIF_OP_INDIRECT or the op
    uint8_t operation;       // read or write
    uint64_t sector;
    std::vector<blkif_request_segment> segments;
};

struct FakeBackend {
    FakeBackend(blkif_sring* s, uint32_t slots) : sring(s), size(slots) {}
    blkif_sring* sring;
    uint32_t size;
    uint32_t req_cons = 0, rsp_prod_pvt = 0;
    uint32_t max_indirect_segments = 0;  // what it offered: more is an error

    std::vector<Taken> take() {
        std::vector<Taken> out;
        for (; req_cons != sring->req_prod; ++req_cons) {
            const blkif_request_t& req = sring->ring[req_cons % size].req;
            Taken t{req.id, req.operation, req.operation, req.sector_number, {}};
            if (req.operation == BLKIF_OP_INDIRECT) {
                blkif_request_indirect_t ind;
                memcpy(&ind, &req, sizeof(ind));
                EXPECT_LE(ind.nr_segments, max_indirect_segments) << "more than offered";
                t.operation = ind.indirect_op;
                t.sector = ind.sector_number;
                auto page = granted_pages.find(ind.indirect_grefs[0]);
                EXPECT_NE(page, granted_pages.end()) << "indirect gref not granted";
                if (page == granted_pages.end()) continue;
                auto* segs = reinterpret_cast<blkif_request_segment*>(page->second);
                t.segments.assign(segs, segs + ind.nr_segments);
            } else {
                t.segments.assign(req.seg, req.seg + req.nr_segments);
            }
            out.push_back(t);
        }
        return out;
    }
    void respond(uint64_t id, uint8_t op, int16_t status = BLKIF_RSP_OKAY) {
        blkif_response_t& r = sring->ring[rsp_prod_pvt++ % size].rsp;
        r.id = id;
        r.operation = op;
        r.status = status;
    }
    void publish() { sring->rsp_prod = rsp_prod_pvt; }
};

class BlkfrontIndirect : public ::testing::Test {
protected:
    BlkfrontIndirect()
        : sring(static_cast<blkif_sring*>(aligned_alloc(kPageSize, kPageSize))),
          indirect_page(static_cast<uint8_t*>(aligned_alloc(kPageSize, kPageSize))) {}
    ~BlkfrontIndirect() override {
        free(sring);
        free(indirect_page);
    }
    void SetUp() override {
        log_lines.clear();
        granted_pages.clear();
        set_log_sink(capture);
        ring.attach(sring);
        backend.max_indirect_segments = kMaxIndirectSegments;
    }
    void TearDown() override { set_log_sink(nullptr); }

    // A write of `count` pages as one indirect request, its segments in
    // indirect_page (granted as ref 900).
    Request indirect_write(uint64_t cookie, uint16_t count) {
        std::vector<Segment> segs(count);
        for (uint16_t i = 0; i < count; ++i) segs[i] = Segment{grant_ref_t(2000 + i), 0, 7};
        uint8_t* pages[1] = {indirect_page};
        EXPECT_EQ(write_indirect_segments(pages, segs.data(), count), Error::none);
        granted_pages[900] = indirect_page;
        Request r{};
        r.operation = BLKIF_OP_WRITE;
        r.indirect = true;
        r.nr_segments = count;
        r.handle = 51712;
        r.sector = 4096;
        r.indirect_grefs[0] = 900;
        r.cookie = cookie;
        r.tag = 0xabc;
        return r;
    }
    std::vector<Response> consume() {
        std::vector<Response> done;
        ring.consume([&](const Response& c) { done.push_back(c); });
        return done;
    }

    blkif_sring* sring;
    uint8_t* indirect_page;
    Ring ring{"blkfront test"};
    FakeBackend backend{sring, kRingSize};
};

TEST_F(BlkfrontIndirect, PostsABlkifRequestIndirectWithItsSegmentPage) {
    ASSERT_EQ(ring.post(indirect_write(7, 64)), Error::none);
    ring.push();
    auto taken = backend.take();
    ASSERT_EQ(taken.size(), 1u);
    EXPECT_EQ(taken[0].slot_operation, BLKIF_OP_INDIRECT);
    EXPECT_EQ(taken[0].operation, BLKIF_OP_WRITE);
    EXPECT_EQ(taken[0].sector, 4096u);
    ASSERT_EQ(taken[0].segments.size(), 64u);
    for (uint16_t i = 0; i < 64; ++i) {
        EXPECT_EQ(taken[0].segments[i].gref, grant_ref_t(2000 + i));
        EXPECT_EQ(taken[0].segments[i].first_sect, 0);
        EXPECT_EQ(taken[0].segments[i].last_sect, 7);
    }
    blkif_request_indirect_t ind;
    memcpy(&ind, &sring->ring[0].req, sizeof(ind));
    EXPECT_EQ(ind.handle, 51712);
    EXPECT_EQ(ind.nr_segments, 64);
}

TEST_F(BlkfrontIndirect, AnswerWithTheIndirectOpAsLinuxBlkbackDoes) {
    ASSERT_EQ(ring.post(indirect_write(7, 20)), Error::none);
    ring.push();
    auto taken = backend.take();
    backend.respond(taken[0].id, BLKIF_OP_WRITE);
    backend.publish();
    auto done = consume();
    ASSERT_EQ(done.size(), 1u);
    EXPECT_EQ(done[0].cookie, 7u);
    EXPECT_EQ(done[0].tag, 0xabcu) << "the tag comes back with the cookie";
    EXPECT_FALSE(ring.is_broken());
}

TEST_F(BlkfrontIndirect, AnswerWithBlkifOpIndirectAsTheHeaderReads) {
    ASSERT_EQ(ring.post(indirect_write(7, 20)), Error::none);
    ring.push();
    backend.respond(backend.take()[0].id, BLKIF_OP_INDIRECT);
    backend.publish();
    EXPECT_EQ(consume().size(), 1u);
    EXPECT_FALSE(ring.is_broken());
}

TEST_F(BlkfrontIndirect, AnyOtherOperationBreaks) {
    ASSERT_EQ(ring.post(indirect_write(7, 20)), Error::none);
    ring.push();
    backend.respond(backend.take()[0].id, BLKIF_OP_READ);
    backend.publish();
    EXPECT_TRUE(consume().empty());
    EXPECT_TRUE(ring.is_broken());
    EXPECT_NE(log_lines.back().find("operation 0, but the request was 1 (indirect)"),
              std::string::npos) << log_lines.back();
}

TEST_F(BlkfrontIndirect, BlkifOpIndirectForAPlainRequestBreaks) {
    Request r{};
    r.operation = BLKIF_OP_WRITE;
    r.nr_segments = 1;
    r.segments[0] = Segment{5, 0, 7};
    r.cookie = 1;
    ASSERT_EQ(ring.post(r), Error::none);
    ring.push();
    backend.respond(backend.take()[0].id, BLKIF_OP_INDIRECT);
    backend.publish();
    EXPECT_TRUE(consume().empty());
    EXPECT_TRUE(ring.is_broken());
}

TEST_F(BlkfrontIndirect, MalformedIndirectRequestsAreRefused) {
    Request r = indirect_write(1, 12);
    r.nr_segments = 0;
    EXPECT_EQ(ring.post(r), Error::invalid_argument);
    r.nr_segments = kMaxIndirectSegments + 1;
    EXPECT_EQ(ring.post(r), Error::invalid_argument);
    r.nr_segments = 12;
    r.operation = BLKIF_OP_FLUSH_DISKCACHE;  // blkback takes only reads and writes indirect
    EXPECT_EQ(ring.post(r), Error::invalid_argument);
    EXPECT_EQ(ring.outstanding(), 0u);
}

TEST(BlkfrontIndirectSegments, WritesTheSegmentArrayAndRefusesBadOnes) {
    alignas(4096) static uint8_t page[kPageSize];
    uint8_t* pages[1] = {page};
    memset(page, 0xee, sizeof(page));
    Segment segs[3] = {{11, 0, 7}, {12, 2, 5}, {13, 0, 0}};
    ASSERT_EQ(write_indirect_segments(pages, segs, 3), Error::none);
    auto* out = reinterpret_cast<blkif_request_segment*>(page);
    EXPECT_EQ(sizeof(blkif_request_segment), 8u) << "512 to a page";
    EXPECT_EQ(out[1].gref, 12u);
    EXPECT_EQ(out[1].first_sect, 2);
    EXPECT_EQ(out[1].last_sect, 5);
    EXPECT_EQ(out[2].gref, 13u);
    Segment bad[2] = {{1, 0, 7}, {2, 3, 8}};
    memset(page, 0xee, sizeof(page));
    EXPECT_EQ(write_indirect_segments(pages, bad, 2), Error::invalid_argument);
    EXPECT_EQ(page[0], 0xee) << "nothing written";
    EXPECT_EQ(write_indirect_segments(pages, segs, 0), Error::invalid_argument);
}

TEST(BlkfrontFeatures, PersistentGrantsOnlyWhenBothOfferThem) {
    EXPECT_EQ(choose_persistent_pages("1", 325), 325u);
    EXPECT_EQ(choose_persistent_pages("1", 0), 0u) << "ours off";
    EXPECT_EQ(choose_persistent_pages(nullptr, 325), 0u) << "absent: off";
    EXPECT_EQ(choose_persistent_pages("0", 325), 0u);
    EXPECT_EQ(choose_persistent_pages("yes", 325), 0u) << "junk is no offer";
    EXPECT_EQ(choose_persistent_pages("1 ", 325), 0u);
}

TEST(BlkfrontIndirectSegments, CountFollowsTheOfferOurCapAndTheOption) {
    EXPECT_EQ(choose_indirect_segments(nullptr, kMaxIndirectSegments).value(), 0u) << "absent: off";
    EXPECT_EQ(choose_indirect_segments("0", kMaxIndirectSegments).value(), 0u);
    EXPECT_EQ(choose_indirect_segments("11", kMaxIndirectSegments).value(), 0u)
        << "no more than a plain request: off";
    EXPECT_EQ(choose_indirect_segments("12", kMaxIndirectSegments).value(), 12u);
    EXPECT_EQ(choose_indirect_segments("32", kMaxIndirectSegments).value(), 32u);
    EXPECT_EQ(choose_indirect_segments("256", kMaxIndirectSegments).value(), kMaxIndirectSegments)
        << "Linux blkback's MAX_INDIRECT_SEGMENTS, capped at ours";
    EXPECT_EQ(choose_indirect_segments("4294967296", kMaxIndirectSegments).value(),
              kMaxIndirectSegments);
    EXPECT_EQ(choose_indirect_segments("256", 0).value(), 0u) << "blkindirect=0";
    EXPECT_EQ(choose_indirect_segments("256", 32).value(), 32u) << "blkindirect=32";
    EXPECT_EQ(choose_indirect_segments("256", 8).value(), 0u) << "blkindirect=8: off";
    EXPECT_EQ(choose_indirect_segments("256", 999).value(), kMaxIndirectSegments);
    const char* bad[] = {"", "-1", "+32", " 32", "32 ", "032", "0x20", "lots", "18446744073709551616"};
    for (const char* s : bad) EXPECT_TRUE(choose_indirect_segments(s, 64).is_error()) << s;
}

TEST(BlkfrontIoParts, CutsRunsOfUnsentPagesAtTheLimit) {
    std::vector<std::pair<int, int>> cut;
    uint64_t unsent = all_pages_mask(64);
    while (unsent) {
        Part p = next_part(unsent, kMaxSegments);
        cut.push_back({p.first, p.count});
        unsent &= ~p.pages_mask();
    }
    EXPECT_EQ(cut, (std::vector<std::pair<int, int>>{
                       {0, 11}, {11, 11}, {22, 11}, {33, 11}, {44, 11}, {55, 9}}));
    Part whole = next_part(all_pages_mask(64), 64);
    EXPECT_EQ(whole.first, 0);
    EXPECT_EQ(whole.count, 64);
    EXPECT_EQ(whole.pages_mask(), ~0ull);
    // Holes (pages that were answered) split runs.
    Part p = next_part(0b1110'0110ull, 64);
    EXPECT_EQ(p.first, 1);
    EXPECT_EQ(p.count, 2);
    EXPECT_EQ(next_part(0, 64).count, 0);
    Part tagged{40, 24, 3};
    Part back = Part::of_tag(tagged.tag());
    EXPECT_EQ(back.first, 40);
    EXPECT_EQ(back.count, 24);
    EXPECT_EQ(back.slot, 3);
}

// The driver's cut (disk.cpp's post_part) as a model: I/Os of `pages` pages
// each, cut into requests of at most `max` pages (indirect beyond 11), their
// pages marked unsent until answered.
struct ModelIo {
    uint64_t sector;
    uint32_t pages;
    uint64_t unsent, answered;
};

// Posts as much of `ios` as the ring takes, in order; returns how many
// requests went.
unsigned post_ios(Ring& ring, std::vector<ModelIo>& ios, uint32_t max, uint8_t* page_pool[],
                  unsigned& next_indirect) {
    unsigned posted = 0;
    for (size_t n = 0; n < ios.size(); ++n) {
        ModelIo& io = ios[n];
        while (io.unsent && ring.free_slots() > 0) {
            Part part = next_part(io.unsent, max);
            Request r{};
            r.operation = BLKIF_OP_WRITE;
            r.sector = io.sector + uint64_t(part.first) * kSectorsPerPage;
            r.nr_segments = part.count;
            r.cookie = n;
            Segment segs[kMaxIoPages];
            for (uint8_t k = 0; k < part.count; ++k)
                segs[k] = Segment{grant_ref_t(10000 * (n + 1) + part.first + k), 0, 7};
            if (part.count > kMaxSegments) {
                uint8_t* pages[1] = {page_pool[next_indirect % kRingSize]};
                EXPECT_EQ(write_indirect_segments(pages, segs, part.count), Error::none);
                grant_ref_t ref = grant_ref_t(900 + next_indirect % kRingSize);
                granted_pages[ref] = pages[0];
                ++next_indirect;
                r.indirect = true;
                r.indirect_grefs[0] = ref;
                part.slot = 0;
            } else {
                for (uint8_t k = 0; k < part.count; ++k) r.segments[k] = segs[k];
            }
            r.tag = part.tag();
            EXPECT_EQ(ring.post(r), Error::none);
            io.unsent &= ~part.pages_mask();
            ++posted;
        }
    }
    ring.push();
    return posted;
}

TEST(BlkfrontIndirectResume, UnansweredPagesGoAgainCutForABackendWithFewerSegments) {
    set_log_sink(capture);
    granted_pages.clear();
    auto* sring = static_cast<blkif_sring*>(aligned_alloc(kPageSize, kPageSize));
    std::vector<uint8_t*> pool(kRingSize);
    for (auto& p : pool) p = static_cast<uint8_t*>(aligned_alloc(kPageSize, kPageSize));
    Ring ring("blkfront test");
    ring.attach(sring);
    // Old backend: 64 segments. Four I/Os of 64, 64, 30 and 5 pages.
    std::vector<ModelIo> ios = {{0, 64, 0, 0}, {512, 64, 0, 0}, {1024, 30, 0, 0}, {2048, 5, 0, 0}};
    for (auto& io : ios) io.unsent = all_pages_mask(io.pages);
    unsigned next_indirect = 0;
    FakeBackend old_backend(sring, kRingSize);
    old_backend.max_indirect_segments = 64;
    EXPECT_EQ(post_ios(ring, ios, 64, pool.data(), next_indirect), 4u) << "one request each";
    auto taken = old_backend.take();
    ASSERT_EQ(taken.size(), 4u);
    EXPECT_EQ(taken[0].slot_operation, BLKIF_OP_INDIRECT);
    EXPECT_EQ(taken[3].slot_operation, BLKIF_OP_WRITE) << "5 pages go plain";
    // It answers the second I/O only, then the guest moves to a new domain.
    old_backend.respond(taken[1].id, BLKIF_OP_WRITE);
    old_backend.publish();
    ring.consume([&](const Response& c) { ios[c.cookie].answered |= Part::of_tag(c.tag).pages_mask(); });
    ring.detach();
    std::vector<uint64_t> order;
    ring.take_unanswered([&](const Request& r) {
        ios[r.cookie].unsent |= Part::of_tag(r.tag).pages_mask();
        order.push_back(r.cookie);
    });
    EXPECT_EQ(order, (std::vector<uint64_t>{0, 2, 3}));
    EXPECT_EQ(ios[1].unsent, 0u) << "answered: not sent again";

    // The new backend offers no indirect segments: plain 11-page requests.
    ring.attach(sring);
    FakeBackend fresh(sring, kRingSize);
    fresh.max_indirect_segments = 0;
    std::vector<Taken> all;
    for (int round = 0; round < 4; ++round) {
        post_ios(ring, ios, kMaxSegments, pool.data(), next_indirect);
        auto got = fresh.take();
        for (auto& t : got) {
            EXPECT_NE(t.slot_operation, BLKIF_OP_INDIRECT);
            EXPECT_LE(t.segments.size(), kMaxSegments);
            fresh.respond(t.id, t.operation);
            all.push_back(t);
        }
        fresh.publish();
        ring.consume([&](const Response& c) {
            ModelIo& io = ios[c.cookie];
            uint64_t mask = Part::of_tag(c.tag).pages_mask();
            EXPECT_EQ(io.answered & mask, 0u) << "a page answered twice";
            io.answered |= mask;
        });
        ASSERT_FALSE(ring.is_broken());
    }
    // 64 pages: 6 requests, 30: 3, 5: 1; in the original order, sectors contiguous.
    ASSERT_EQ(all.size(), 10u);
    EXPECT_EQ(all[0].sector, 0u);
    EXPECT_EQ(all[5].sector, 55u * 8);
    EXPECT_EQ(all[5].segments.size(), 9u);
    EXPECT_EQ(all[6].sector, 1024u);
    EXPECT_EQ(all[9].sector, 2048u);
    EXPECT_EQ(all[1].segments[0].gref, grant_ref_t(10000 + 11)) << "page 11 of the first I/O";
    for (auto& io : ios) EXPECT_EQ(io.answered, all_pages_mask(io.pages));
    set_log_sink(nullptr);
    for (auto& p : pool) free(p);
    free(sring);
}

TEST(BlkfrontIndirectResume, ABackendWithMoreSegmentsTakesLargerRequests) {
    // From plain requests to 32 indirect segments: a 64-page I/O kept whole
    // goes as two indirect requests of 32.
    granted_pages.clear();
    auto* sring = static_cast<blkif_sring*>(aligned_alloc(kPageSize, kPageSize));
    std::vector<uint8_t*> pool(kRingSize);
    for (auto& p : pool) p = static_cast<uint8_t*>(aligned_alloc(kPageSize, kPageSize));
    Ring ring("blkfront test");
    ring.attach(sring);
    std::vector<ModelIo> ios = {{0, 64, all_pages_mask(64), 0}};
    unsigned next_indirect = 0;
    EXPECT_EQ(post_ios(ring, ios, kMaxSegments, pool.data(), next_indirect), 6u);
    ring.detach();
    ring.take_unanswered([&](const Request& r) { ios[0].unsent |= Part::of_tag(r.tag).pages_mask(); });
    ring.attach(sring);
    FakeBackend fresh(sring, kRingSize);
    fresh.max_indirect_segments = 32;
    EXPECT_EQ(post_ios(ring, ios, 32, pool.data(), next_indirect), 2u);
    auto taken = fresh.take();
    ASSERT_EQ(taken.size(), 2u);
    EXPECT_EQ(taken[1].slot_operation, BLKIF_OP_INDIRECT);
    EXPECT_EQ(taken[1].sector, 32u * 8);
    EXPECT_EQ(taken[1].segments.size(), 32u);
    EXPECT_EQ(taken[1].segments[31].gref, grant_ref_t(10000 + 63));
    for (auto& p : pool) free(p);
    free(sring);
}

}  // namespace
