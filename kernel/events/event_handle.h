// A bound event-channel port as the rest of the kernel holds it: the port plus
// the generation of its slot when it was bound. Rebinding, unbinding or a
// resume in a new domain bumps the slot's generation, so an old handle is
// rejected (Error::stale_handle) instead of naming some other binding.
#pragma once
#include <stdint.h>

namespace torpor {

struct EventHandle {
    uint32_t port = 0;
    uint32_t generation = 0;  // 0 = never bound
    bool is_null() const { return generation == 0; }
};

}  // namespace torpor
