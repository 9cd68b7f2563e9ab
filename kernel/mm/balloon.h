// Suspend-time balloon: before suspending, every free frame (but a small
// reserve above the heap) is given back to Xen and its p2m entry invalidated,
// so save and migration carry only the memory the guest uses; after resume
// the same pseudo-physical frames are populated again. Off with "balloon=off"
// on the guest command line (xl `extra`).
#pragma once
#include <stddef.h>

#include "base/error.h"

namespace torpor::balloon {

// Reads "balloon=" from the boot options and registers the suspend/resume hooks.
Error init();
bool is_enabled();

}  // namespace torpor::balloon
