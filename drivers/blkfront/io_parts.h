// How the driver cuts one I/O (up to kMaxIoPages data pages) into ring
// requests: runs of pages still to be sent, each at most what the backend
// takes in one request (BLKIF_MAX_SEGMENTS_PER_REQUEST, or its indirect
// segments). The same cut is made again after a resume for the pages that got
// no response, with whatever the new backend takes. Each request's tag says
// which pages it carries, so a response ends exactly those pages' grants.
#pragma once
#include <stdint.h>

#include "drivers/blkfront/blk_ring.h"

namespace torpor::blkfront {

inline constexpr uint32_t kMaxIoPages = kMaxIndirectSegments;  // 64: one bit each in a uint64_t
static_assert(kMaxIoPages <= 64);
// Indirect requests one I/O can have on the ring at once (a part of more than
// kMaxSegments pages: at most kMaxIoPages / (kMaxSegments + 1) of them), each
// with its own indirect page.
inline constexpr uint32_t kMaxIndirectParts = kMaxIoPages / (kMaxSegments + 1);

struct Part {
    uint8_t first;  // the first page
    uint8_t count;  // pages (0 for a flush)
    uint8_t slot;   // the indirect page used (kNoSlot: a direct request)
    static constexpr uint8_t kNoSlot = 0xff;
    uint64_t pages_mask() const {
        return count == 0 ? 0 : ((count == 64 ? ~0ull : (1ull << count) - 1) << first);
    }
    uint32_t tag() const { return uint32_t(first) | uint32_t(count) << 8 | uint32_t(slot) << 16; }
    static Part of_tag(uint32_t tag) {
        return Part{uint8_t(tag), uint8_t(tag >> 8), uint8_t(tag >> 16)};
    }
};

inline uint64_t all_pages_mask(uint32_t pages) {
    return pages == 0 ? 0 : pages >= 64 ? ~0ull : (1ull << pages) - 1;
}

// The next part to send: the lowest run of set bits in `unsent` (bit i: page
// i), at most `max_pages` long (>= 1). Nothing to send: count 0.
inline Part next_part(uint64_t unsent, uint32_t max_pages) {
    if (unsent == 0) return Part{0, 0, Part::kNoSlot};
    uint32_t first = uint32_t(__builtin_ctzll(unsent));
    uint32_t count = 0;
    while (first + count < 64 && (unsent >> (first + count) & 1) && count < max_pages) ++count;
    return Part{uint8_t(first), uint8_t(count), Part::kNoSlot};
}

}  // namespace torpor::blkfront
