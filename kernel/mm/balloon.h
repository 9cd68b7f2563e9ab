// Free memory lives in Xen (kernel/memory.h, kernel/mm/backed_regions.h): at
// boot every whole free 2 MiB region beyond a small reserve goes back to Xen,
// and from then on the allocator gives back and populates regions as it frees
// and needs them. Nothing happens on the suspend path; after a resume into a
// new domain, frames the toolstack backed in regions we hold empty go back.
// Off with "balloon=off" on the guest command line (xl `extra`): the guest
// then keeps all of `memory =` (the bench's comparison).
#pragma once
#include <stddef.h>

#include "base/error.h"

namespace torpor::balloon {

// Reads "balloon=" from the boot options, gives the free memory back and
// registers the resume hook.
Error init();
bool is_enabled();

}  // namespace torpor::balloon
