// The toolstack's contract for start_info across save/restore: before
// SCHEDOP_shutdown(SHUTDOWN_suspend), store_mfn and console.domU.mfn must hold
// PFNs; a restore writes back the new MFNs, a cancelled suspend does not, so we
// translate them back ourselves. Pure: host-tested with a fake p2m/m2p.
#pragma once
#include "xen/abi.h"

namespace xen {

void canonicalise_start_info(start_info& si, unsigned long (*pfn_of_mfn)(unsigned long));
void localise_start_info(start_info& si, unsigned long (*mfn_of_pfn)(unsigned long));

}  // namespace xen
