// Entry point of suspend/resume: installs the control/shutdown "suspend"
// handler and advertises the features that tell the toolstack we support it.
#pragma once
#include "kernel/lib/error.h"
#include "xen/abi.h"

namespace torpor::suspend {

Error init(start_info* si);
// Runs the whole suspend path and logs its breakdown (thread context).
void suspend_now();

}  // namespace torpor::suspend
