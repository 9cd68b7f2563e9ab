// libFuzzer target: the blkfront's ring (drivers/blkfront/blk_ring.h) driven by
// a backend that writes whatever the input says into the shared page: response
// ids (64-bit), operations, statuses, the response producer, and scribbles over
// req_prod and the event indices. Requests are plain or BLKIF_OP_INDIRECT
// (whose answer may carry the indirect_op, as Linux blkback's does, or
// BLKIF_OP_INDIRECT, as blkif.h's "copied from request" reads). A model of what was posted checks every
// completion the ring hands out:
//   * only requests that were posted and pushed complete, each once, with the
//     operation they were posted with and a status blkif defines;
//   * nothing completes once the ring is broken;
//   * the outstanding count matches the model; after a reconnect the
//     unanswered requests come back exactly, in the order they were posted.
// AddressSanitizer catches any read or write outside the page or the tables.
//
// Input: a sequence of operations, one byte each (op = byte % 8) followed by
// the bytes that op reads (zero where the input is short); see run() below.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <map>
#include <vector>

#include "drivers/blkfront/blk_ring.h"

using namespace torpor;
using namespace torpor::blkfront;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

namespace {

struct Input {
    const uint8_t* data;
    size_t size;
    size_t at = 0;
    bool done() const { return at >= size; }
    uint8_t u8() { return at < size ? data[at++] : 0; }
    uint16_t u16() { return uint16_t(u8() | (u8() << 8)); }
    uint32_t u32() { return uint32_t(u16() | (uint32_t(u16()) << 16)); }
    uint64_t u64() { return uint64_t(u32()) | (uint64_t(u32()) << 32); }
};

struct Posted {
    uint8_t operation;
    bool indirect;
    uint16_t nr_segments;
    uint32_t tag;
    uint64_t order;  // posting order
    bool pushed;
};

struct World {
    // A ring of `pages` pages (1..16: what max-ring-page-order can give).
    explicit World(uint32_t pages)
        : pages(pages), page(aligned_alloc(kPageSize, kPageSize * pages)) {
        ring.attach(sring(), pages);
    }
    ~World() { free(page); }
    uint32_t pages;
    void* page;
    Ring ring{"fuzz blkfront"};
    uint32_t rsp_prod_pvt = 0;  // the backend's next response slot
    uint64_t next_cookie = 1;
    uint64_t next_order = 0;
    std::map<uint64_t, Posted> model;  // outstanding cookies

    blkif_sring* sring() { return static_cast<blkif_sring*>(page); }

    void post(Input& in) {
        static const uint8_t ops[] = {BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_FLUSH_DISKCACHE,
                                      BLKIF_OP_WRITE_BARRIER, BLKIF_OP_DISCARD};
        Request r{};
        uint8_t op = in.u8();
        r.operation = ops[op % 5];
        r.indirect = (op & 0x80) != 0;  // up to kMaxIndirectSegments + 1 segments then
        uint8_t nseg = in.u8();
        r.nr_segments = r.indirect ? uint16_t(nseg % (kMaxIndirectSegments + 2))
                                   : uint16_t(nseg % (kMaxSegments + 2));
        r.sector = in.u32();
        for (unsigned i = 0; i < kMaxSegments; ++i)
            r.segments[i] = Segment{grant_ref_t(i + 8), uint8_t(in.u8() % 9), 7};
        r.indirect_grefs[0] = grant_ref_t(1000 + next_cookie);
        r.cookie = next_cookie++;
        r.tag = uint32_t(r.cookie * 2654435761u);
        bool full = ring.outstanding() >= ring.size() || ring.free_slots() == 0;
        Error e = ring.post(r);
        if (ring.is_broken() || !ring.is_attached()) {
            CHECK(e == Error::protocol_error);
        } else if (!request_is_well_formed(r)) {
            CHECK(e == Error::invalid_argument);
        } else if (full) {
            CHECK(e == Error::busy);
        } else {
            CHECK(e == Error::none);
            model[r.cookie] = Posted{r.operation, r.indirect, r.nr_segments, r.tag, next_order++, false};
        }
    }
    void push() {
        ring.push();
        if (!ring.is_broken() && ring.is_attached())
            for (auto& [cookie, p] : model) p.pushed = true;
    }
    void respond(Input& in) {
        blkif_response_t& rsp = sring()->ring[rsp_prod_pvt++ % ring.size()].rsp;
        uint8_t how = in.u8();
        // Mostly ids the ring might hand out, sometimes anything at all.
        rsp.id = (how & 0x80) ? in.u64() : uint64_t(in.u8() % (ring.size() + 2));
        rsp.operation = (how & 0x40) ? in.u8() : uint8_t(in.u8() % 4);
        rsp.status = (how & 0x20) ? int16_t(in.u16()) : int16_t(-int(in.u8() % 4));
    }
    void publish(Input& in) {
        uint8_t how = in.u8();
        sring()->rsp_prod = (how & 1) ? in.u32() : rsp_prod_pvt;
    }
    void scribble(Input& in) {
        sring()->req_prod = in.u32();
        sring()->rsp_event = in.u32();
        sring()->req_event = in.u32();
    }
    void consume(Input& in) {
        bool was_broken = ring.is_broken();
        unsigned budget = 1 + in.u8() % ring.size();
        ring.consume(
            [&](const Response& c) {
                CHECK(!was_broken);
                auto it = model.find(c.cookie);
                CHECK(it != model.end());  // outstanding, and only once
                CHECK(it->second.pushed);
                CHECK(c.tag == it->second.tag);
                CHECK(c.status == BLKIF_RSP_OKAY || c.status == BLKIF_RSP_ERROR ||
                      c.status == BLKIF_RSP_EOPNOTSUPP);
                model.erase(it);
            },
            budget);
        CHECK(ring.outstanding() == model.size());
    }
    void reconnect() {
        ring.detach();
        std::vector<const Posted*> expected;
        std::vector<std::pair<uint64_t, Posted>> sorted(model.begin(), model.end());
        std::sort(sorted.begin(), sorted.end(),
                  [](auto& a, auto& b) { return a.second.order < b.second.order; });
        std::vector<Request> kept;
        ring.take_unanswered([&](const Request& r) { kept.push_back(r); });
        CHECK(kept.size() == sorted.size());
        for (size_t i = 0; i < kept.size(); ++i) {
            CHECK(kept[i].cookie == sorted[i].first);
            CHECK(kept[i].operation == sorted[i].second.operation);
            CHECK(kept[i].indirect == sorted[i].second.indirect);
            CHECK(kept[i].nr_segments == sorted[i].second.nr_segments);
            CHECK(kept[i].tag == sorted[i].second.tag);
        }
        CHECK(ring.outstanding() == 0);
        model.clear();
        memset(page, 0xa5, kPageSize * pages);  // attach() must re-initialise whatever is there
        ring.attach(sring(), pages);
        rsp_prod_pvt = 0;
        CHECK(!ring.is_broken());
        // Re-issued in order.
        for (auto& r : kept) {
            CHECK(ring.post(r) == Error::none);
            model[r.cookie] = Posted{r.operation, r.indirect, r.nr_segments, r.tag, next_order++, false};
        }
    }
};

void run(const uint8_t* data, size_t size) {
    Input in{data, size};
    World w(ring_pages_for_order(in.u8() % (kMaxRingOrder + 1)));
    while (!in.done()) {
        switch (in.u8() % 8) {
            case 0: w.post(in); break;
            case 1: w.push(); break;
            case 2: w.respond(in); break;
            case 3: w.publish(in); break;
            case 4: w.consume(in); break;
            case 5: w.reconnect(); break;
            case 6: w.scribble(in); break;
            case 7: {  // a well-behaved answer to the oldest pushed request, if any
                // Not via the model's ids (the ring owns those); respond with
                // whatever the ring put in the request slot under the consumer.
                // An indirect request is answered with its indirect_op (Linux
                // blkback) or BLKIF_OP_INDIRECT, as the next input bit says.
                uint32_t slot = w.rsp_prod_pvt % w.ring.size();
                blkif_request_t req = w.sring()->ring[slot].req;
                blkif_request_indirect_t ind;
                memcpy(&ind, &req, sizeof(ind));
                bool echo_indirect = in.u8() & 1;
                blkif_response_t& rsp = w.sring()->ring[slot].rsp;
                rsp.id = req.id;
                rsp.operation = req.operation == BLKIF_OP_INDIRECT && !echo_indirect
                                    ? ind.indirect_op : req.operation;
                rsp.status = BLKIF_RSP_OKAY;
                ++w.rsp_prod_pvt;
                break;
            }
        }
    }
    w.consume(in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    run(data, size);
    return 0;
}
