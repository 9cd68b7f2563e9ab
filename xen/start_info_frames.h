// The toolstack's contract for start_info across save/restore: before
// SCHEDOP_shutdown(SHUTDOWN_suspend), store_mfn and console.domU.mfn must hold
// PFNs; a restore writes back the new MFNs, a cancelled suspend does not, so we
// translate them back ourselves. Pure: host-tested with a fake p2m/m2p.
#pragma once
#include "xen/abi.h"

namespace xen {

// Frames as PFNs, for the suspend. `pfn_of_mfn` answers ~0 for a frame that
// is not ours: then start_info is left untouched and false returned.
bool canonicalise_start_info(start_info& si, unsigned long (*pfn_of_mfn)(unsigned long));
void localise_start_info(start_info& si, unsigned long (*mfn_of_pfn)(unsigned long));

// After a restore the toolstack wrote new MFNs: they must be the frames now
// behind the PFNs we wrote (where our rings are mapped). Says which ring's
// frame moved, if one did. `owned_pfn_of_mfn` answers ~0 for a frame that is
// not ours.
enum class MovedRing { none, xenstore, console };
MovedRing moved_ring_frame(const start_info& si, unsigned long store_pfn,
                             unsigned long console_pfn,
                             unsigned long (*owned_pfn_of_mfn)(unsigned long));

}  // namespace xen
