// Suspend-time balloon: before suspending, every free frame (but a small
// reserve above the heap) is given back to Xen and its p2m entry invalidated,
// so save and migration carry only the memory the guest uses; after resume
// the same pseudo-physical frames are populated again. Off with "balloon=off"
// on the guest command line (xl `extra`).
#pragma once
#include <stddef.h>

#include "kernel/lib/error.h"

namespace torpor::balloon {

// Reads the command line and registers the suspend/resume hooks.
Error init(const char* command_line);
bool is_enabled();

}  // namespace torpor::balloon
