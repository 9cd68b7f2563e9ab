// Secondary vCPUs across a suspend: each parks in its IPI handler, saves its
// registers with arch_setjmp and takes itself down (VCPUOP_down). On resume in
// a new domain (where they were never initialised) each restarts with
// VCPUOP_initialise from its saved registers, continuing as if arch_setjmp had
// returned 1; after a cancelled suspend they are still initialised and
// VCPUOP_up alone lets each return from its VCPUOP_down.
#pragma once
#include "base/error.h"

namespace torpor::smp {

// From vCPU 0 (thread context, before the suspend hypercall): returns once
// every other online vCPU has saved its registers and is down.
Error park_secondaries_for_suspend();
// From vCPU 0 after the hypercall returned; waits until each is running again.
Error restart_secondaries(bool new_domain);
unsigned parked_for_suspend_count();

}  // namespace torpor::smp
