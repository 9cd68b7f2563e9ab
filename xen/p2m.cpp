#include "xen/p2m.h"

#include "base/log.h"
#include "xen/hypercalls.h"
#include "xen/m2p_coverage.h"

namespace xen {

namespace {
M2pCoverage coverage;
// Xen's answer to XENMEM_machphys_mfn_list; only needed once, at boot.
xen_pfn_t extent_bases[M2pCoverage::kMaxExtents];
}  // namespace

P2m& p2m() {
    static P2m instance;
    return instance;
}

torpor::Error init_m2p() {
    static_assert(sizeof(xen_pfn_t) == sizeof(uint64_t));
    xen_machphys_mfn_list list{};
    list.max_extents = M2pCoverage::kMaxExtents;
    set_xen_guest_handle(list.extent_start, extent_bases);
    if (long rc = memory_op(XENMEM_machphys_mfn_list, &list)) {
        // Without the list only the end of RAM is known; holes (rare: large
        // gaps in the host's memory map) would still fault.
        long max_ram_page = memory_op(XENMEM_maximum_ram_page, nullptr);
        if (max_ram_page <= 0) return torpor::Error::hypercall_failed;
        coverage.init_bound_only(static_cast<unsigned long>(max_ram_page) + 1);
        torpor::klog("m2p: machphys_mfn_list failed (%ld): entries below mfn %#lx taken as "
                     "readable", rc, coverage.limit());
        return torpor::Error::none;
    }
    coverage.init(reinterpret_cast<const uint64_t*>(extent_bases), list.nr_extents);
    if (list.nr_extents >= M2pCoverage::kMaxExtents)
        torpor::klog("m2p: only the first %u pieces of the M2P are used (mfn < %#lx)",
                     M2pCoverage::kMaxExtents, coverage.limit());
    return torpor::Error::none;
}

unsigned long pfn_of_mfn(unsigned long mfn) {
    if (!coverage.readable(mfn)) return kNoFrame;
    return machine_to_phys_mapping[mfn];
}

unsigned long owned_pfn_of_mfn(unsigned long mfn) {
    unsigned long pfn = pfn_of_mfn(mfn);
    if (pfn == kNoFrame || pfn >= p2m().nr_pages() || p2m().mfn(pfn) != mfn) return kNoFrame;
    return pfn;
}

}  // namespace xen
