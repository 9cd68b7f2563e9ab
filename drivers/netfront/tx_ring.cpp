#include "drivers/netfront/tx_ring.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/log.h"

namespace torpor::netfront {

void TxRing::attach(netif_tx_sring* sring) {
    VERIFY(slots_.outstanding() == 0);  // take_unanswered() first
    // SHARED_RING_INIT + FRONT_RING_INIT (xen/io/ring.h), without the macros.
    memset(static_cast<void*>(sring), 0, kPageSize);
    sring->req_event = 1;
    sring->rsp_event = 1;
    sring_ = sring;
    req_prod_pvt_ = 0;
    rsp_cons_ = 0;
    broken_ = false;
}

void TxRing::mark_broken(const char* format, ...) {
    if (broken_) return;
    broken_ = true;
    char reason[160];
    va_list args;
    va_start(args, format);
    vsnprintf(reason, sizeof(reason), format, args);
    va_end(args);
    klog("%s: %s; device marked broken", name_, reason);
}

Error TxRing::post(const TxPacket& packet) {
    if (broken_ || !sring_) return Error::protocol_error;
    if (packet.size == 0 || packet.offset >= kPageSize || packet.size > kPageSize - packet.offset)
        return Error::invalid_argument;
    if (free_slots() == 0 || !slots_.has_free()) return Error::busy;
    uint16_t id = slots_.take(packet.cookie, req_prod_pvt_);
    posted_[id] = packet;
    volatile netif_tx_request_t& req = sring_->ring[req_prod_pvt_ & (kTxRingSize - 1)].req;
    req.gref = packet.gref;
    req.offset = packet.offset;
    req.flags = 0;  // one slot, checksums filled in, no extra info
    req.id = id;
    req.size = packet.size;
    ++req_prod_pvt_;
    return Error::none;
}

bool TxRing::push() {
    if (broken_ || !sring_) return false;
    uint32_t old_prod = sring_->req_prod;
    uint32_t new_prod = req_prod_pvt_;
    // The backend must see the requests before the producer that covers them,
    // and we must read req_event only after it can see the new producer
    // (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY).
    __atomic_store_n(&sring_->req_prod, new_prod, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t event = __atomic_load_n(&sring_->req_event, __ATOMIC_RELAXED);
    return uint32_t(new_prod - event) < uint32_t(new_prod - old_prod);
}

uint32_t TxRing::responses_ready() {
    if (broken_ || !sring_) return 0;
    uint32_t prod = __atomic_load_n(&sring_->rsp_prod, __ATOMIC_ACQUIRE);
    uint32_t ready = prod - rsp_cons_;
    uint32_t posted = req_prod_pvt_ - rsp_cons_;  // requests still unanswered
    if (ready > posted) {
        mark_broken("response producer %u is %u past the consumer, but only %u requests are "
                    "unanswered", prod, ready, posted);
        return 0;
    }
    return ready;
}

bool TxRing::accept(uint16_t id, int16_t status, uint32_t index) {
    if (!slots_.is_outstanding(id)) {
        mark_broken("response %u names id %u, which is %s", index, unsigned(id),
                    id >= kTxRingSize ? "out of range" : "not outstanding (already completed?)");
        return false;
    }
    if (status != NETIF_RSP_OKAY && status != NETIF_RSP_ERROR && status != NETIF_RSP_DROPPED) {
        mark_broken("response %u for id %u has status %d, which no tx response has", index,
                    unsigned(id), int(status));
        return false;
    }
    return true;
}

void TxRing::rearm() {
    // RING_FINAL_CHECK_FOR_RESPONSES: ask for an event at the next response,
    // then look again so that one produced meanwhile is not missed.
    __atomic_store_n(&sring_->rsp_event, rsp_cons_ + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

}  // namespace torpor::netfront
