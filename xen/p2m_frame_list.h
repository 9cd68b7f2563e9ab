// Publishing our p2m to the toolstack (xen/arch-x86/xen.h, struct
// arch_shared_info): save and migration find it through the three-level list
// pfn_to_mfn_frame_list_list → frame-list pages → p2m pages, each entry a MFN,
// plus max_pfn. Every MFN changes in a new domain, so resume rebuilds it.
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
// succeeds) and publishes the lists into shared_info.
torpor::Error publish_p2m(AllocateFrames allocate);

}  // namespace xen
