// Entry point of suspend/resume: advertises the features that tell the
// toolstack we support it. The composition root makes suspend_now the
// control/shutdown "suspend" handler.
#pragma once
#include "base/error.h"
#include "xen/abi.h"

namespace torpor::suspend {

Error init(start_info* si);
// Runs the whole suspend path and logs its breakdown (thread context).
void suspend_now();

}  // namespace torpor::suspend
