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

// A plain decimal number (no sign, space, leading zero or overflow).
ErrorOr<uint64_t> parse_decimal(const char* text);

}  // namespace torpor::blkfront
