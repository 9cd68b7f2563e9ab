// Secondary vCPUs across a suspend: each is diverted into a handler in its IPI
// handler (kernel/smp/pause.h), saves its registers with arch_setjmp and takes
// itself down (VCPUOP_down). On resume in a new domain (where they were never
// initialised) each restarts with VCPUOP_initialise from its saved registers,
// continuing as if arch_setjmp had returned 1; after a cancelled suspend they
// are still initialised and VCPUOP_up alone lets each return from its
// VCPUOP_down.
//
// Never half alive: a vCPU owns threads, timers and queued cross-calls that
// cannot move to another vCPU, so one left down (or up without its IPI or
// timer) while marked online would strand them. These functions therefore
// either leave every vCPU online and running or panic with the reason; they
// do not mark a vCPU offline.
#pragma once
#include "base/error.h"

namespace torpor::smp {

// From vCPU 0 (thread context, before the suspend hypercall): returns none
// once every other online vCPU has saved its registers and is down. On an
// error (one did not arrive in time) every vCPU that went down has been
// brought back first; a vCPU that entered the handler but does not go down,
// or does not come back, is a panic.
Error park_secondaries_for_suspend();
// From vCPU 0 after the hypercall returned (or from the park's error path):
// brings back every vCPU that went down and waits until each is running with
// its IPI and timer again; panics, naming the vCPU and the reason, if one
// cannot be brought back. Returns none otherwise.
Error restart_secondaries(bool new_domain);
unsigned parked_for_suspend_count();

}  // namespace torpor::smp
