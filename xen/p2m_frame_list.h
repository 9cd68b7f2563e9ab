// Publishing our p2m to the toolstack (xen/arch-x86/xen.h, struct
// arch_shared_info): save and migration find it through the linear p2m
// (p2m_cr3 + p2m_vaddr, walked through our page tables, with p2m_generation)
// or the three-level list pfn_to_mfn_frame_list_list → frame-list pages → p2m
// pages, each entry a MFN; both cover [0, max_pfn). Every MFN changes in a new
// domain, so resume rebuilds it.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

namespace xen {

inline constexpr size_t kMfnsPerPage = 4096 / sizeof(unsigned long);

struct P2mFrameLists {
    unsigned long* p2m;          // the p2m list (page-aligned), nr_pages entries
    unsigned long nr_pages;
    unsigned long* frame_lists;  // ceil(p2m pages / 512) pages: MFNs of p2m pages
    unsigned long* list_of_lists;  // one page: MFNs of frame-list pages
};

inline size_t p2m_pages_for(unsigned long nr_pages) {
    return (nr_pages + kMfnsPerPage - 1) / kMfnsPerPage;
}
inline size_t frame_list_pages_for(unsigned long nr_pages) {
    return (p2m_pages_for(nr_pages) + kMfnsPerPage - 1) / kMfnsPerPage;
}

// Fills the frame lists from the current p2m; `mfn_of_virtual` translates an
// address of ours (the lists themselves and the p2m pages) to its MFN.
// Returns the MFN of the list of lists. Pure: host-tested with a fake p2m.
torpor::ErrorOr<unsigned long> fill_p2m_frame_lists(const P2mFrameLists& lists,
                                                     unsigned long (*mfn_of_virtual)(const void*));

// Returns the PFN of the first of `count` contiguous frames that stay ours for
// the domain's lifetime (the kernel's frame allocator).
using AllocateFrames = torpor::ErrorOr<unsigned long> (*)(size_t count);
// Kernel side: takes the list pages from `allocate` once (the first call that
// succeeds) and publishes the p2m into shared_info, covering pfns
// [0, max_pfn) (capped at the p2m's length): the three-level lists and the
// linear p2m (p2m_cr3: our L4, p2m_vaddr: our list), which libxenguest
// prefers. The generation is bumped only when a field the toolstack reads
// changes (a cancelled suspend changes nothing: a Remus save goes on).
torpor::Error publish_p2m(AllocateFrames allocate, unsigned long max_pfn);
// Moves the published end (after publish_p2m): p2m_generation is bumped to an
// odd value before and to the next even one after, as arch-x86/xen.h asks.
void set_p2m_max_pfn(unsigned long max_pfn);
// Bumps p2m_generation by two: a save that mapped the p2m before this aborts
// at its next check (xg_sr_save_x86_pv.c, x86_pv_check_vm_state).
void bump_p2m_generation();
unsigned long published_p2m_max_pfn();

}  // namespace xen
