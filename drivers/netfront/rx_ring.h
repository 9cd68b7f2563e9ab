// The receive ring of a netfront (xen/io/netif.h, request-rx-copy=1), frontend
// side, as pure logic over the shared page: buffers (whole pages granted
// writable to the backend) are kept posted, and the backend copies each frame
// into one and answers with its offset and length. Every response is checked
// before use:
//   * the response producer never runs ahead of the buffers posted,
//   * its id is in range and names a posted buffer (none completes twice),
//   * its status is a length (> 0) with offset + length within the page, or
//     NETIF_RSP_ERROR / NETIF_RSP_DROPPED (the buffer comes back empty),
//   * its flags ask for nothing we did not negotiate: no more_data (we offer
//     no feature-sg), no extra_info or gso_prefix (no GSO).
// Each response is read from the shared page exactly once. The first violation
// marks the ring broken with one log line; a broken ring consumes nothing more.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "drivers/netfront/ring_slots.h"

namespace torpor::netfront {

struct RxBuffer {
    grant_ref_t gref;  // the page, granted writable to the backend
    uint64_t cookie;   // the driver's handle for it
};

struct RxCompletion {
    uint64_t cookie;  // the buffer, now the driver's again
    uint16_t offset;  // where the frame starts (meaningful when length > 0)
    uint16_t length;  // 0: nothing received (status below says why)
    int16_t status;   // the backend's raw status: > 0 length, else NETIF_RSP_*
    uint16_t flags;   // NETRXF_data_validated / NETRXF_csum_blank may be set
};

class RxRing {
public:
    explicit RxRing(const char* name) : name_(name) {}

    // Starts using `sring`, re-initialised here. Posted buffers must have been
    // taken back with take_posted() first (VERIFY).
    void attach(netif_rx_sring* sring);
    void detach() { sring_ = nullptr; }

    // Offers one page for the backend to fill: busy when full, protocol_error
    // once broken. Visible after push().
    Error post(const RxBuffer& buffer);
    // Publishes the buffers posted since the last push; true if the backend
    // must be notified.
    bool push();

    // Hands each received frame (or empty buffer) to `done`, at most `budget`,
    // then re-arms rsp_event; returns how many. Stops at the first invalid one.
    template <typename Done>
    unsigned consume(Done done, unsigned budget = kRxRingSize);

    // Buffers posted and never answered (a reconnect): each handed to `keep`,
    // to be granted again and posted on the new ring.
    template <typename Keep>
    void take_posted(Keep keep);

    bool is_broken() const { return broken_; }
    uint32_t posted() const { return slots_.outstanding(); }
    uint32_t free_slots() const { return kRxRingSize - (req_prod_pvt_ - rsp_cons_); }

private:
    bool accept(uint16_t id, uint16_t offset, uint16_t flags, int16_t status, uint32_t index);
    uint32_t responses_ready();
    void rearm();
    void mark_broken(const char* format, ...) __attribute__((format(printf, 2, 3)));

    const char* name_;
    netif_rx_sring* sring_ = nullptr;
    uint32_t req_prod_pvt_ = 0;
    uint32_t rsp_cons_ = 0;
    bool broken_ = false;
    RingSlots<kRxRingSize> slots_;
    grant_ref_t gref_[kRxRingSize];  // by id
};

template <typename Done>
unsigned RxRing::consume(Done done, unsigned budget) {
    unsigned handled = 0;
    for (;;) {
        uint32_t ready = responses_ready();
        if (ready == 0 || broken_) break;
        while (ready > 0 && handled < budget) {
            const volatile netif_rx_response_t& r =
                sring_->ring[rsp_cons_ & (kRxRingSize - 1)].rsp;
            uint16_t id = r.id;  // each field read once
            uint16_t offset = r.offset;
            uint16_t flags = r.flags;
            int16_t status = r.status;
            if (!accept(id, offset, flags, status, rsp_cons_)) return handled;
            ++rsp_cons_;
            --ready;
            ++handled;
            uint16_t length = status > 0 ? uint16_t(status) : 0;
            done(RxCompletion{slots_.release(id), length ? offset : uint16_t(0), length, status,
                              flags});
        }
        if (handled >= budget) return handled;
        rearm();
    }
    return handled;
}

template <typename Keep>
void RxRing::take_posted(Keep keep) {
    for (uint32_t id = 0; id < kRxRingSize; ++id) {
        if (!slots_.is_outstanding(id)) continue;
        keep(RxBuffer{gref_[id], slots_.release(uint16_t(id))});
    }
    rsp_cons_ = req_prod_pvt_;
}

}  // namespace torpor::netfront
