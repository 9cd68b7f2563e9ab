// The scheduler's platform on Xen: arch context switch, SCHEDOP_block idling,
// per-vCPU timers and vcpu_info event masking.
#pragma once
#include "kernel/sched/scheduler.h"

namespace torpor::sched {

extern const Hooks xen_hooks;

}  // namespace torpor::sched
