// The request ring of a blkfront (xen/io/blkif.h, xen/io/ring.h), frontend
// side, as pure logic over the shared pages (one, or 2^order with
// max-ring-page-order: ring_pages_for_order / ring_size_for_pages): posting read, write and flush
// requests (direct segments: up to BLKIF_MAX_SEGMENTS_PER_REQUEST granted
// pages each; or BLKIF_OP_INDIRECT: up to kMaxIndirectSegments, listed in an
// indirect page the driver fills with write_indirect_segments, indirect.h) and
// consuming the backend's responses, every field checked before use:
//   * the response producer never runs ahead of what was posted,
//   * each response's id is in range and names an outstanding request that
//     was pushed (so nothing completes twice, and a response with no request,
//     or to one the backend could not have taken yet, is caught),
//   * its operation is the one the request had (for an indirect request
//     either its indirect_op or BLKIF_OP_INDIRECT, see accept()),
//   * its status is one blkif defines (OKAY, ERROR, EOPNOTSUPP).
// Each response is read from the shared page exactly once. The first violation
// marks the ring broken with one log line; a broken ring posts and consumes
// nothing more, and the guest carries on.
//
// Requests the backend never answered (a suspend into a new domain, a backend
// that went away) are kept: take_unanswered() hands them back in the order
// they were posted, to be granted again and re-issued on the new ring.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "xen/abi.h"
#include <xen/io/blkif.h>

namespace torpor::blkfront {

inline constexpr uint32_t kPageSize = 4096;
inline constexpr uint32_t kSectorSize = 512;  // blkif's unit for sector_number and segments
inline constexpr uint32_t kSectorsPerPage = kPageSize / kSectorSize;
// One page holds 32 requests (xen/io/ring.h: the largest power of two that
// fits after the 64-byte header; a request is 112 bytes).
inline constexpr uint32_t kRingSize = __CONST_RING_SIZE(blkif, kPageSize);
static_assert(kRingSize == 32);
// A multi-page ring (blkif.h: max-ring-page-order, ring-page-order,
// ring-ref%u): 2^order pages, virtually contiguous here, each granted on its
// own. We go up to 16 pages (order 4, 512 requests), as far as the backend
// offers.
inline constexpr uint32_t kMaxRingOrder = 4;
constexpr uint32_t ring_pages_for_order(uint32_t order) { return 1u << order; }
// __CONST_RING_SIZE for `pages` pages: the largest power of two of requests
// that fits after the header.
constexpr uint32_t ring_size_for_pages(uint32_t pages) {
    return __CONST_RING_SIZE(blkif, pages * kPageSize);
}
inline constexpr uint32_t kMaxRingPages = ring_pages_for_order(kMaxRingOrder);
inline constexpr uint32_t kMaxRingSize = ring_size_for_pages(kMaxRingPages);
static_assert(ring_size_for_pages(1) == kRingSize);
static_assert(kMaxRingSize == 512);
inline constexpr uint32_t kMaxSegments = BLKIF_MAX_SEGMENTS_PER_REQUEST;
// Our budget for BLKIF_OP_INDIRECT: at most 64 segments (256 KiB) a request,
// listed in one indirect page (a page holds 512 blkif_request_segments; blkif.h
// allows up to BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST = 8 of them). Whatever the
// backend offers in feature-max-indirect-segments is capped at this.
inline constexpr uint32_t kMaxIndirectSegments = 64;
inline constexpr uint32_t kSegmentsPerIndirectPage =
    kPageSize / sizeof(blkif_request_segment);
inline constexpr uint32_t kMaxIndirectPages =
    (kMaxIndirectSegments + kSegmentsPerIndirectPage - 1) / kSegmentsPerIndirectPage;
static_assert(kMaxIndirectPages == 1 && kMaxIndirectPages <= BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST);
static_assert(kMaxIndirectSegments > kMaxSegments);

struct Segment {
    grant_ref_t gref;    // the data page, granted to the backend
    uint8_t first_sect;  // first and last 512-byte sector within that page
    uint8_t last_sect;   // (inclusive): first <= last < kSectorsPerPage
};

struct Request {
    // BLKIF_OP_READ, _WRITE, _FLUSH_DISKCACHE or _WRITE_BARRIER; for an
    // indirect request the indirect_op (READ or WRITE).
    uint8_t operation;
    // Posted as BLKIF_OP_INDIRECT (blkif_request_indirect): the nr_segments
    // segments are in the indirect pages, not in `segments`.
    bool indirect;
    uint16_t nr_segments;
    blkif_vdev_t handle;
    uint64_t sector;  // in 512-byte units
    Segment segments[kMaxSegments];  // direct requests only
    grant_ref_t indirect_grefs[kMaxIndirectPages];  // indirect only: the pages listing the segments
    uint64_t cookie;  // the driver's handle for the request, handed back on completion
    uint32_t tag;     // the driver's too (which part of its I/O this is), handed back
};

struct Response {
    uint64_t cookie;
    uint32_t tag;
    int16_t status;  // BLKIF_RSP_OKAY, _ERROR or _EOPNOTSUPP
};

// Whether `r` is one the ring will post: a known operation, a segment count
// that fits it (reads and writes 1..11, a flush or a barrier 0..11: an empty
// barrier is how a flush is asked of a backend that only offers
// feature-barrier; blkback and QEMU's xen-block both take it as "finish what
// came before, then flush"), every segment within its page; an indirect one
// is a read or write of 1..kMaxIndirectSegments segments (those are checked
// by write_indirect_segments, which writes them).
bool request_is_well_formed(const Request& r);
// How many indirect pages an indirect request of `segments` segments names.
constexpr uint32_t indirect_pages_for(uint32_t segments) {
    return (segments + kSegmentsPerIndirectPage - 1) / kSegmentsPerIndirectPage;
}

class Ring {
public:
    // `name` prefixes the log line if the ring breaks (e.g. "blkfront xvda").
    explicit Ring(const char* name) : name_(name) { reset_ids(); }

    // Starts using `sring`, `pages` (a power of two up to kMaxRingPages)
    // contiguous pages, re-initialised here: both producers and consumers back
    // to 0, size() requests. Outstanding requests must have been taken with
    // take_unanswered() first (VERIFY).
    void attach(blkif_sring* sring, uint32_t pages = 1);
    // Stops using the page (the caller revokes or forgets its grant). The
    // outstanding requests stay, for take_unanswered().
    void detach() { sring_ = nullptr; }
    bool is_attached() const { return sring_ != nullptr; }

    // Queues one request; invalid_argument for a malformed one, busy when the
    // ring is full, protocol_error once broken or while detached. Visible to
    // the backend after push().
    Error post(const Request& request);
    // Publishes the requests posted since the last push; true when the backend
    // asked to be notified (its req_event) and the event channel must be kicked.
    bool push();

    // Hands every response the backend produced to `done` (at most `budget`),
    // then re-arms rsp_event; returns how many. Stops at the first invalid one
    // (the ring is then broken).
    template <typename Done>
    unsigned consume(Done done, unsigned budget = kMaxRingSize);

    // The requests still waiting for a response, oldest first, each handed to
    // `keep` (their grant refs belong to the old ring; grant the pages again
    // before posting); afterwards nothing is outstanding.
    template <typename Keep>
    void take_unanswered(Keep keep);

    bool is_broken() const { return broken_; }
    // Requests the ring holds (ring_size_for_pages of the attached pages).
    uint32_t size() const { return size_; }
    uint32_t outstanding() const { return size_ - free_count_; }
    uint32_t free_slots() const { return sring_ ? size_ - (req_prod_pvt_ - rsp_cons_) : 0; }
    // The request behind an outstanding id (for the driver's diagnostics).
    const Request* outstanding_request(uint64_t id) const {
        return id < size_ && outstanding_[id] ? &posted_[id] : nullptr;
    }

private:
    bool accept(uint64_t id, uint8_t operation, int16_t status, uint32_t index);
    uint32_t responses_ready();
    void rearm();
    void reset_ids();
    uint16_t take_id();
    void release_id(uint16_t id);
    void mark_broken(const char* format, ...) __attribute__((format(printf, 2, 3)));

    const char* name_;
    blkif_sring* sring_ = nullptr;
    uint32_t size_ = kRingSize;  // a power of two
    uint32_t req_prod_pvt_ = 0;
    uint32_t pushed_ = 0;  // the req_prod we last published
    uint32_t rsp_cons_ = 0;
    bool broken_ = false;
    uint16_t free_[kMaxRingSize];
    uint32_t free_count_ = 0;
    bool outstanding_[kMaxRingSize];
    uint32_t posted_at_[kMaxRingSize];
    Request posted_[kMaxRingSize];  // by id: what to send again after a reconnect
};

template <typename Done>
unsigned Ring::consume(Done done, unsigned budget) {
    unsigned handled = 0;
    for (;;) {
        uint32_t ready = responses_ready();
        if (ready == 0 || broken_) break;
        while (ready > 0 && handled < budget) {
            const volatile blkif_response_t& r = sring_->ring[rsp_cons_ & (size_ - 1)].rsp;
            uint64_t id = r.id;  // each field read once
            uint8_t operation = r.operation;
            int16_t status = r.status;
            if (!accept(id, operation, status, rsp_cons_)) return handled;
            ++rsp_cons_;
            --ready;
            ++handled;
            uint64_t cookie = posted_[id].cookie;
            uint32_t tag = posted_[id].tag;
            release_id(uint16_t(id));
            done(Response{cookie, tag, status});
        }
        if (handled >= budget) return handled;
        rearm();
    }
    return handled;
}

template <typename Keep>
void Ring::take_unanswered(Keep keep) {
    // Oldest first: the largest distance back from the producer (wrap-safe;
    // responses may come out of order, so any id may be the oldest).
    while (outstanding() > 0) {
        uint32_t oldest = size_, oldest_age = 0;
        for (uint32_t id = 0; id < size_; ++id) {
            if (!outstanding_[id]) continue;
            uint32_t age = req_prod_pvt_ - posted_at_[id];
            if (oldest == size_ || age > oldest_age) {
                oldest = id;
                oldest_age = age;
            }
        }
        Request r = posted_[oldest];
        release_id(uint16_t(oldest));
        keep(r);
    }
    rsp_cons_ = req_prod_pvt_;
    pushed_ = req_prod_pvt_;
}

}  // namespace torpor::blkfront
