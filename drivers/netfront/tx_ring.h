// The transmit ring of a netfront (xen/io/netif.h, xen/io/ring.h), frontend
// side, as pure logic over the shared page: posting single-slot packets whose
// buffer the backend reads through a grant reference, and consuming the
// backend's responses with every field checked before use:
//   * the response producer never runs ahead of what was posted,
//   * each response's id is in range and names an outstanding request (so no
//     packet completes twice),
//   * its status is one a tx response may have (OKAY, ERROR, DROPPED).
// Each response is read from the shared page exactly once. The first violation
// marks the ring broken with one log line; a broken ring posts and consumes
// nothing more, and the guest carries on.
//
// Requests the backend never answered (at a suspend into a new domain, or a
// backend that went away) are kept: take_unanswered() hands them back in the
// order they were posted, to be granted again and re-sent on the new ring.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "drivers/netfront/ring_slots.h"

namespace torpor::netfront {

struct TxPacket {
    grant_ref_t gref;  // the buffer's page, granted read-only to the backend
    uint16_t offset;   // where the frame starts in that page
    uint16_t size;     // frame length; offset + size <= kPageSize
    uint64_t cookie;   // the driver's handle for the buffer, handed back on completion
};

struct TxCompletion {
    uint64_t cookie;
    int16_t status;  // NETIF_RSP_OKAY, NETIF_RSP_ERROR or NETIF_RSP_DROPPED
};

class TxRing {
public:
    // `name` prefixes the log line if the ring breaks (e.g. "netfront vif/0 tx").
    explicit TxRing(const char* name) : name_(name) {}

    // Starts using `sring` (a zeroed or reused page, re-initialised here: both
    // producers and consumers back to 0). Outstanding requests must have been
    // taken with take_unanswered() first (VERIFY).
    void attach(netif_tx_sring* sring);
    // Stops using the page (the caller revokes or forgets its grant). The
    // outstanding requests stay, for take_unanswered().
    void detach() { sring_ = nullptr; }

    // Queues one frame; invalid_argument for a frame that does not fit its
    // page or is empty, busy when the ring or the id table is full,
    // protocol_error once broken. Visible to the backend after push().
    Error post(const TxPacket& packet);
    // Publishes the requests posted since the last push; true when the backend
    // asked to be notified (its req_event) and the event channel must be kicked.
    bool push();

    // Hands every response the backend produced to `done` (at most `budget`),
    // then re-arms rsp_event; returns how many. Stops at the first invalid one
    // (the ring is then broken).
    template <typename Done>
    unsigned consume(Done done, unsigned budget = kTxRingSize);

    // The requests still waiting for a response, oldest first, each handed to
    // `keep` (their grant refs belong to the old ring's domain; grant the
    // buffers again before posting); afterwards nothing is outstanding.
    template <typename Keep>
    void take_unanswered(Keep keep);

    bool is_broken() const { return broken_; }
    uint32_t outstanding() const { return slots_.outstanding(); }
    // Free request slots (ring entries between the consumer and the producer).
    uint32_t free_slots() const { return kTxRingSize - (req_prod_pvt_ - rsp_cons_); }

private:
    // Checks one response copied out of the ring; false (and broken) if bad.
    bool accept(uint16_t id, int16_t status, uint32_t index);
    // How many responses the backend claims are ready (0 if none or broken).
    uint32_t responses_ready();
    void rearm();
    void mark_broken(const char* format, ...) __attribute__((format(printf, 2, 3)));

    const char* name_;
    netif_tx_sring* sring_ = nullptr;
    uint32_t req_prod_pvt_ = 0;
    uint32_t rsp_cons_ = 0;
    bool broken_ = false;
    RingSlots<kTxRingSize> slots_;
    TxPacket posted_[kTxRingSize];  // by id: what to send again after a reconnect
};

template <typename Done>
unsigned TxRing::consume(Done done, unsigned budget) {
    unsigned handled = 0;
    for (;;) {
        uint32_t ready = responses_ready();
        if (ready == 0 || broken_) break;
        while (ready > 0 && handled < budget) {
            const volatile netif_tx_response_t& r =
                sring_->ring[rsp_cons_ & (kTxRingSize - 1)].rsp;
            uint16_t id = r.id;  // each field read once
            int16_t status = r.status;
            if (!accept(id, status, rsp_cons_)) return handled;
            ++rsp_cons_;
            --ready;
            ++handled;
            done(TxCompletion{slots_.release(id), status});
        }
        if (handled >= budget) return handled;
        rearm();
    }
    return handled;
}

template <typename Keep>
void TxRing::take_unanswered(Keep keep) {
    // Oldest first: the largest distance back from the producer (wrap-safe;
    // responses may have come out of order, so any id may be the oldest).
    while (slots_.outstanding() > 0) {
        uint32_t oldest = kTxRingSize, oldest_age = 0;
        for (uint32_t id = 0; id < kTxRingSize; ++id) {
            if (!slots_.is_outstanding(id)) continue;
            uint32_t age = req_prod_pvt_ - slots_.posted_at(uint16_t(id));
            if (oldest == kTxRingSize || age > oldest_age) {
                oldest = id;
                oldest_age = age;
            }
        }
        keep(posted_[oldest]);
        slots_.release(uint16_t(oldest));
    }
    rsp_cons_ = req_prod_pvt_;
}

}  // namespace torpor::netfront
