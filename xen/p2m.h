// Pseudo-physical to machine (p2m) and machine to pseudo-physical (m2p) frame
// translation. The p2m list is ours (start_info->mfn_list at boot); the m2p
// table is Xen's, mapped read-only at MACH2PHYS_VIRT_START (arch-x86/xen-x86_64.h).
#pragma once
#include "base/error.h"
#include "xen/abi.h"

namespace xen {

class P2m {
public:
    void init(unsigned long* list, unsigned long nr_pages) {
        list_ = list;
        nr_pages_ = nr_pages;
    }
    unsigned long mfn(unsigned long pfn) const { return pfn < nr_pages_ ? list_[pfn] : ~0ul; }
    // ~0 marks a frame given back to Xen: save skips it.
    void set(unsigned long pfn, unsigned long mfn) {
        if (pfn < nr_pages_) list_[pfn] = mfn;
    }
    unsigned long nr_pages() const { return nr_pages_; }
    unsigned long* list() const { return list_; }

private:
    unsigned long* list_ = nullptr;
    unsigned long nr_pages_ = 0;
};

P2m& p2m();

inline constexpr unsigned long kNoFrame = ~0ul;

// Reads the M2P coverage from Xen (XENMEM_machphys_mfn_list); before it runs
// no entry is readable. Call first thing at boot.
torpor::Error init_m2p();
// The M2P's entry for `mfn`, or kNoFrame when the table has no readable entry
// for it (beyond its end or in a hole: see xen/m2p_coverage.h). The entry of a
// frame that is not ours is whatever Xen keeps there: see owned_pfn_of_mfn.
unsigned long pfn_of_mfn(unsigned long mfn);
// The pfn backed by `mfn` in our own p2m, or kNoFrame when the M2P and our
// p2m disagree (not our frame). For every MFN another domain gave us.
unsigned long owned_pfn_of_mfn(unsigned long mfn);

}  // namespace xen
