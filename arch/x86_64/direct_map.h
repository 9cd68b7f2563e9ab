// Extends Xen's bootstrap mapping so that every pseudo-physical frame of the
// domain is mapped at virt_of_pfn(pfn).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

namespace arch {

struct DirectMap {
    unsigned long mapped_pages;    // frames [0, mapped_pages) are now mapped
    unsigned long first_free_pfn;  // first frame after the new page tables
};

// `first_free_pfn` is the first frame after Xen's bootstrap area (page tables,
// stack); new page-table frames are taken from there.
// Virtual address of the top-level (L4) page table all vCPUs share.
uintptr_t page_table_root();

// Points the direct-map entries of `pfns` at `mfns` (or clears them when
// `mfns` is null), batched through mmu_update.
torpor::Error remap_direct_frames(const unsigned long* pfns, const unsigned long* mfns,
                                  size_t count);

// A region: the 512 frames (2 MiB, aligned) one L1 table maps. When none of a
// region's frames is in use, its whole table can be unhooked from the L2 (and
// parked as a plain writable page) instead of clearing 512 entries one by one,
// and hooked back later, rewritten from the p2m (frames whose p2m entry is
// ~0 stay unmapped). Far cheaper for Xen under the balloon.
inline constexpr unsigned long kFramesPerRegion = 512;
torpor::Error unhook_direct_region(unsigned long first_pfn);
torpor::Error hook_direct_region(unsigned long first_pfn);

torpor::ErrorOr<DirectMap> build_direct_map(unsigned long l4_virtual, unsigned long nr_pages,
                                            unsigned long first_free_pfn);

}  // namespace arch
