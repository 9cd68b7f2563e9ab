// Pseudo-physical to machine (p2m) and machine to pseudo-physical (m2p) frame
// translation. The p2m list is ours (start_info->mfn_list at boot); the m2p
// table is Xen's, mapped read-only at MACH2PHYS_VIRT_START (arch-x86/xen-x86_64.h).
#pragma once
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

inline unsigned long pfn_of_mfn(unsigned long mfn) { return machine_to_phys_mapping[mfn]; }

}  // namespace xen
