// The indirect pages of a BLKIF_OP_INDIRECT request (xen/io/blkif.h): an
// array of blkif_request_segment, one per data page, from the start of the
// first indirect page on (kSegmentsPerIndirectPage to a page). The driver
// owns these pages and grants them read-only to the backend while the
// request is on the ring.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "drivers/blkfront/blk_ring.h"

namespace torpor::blkfront {

// Writes `count` segments into `pages` (indirect_pages_for(count) of them,
// each kPageSize bytes). invalid_argument, writing nothing, for a count of 0
// or above kMaxIndirectSegments or a segment outside its page.
Error write_indirect_segments(uint8_t* const pages[], const Segment* segments, uint32_t count);

}  // namespace torpor::blkfront
