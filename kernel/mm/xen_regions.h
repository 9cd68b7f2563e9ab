// The hypervisor side of BackedRegions (kernel/mm/backed_regions.h): a region
// goes back to Xen with its L1 table unhooked from the L2 and parked as a plain
// page (Xen drops its 512 references in one pass; the toolstack never sees a
// page table naming frames we gave away), as one order-9 extent when its MFNs
// are contiguous; it comes back as one 2 MiB extent when Xen has one (else
// frame by frame), its table rewritten from the p2m and hooked again.
#pragma once
#include <stddef.h>

#include "kernel/mm/backed_regions.h"

namespace torpor::memory {

class XenRegions final : public RegionOps {
public:
    size_t populate(const unsigned long* firsts, size_t n) override;
    bool release(unsigned long first) override;
    // Counters for the log (not locked: read under the allocator lock).
    size_t populated_as_extent = 0, populated_frame_by_frame = 0, refused = 0;
    size_t released = 0, released_as_extent = 0;
};

// After a resume into a new domain: frames the toolstack backed in regions we
// hold empty (it populated every pfn it sent in a live round, also ones we
// gave back later) go back to Xen; their p2m entries become ~0 again. Returns
// how many frames went back.
size_t give_back_frames_in_empty_regions(const BackedRegions& regions);

}  // namespace torpor::memory
