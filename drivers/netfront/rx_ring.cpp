#include "drivers/netfront/rx_ring.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"

namespace torpor::netfront {

namespace {

// Flags a response may carry when we negotiated one slot per frame, no GSO.
constexpr uint16_t kAllowedFlags = NETRXF_data_validated | NETRXF_csum_blank;

}  // namespace

void RxRing::attach(netif_rx_sring* sring) {
    VERIFY(slots_.outstanding() == 0);  // take_posted() first
    memset(static_cast<void*>(sring), 0, kPageSize);
    sring->req_event = 1;
    sring->rsp_event = 1;
    sring_ = sring;
    req_prod_pvt_ = 0;
    rsp_cons_ = 0;
    broken_ = false;
}

void RxRing::mark_broken(const char* format, ...) {
    if (broken_) return;
    broken_ = true;
    char reason[160];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof(reason), format, args);
    va_end(args);
    klog("%s: %s; device marked broken", name_, reason);
}

Error RxRing::post(const RxBuffer& buffer) {
    if (broken_ || !sring_) return Error::protocol_error;
    if (free_slots() == 0 || !slots_.has_free()) return Error::busy;
    uint16_t id = slots_.take(buffer.cookie, req_prod_pvt_);
    gref_[id] = buffer.gref;
    volatile netif_rx_request_t& req = sring_->ring[req_prod_pvt_ & (kRxRingSize - 1)].req;
    req.id = id;
    req.gref = buffer.gref;
    ++req_prod_pvt_;
    return Error::none;
}

bool RxRing::push() {
    if (broken_ || !sring_) return false;
    uint32_t old_prod = sring_->req_prod;
    uint32_t new_prod = req_prod_pvt_;
    __atomic_store_n(&sring_->req_prod, new_prod, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t event = __atomic_load_n(&sring_->req_event, __ATOMIC_RELAXED);
    return uint32_t(new_prod - event) < uint32_t(new_prod - old_prod);
}

uint32_t RxRing::responses_ready() {
    if (broken_ || !sring_) return 0;
    uint32_t prod = __atomic_load_n(&sring_->rsp_prod, __ATOMIC_ACQUIRE);
    uint32_t ready = prod - rsp_cons_;
    uint32_t posted = req_prod_pvt_ - rsp_cons_;
    if (ready > posted) {
        mark_broken("response producer %u is %u past the consumer, but only %u buffers are "
                    "posted", prod, ready, posted);
        return 0;
    }
    return ready;
}

bool RxRing::accept(uint16_t id, uint16_t offset, uint16_t flags, int16_t status,
                    uint32_t index) {
    if (!slots_.is_outstanding(id)) {
        mark_broken("response %u names id %u, which is %s", index, unsigned(id),
                    id >= kRxRingSize ? "out of range" : "not a posted buffer (already completed?)");
        return false;
    }
    if (flags & ~kAllowedFlags) {
        mark_broken("response %u for id %u has flags %#x (multi-slot or extra info, never "
                    "negotiated)", index, unsigned(id), unsigned(flags));
        return false;
    }
    if (status > 0) {
        if (uint32_t(offset) + uint32_t(status) > kPageSize) {
            mark_broken("response %u for id %u: offset %u + length %d runs past the page", index,
                        unsigned(id), unsigned(offset), int(status));
            return false;
        }
        return true;
    }
    if (status == NETIF_RSP_ERROR || status == NETIF_RSP_DROPPED || status == NETIF_RSP_OKAY)
        return true;  // nothing received into this buffer
    mark_broken("response %u for id %u has status %d, which no rx response has", index,
                unsigned(id), int(status));
    return false;
}

void RxRing::rearm() {
    __atomic_store_n(&sring_->rsp_event, rsp_cons_ + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

}  // namespace torpor::netfront
