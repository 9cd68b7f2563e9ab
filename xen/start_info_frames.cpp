#include "xen/start_info_frames.h"

namespace xen {

bool canonicalise_start_info(start_info& si, unsigned long (*pfn_of_mfn)(unsigned long)) {
    unsigned long store = pfn_of_mfn(si.store_mfn);
    unsigned long console = pfn_of_mfn(si.console.domU.mfn);
    if (store == ~0ul || console == ~0ul) return false;
    si.store_mfn = store;
    si.console.domU.mfn = console;
    return true;
}

void localise_start_info(start_info& si, unsigned long (*mfn_of_pfn)(unsigned long)) {
    si.store_mfn = mfn_of_pfn(si.store_mfn);
    si.console.domU.mfn = mfn_of_pfn(si.console.domU.mfn);
}

MovedRing moved_ring_frame(const start_info& si, unsigned long store_pfn,
                             unsigned long console_pfn,
                             unsigned long (*owned_pfn_of_mfn)(unsigned long)) {
    if (owned_pfn_of_mfn(si.store_mfn) != store_pfn) return MovedRing::xenstore;
    if (owned_pfn_of_mfn(si.console.domU.mfn) != console_pfn) return MovedRing::console;
    return MovedRing::none;
}

}  // namespace xen
