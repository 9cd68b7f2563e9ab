// What a blkback offers in its xenstore directory once Connected (the
// "Backend XenBus Nodes" of xen/io/blkif.h), parsed strictly: everything there
// was written by another domain.
#pragma once
#include <stdint.h>

#include "base/error.h"

namespace torpor::blkfront {

struct DiskGeometry {
    uint64_t sectors;      // capacity in units of sector_size
    uint32_t sector_size;  // logical block size: a power of two, 512..4096
    uint32_t info;         // VDISK_* bits
    bool flush_cache;      // feature-flush-cache = 1
    bool barrier;          // feature-barrier = 1
    bool read_only() const;
    uint64_t bytes() const { return sectors * sector_size; }
};

// Each argument is the key's text, or null when the key is missing (only the
// features and info may be missing: absent means 0). protocol_error for
// anything else: not a plain decimal number, a sector size that is not a
// power of two in 512..4096, no sectors, a capacity that does not fit 64 bits
// of bytes, a feature flag other than 0 or 1.
ErrorOr<DiskGeometry> parse_geometry(const char* sectors, const char* sector_size,
                                     const char* info, const char* flush_cache,
                                     const char* barrier);

// The ring order to use (blkif.h: 2^order pages) given the backend's
// max-ring-page-order (null when it does not offer one: order 0) and our own
// limit (at most kMaxRingOrder): the smaller of the two. protocol_error for
// an offer that is not a plain decimal number below 32.
ErrorOr<uint32_t> choose_ring_order(const char* max_ring_page_order, uint32_t limit);

// How many segments an indirect request may carry (0: indirect descriptors
// off, plain requests of up to BLKIF_MAX_SEGMENTS_PER_REQUEST) given the
// backend's feature-max-indirect-segments (null when missing: off) and our own
// limit (blkindirect=N; capped at kMaxIndirectSegments): the smaller of the
// two, and off when that is no more than a plain request carries.
// protocol_error for an offer that is not a plain decimal number.
ErrorOr<uint32_t> choose_indirect_segments(const char* max_indirect_segments, uint32_t limit);

// The persistent pool for this connect (lent_pages.h): `limit` pages when the
// backend's feature-persistent is "1" and ours is on (limit > 0), else 0
// (transient grants). Anything but "1" (absent, "0", junk) is not an offer.
uint32_t choose_persistent_pages(const char* feature_persistent, uint32_t limit);

// A plain decimal number (no sign, space, leading zero or overflow).
ErrorOr<uint64_t> parse_decimal(const char* text);

}  // namespace torpor::blkfront
