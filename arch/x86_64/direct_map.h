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

// Guard pages: takes `pfn`'s page out of the direct map (every vCPU's TLB
// forgets it) / puts it back, pointing at the frame the p2m names. The frame
// stays ours either way; only the mapping goes. A cleared entry stays clear
// across save/restore (the toolstack only translates present entries), and
// the balloon never touches an allocated frame's entry.
torpor::Error unmap_direct_page(unsigned long pfn);
torpor::Error map_direct_page(unsigned long pfn);
// Whether `pfn`'s direct-map entry is present (its L1 table may be parked).
bool direct_page_mapped(unsigned long pfn);

// A region: the 512 frames (2 MiB, aligned) one L1 table maps. When none of a
// region's frames is in use, its whole table can be unhooked from the L2 (and
// parked as a plain writable page) instead of clearing 512 entries one by one,
// and hooked back later, rewritten from the p2m (frames whose p2m entry is
// ~0 stay unmapped). Far cheaper for Xen under the balloon.
inline constexpr unsigned long kFramesPerRegion = 512;
torpor::Error unhook_direct_region(unsigned long first_pfn);
torpor::Error hook_direct_region(unsigned long first_pfn);

// Narrows the kernel image's pages to what each part needs (linker.ld): text
// read-only, rodata read-only and no-execute, data and bss no-execute (as is
// the rest of the direct map, when the CPU has NX). Entries keep their frame
// (shared_info is mapped over a bss page); unmapped ones (guard pages) stay so.
torpor::Error protect_kernel_image();
// Whether the direct map and the image's data are no-execute (CPU has NX).
bool no_execute_enforced();

torpor::ErrorOr<DirectMap> build_direct_map(unsigned long l4_virtual, unsigned long nr_pages,
                                            unsigned long first_free_pfn);

}  // namespace arch
