#include "xen/start_info_frames.h"

namespace xen {

void canonicalise_start_info(start_info& si, unsigned long (*pfn_of_mfn)(unsigned long)) {
    si.store_mfn = pfn_of_mfn(si.store_mfn);
    si.console.domU.mfn = pfn_of_mfn(si.console.domU.mfn);
}

void localise_start_info(start_info& si, unsigned long (*mfn_of_pfn)(unsigned long)) {
    si.store_mfn = mfn_of_pfn(si.store_mfn);
    si.console.domU.mfn = mfn_of_pfn(si.console.domU.mfn);
}

}  // namespace xen
