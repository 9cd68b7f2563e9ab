// The bookkeeping every netfront ring keeps on its own side of the shared page:
// which request ids are outstanding, what each carries for the driver (an
// opaque cookie: the buffer), and in which ring slot it was posted. The
// backend's responses are checked against this table, never trusted. Pure
// logic shared by tx_ring.h and rx_ring.h.
#pragma once
#include <stdint.h>

#include "xen/abi.h"
#include <xen/io/netif.h>

namespace torpor::netfront {

// Both rings hold 256 entries in one 4 KiB page (xen/io/ring.h: the largest
// power of two that fits after the 64-byte header).
inline constexpr uint32_t kPageSize = 4096;
inline constexpr uint32_t kTxRingSize = __CONST_RING_SIZE(netif_tx, kPageSize);
inline constexpr uint32_t kRxRingSize = __CONST_RING_SIZE(netif_rx, kPageSize);
static_assert(kTxRingSize == 256 && kRxRingSize == 256);

template <uint32_t N>
class RingSlots {
public:
    static_assert(N <= 0x10000, "ids are 16 bits");

    RingSlots() { reset(); }

    // Forgets everything: every id free.
    void reset() {
        for (uint32_t i = 0; i < N; ++i) {
            free_[i] = uint16_t(N - 1 - i);  // hands out 0, 1, 2, ... first
            outstanding_[i] = false;
            cookie_[i] = 0;
            posted_at_[i] = 0;
        }
        free_count_ = N;
    }

    bool has_free() const { return free_count_ > 0; }
    uint32_t outstanding() const { return N - free_count_; }

    // Takes a free id for a request posted at ring index `posted_at`.
    uint16_t take(uint64_t cookie, uint32_t posted_at) {
        uint16_t id = free_[--free_count_];
        outstanding_[id] = true;
        cookie_[id] = cookie;
        posted_at_[id] = posted_at;
        return id;
    }
    // Whether `id` (read from the other side) names an outstanding request.
    bool is_outstanding(uint32_t id) const { return id < N && outstanding_[id]; }
    // Gives back an outstanding id; returns its cookie.
    uint64_t release(uint16_t id) {
        outstanding_[id] = false;
        free_[free_count_++] = id;
        return cookie_[id];
    }
    uint64_t cookie(uint16_t id) const { return cookie_[id]; }
    uint32_t posted_at(uint16_t id) const { return posted_at_[id]; }

private:
    uint16_t free_[N];
    uint32_t free_count_ = 0;
    bool outstanding_[N];
    uint64_t cookie_[N];
    uint32_t posted_at_[N];
};

}  // namespace torpor::netfront
