#include "drivers/blkfront/blk_ring.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"

namespace torpor::blkfront {

// The x86-64 layout blkback reads (Linux's packed blkif_request_indirect pads
// to the same offsets): id at 8, sector at 16, handle at 24, grefs from 28.
static_assert(offsetof(blkif_request_indirect_t, id) == 8);
static_assert(offsetof(blkif_request_indirect_t, sector_number) == 16);
static_assert(offsetof(blkif_request_indirect_t, handle) == 24);
static_assert(offsetof(blkif_request_indirect_t, indirect_grefs) == 28);
static_assert(sizeof(blkif_request_indirect_t) <= sizeof(blkif_request_t));

bool request_is_well_formed(const Request& r) {
    if (r.indirect)
        return (r.operation == BLKIF_OP_READ || r.operation == BLKIF_OP_WRITE) &&
               r.nr_segments >= 1 && r.nr_segments <= kMaxIndirectSegments;
    unsigned min_segments = 1;
    switch (r.operation) {
        case BLKIF_OP_READ:
        case BLKIF_OP_WRITE: break;
        case BLKIF_OP_WRITE_BARRIER:  // may be empty: a drain and a flush
        case BLKIF_OP_FLUSH_DISKCACHE: min_segments = 0; break;
        default: return false;
    }
    if (r.nr_segments < min_segments || r.nr_segments > kMaxSegments) return false;
    for (unsigned i = 0; i < r.nr_segments; ++i) {
        const Segment& s = r.segments[i];
        if (s.first_sect > s.last_sect || s.last_sect >= kSectorsPerPage) return false;
    }
    return true;
}

void Ring::reset_ids() {
    for (uint32_t i = 0; i < size_; ++i) {
        free_[i] = uint16_t(size_ - 1 - i);  // hands out 0, 1, 2, ... first
        outstanding_[i] = false;
        posted_at_[i] = 0;
    }
    free_count_ = size_;
}

uint16_t Ring::take_id() {
    uint16_t id = free_[--free_count_];
    outstanding_[id] = true;
    return id;
}

void Ring::release_id(uint16_t id) {
    outstanding_[id] = false;
    free_[free_count_++] = id;
}

void Ring::attach(blkif_sring* sring, uint32_t pages) {
    VERIFY(outstanding() == 0);  // take_unanswered() first
    VERIFY(pages >= 1 && pages <= kMaxRingPages && (pages & (pages - 1)) == 0);
    // SHARED_RING_INIT + FRONT_RING_INIT (xen/io/ring.h), without the macros.
    memset(static_cast<void*>(sring), 0, size_t(pages) * kPageSize);
    size_ = ring_size_for_pages(pages);
    sring->req_event = 1;
    sring->rsp_event = 1;
    sring_ = sring;
    req_prod_pvt_ = 0;
    pushed_ = 0;
    rsp_cons_ = 0;
    broken_ = false;
    reset_ids();
}

void Ring::mark_broken(const char* format, ...) {
    if (broken_) return;
    broken_ = true;
    char reason[160];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof(reason), format, args);
    va_end(args);
    klog("%s: %s; device marked broken", name_, reason);
}

Error Ring::post(const Request& request) {
    if (broken_ || !sring_) return Error::protocol_error;
    if (!request_is_well_formed(request)) return Error::invalid_argument;
    if (free_slots() == 0 || free_count_ == 0) return Error::busy;
    uint16_t id = take_id();
    posted_[id] = request;
    posted_at_[id] = req_prod_pvt_;
    if (request.indirect) {
        // blkif.h, BLKIF_OP_INDIRECT: the slot holds a blkif_request_indirect.
        auto& req = reinterpret_cast<volatile blkif_request_indirect_t&>(
            sring_->ring[req_prod_pvt_ & (size_ - 1)].req);
        req.operation = BLKIF_OP_INDIRECT;
        req.indirect_op = request.operation;
        req.nr_segments = request.nr_segments;
        req.id = id;
        req.sector_number = request.sector;
        req.handle = request.handle;
        for (uint32_t i = 0; i < indirect_pages_for(request.nr_segments); ++i)
            req.indirect_grefs[i] = request.indirect_grefs[i];
        ++req_prod_pvt_;
        return Error::none;
    }
    volatile blkif_request_t& req = sring_->ring[req_prod_pvt_ & (size_ - 1)].req;
    req.operation = request.operation;
    req.nr_segments = uint8_t(request.nr_segments);
    req.handle = request.handle;
    req.id = id;
    req.sector_number = request.sector;
    for (unsigned i = 0; i < request.nr_segments; ++i) {
        req.seg[i].gref = request.segments[i].gref;
        req.seg[i].first_sect = request.segments[i].first_sect;
        req.seg[i].last_sect = request.segments[i].last_sect;
    }
    ++req_prod_pvt_;
    return Error::none;
}

bool Ring::push() {
    if (broken_ || !sring_) return false;
    uint32_t old_prod = pushed_;  // ours, not the shared copy the backend could rewrite
    uint32_t new_prod = req_prod_pvt_;
    pushed_ = new_prod;
    // The backend must see the requests before the producer that covers them,
    // and we must read req_event only after it can see the new producer
    // (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY).
    __atomic_store_n(&sring_->req_prod, new_prod, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t event = __atomic_load_n(&sring_->req_event, __ATOMIC_RELAXED);
    return uint32_t(new_prod - event) < uint32_t(new_prod - old_prod);
}

uint32_t Ring::responses_ready() {
    if (broken_ || !sring_) return 0;
    uint32_t prod = __atomic_load_n(&sring_->rsp_prod, __ATOMIC_ACQUIRE);
    uint32_t ready = prod - rsp_cons_;
    // Only what was pushed can have been answered.
    uint32_t pushed = pushed_ - rsp_cons_;
    if (ready > pushed) {
        mark_broken("response producer %u is %u past the consumer, but only %u requests are "
                    "unanswered", prod, ready, pushed);
        return 0;
    }
    return ready;
}

bool Ring::accept(uint64_t id, uint8_t operation, int16_t status, uint32_t index) {
    if (id >= size_ || !outstanding_[id]) {
        mark_broken("response %u names id %llu, which is %s", index, (unsigned long long)id,
                    id >= size_ ? "out of range" : "not outstanding (already completed?)");
        return false;
    }
    // Requests sit in the shared page from post() on, but the backend may
    // only take those req_prod covers: posted at or after pushed_ is not yet.
    if (uint32_t(posted_at_[id] - pushed_) < size_) {
        mark_broken("response %u names id %llu, which was not pushed yet", index,
                    (unsigned long long)id);
        return false;
    }
    // blkif.h says a response's operation is "copied from request", which
    // for an indirect one is BLKIF_OP_INDIRECT; Linux blkback answers with the
    // indirect_op instead (dispatch_rw_block_io: pending_req->operation =
    // req_operation, the indirect_op for BLKIF_OP_INDIRECT, and make_response
    // echoes that). Both are accepted, nothing else.
    bool indirect_echo = posted_[id].indirect && operation == BLKIF_OP_INDIRECT;
    if (operation != posted_[id].operation && !indirect_echo) {
        mark_broken("response %u for id %llu has operation %u, but the request was %u%s", index,
                    (unsigned long long)id, unsigned(operation), unsigned(posted_[id].operation),
                    posted_[id].indirect ? " (indirect)" : "");
        return false;
    }
    if (status != BLKIF_RSP_OKAY && status != BLKIF_RSP_ERROR && status != BLKIF_RSP_EOPNOTSUPP) {
        mark_broken("response %u for id %llu has status %d, which blkif does not define", index,
                    (unsigned long long)id, int(status));
        return false;
    }
    return true;
}

void Ring::rearm() {
    // RING_FINAL_CHECK_FOR_RESPONSES: ask for an event at the next response,
    // then look again so that one produced meanwhile is not missed.
    __atomic_store_n(&sring_->rsp_event, rsp_cons_ + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

}  // namespace torpor::blkfront
