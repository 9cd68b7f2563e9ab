// Reacts to control/shutdown through a xenstore watch.
#pragma once
#include "base/error.h"

namespace torpor::shutdown_control {

// Advertises the shutdown features this kernel implements and watches
// control/shutdown (the watch fires once at once; handling is idempotent).
Error start();
// Handler for "suspend": the composition root installs suspend::suspend_now.
void set_suspend_handler(void (*handler)());

}  // namespace torpor::shutdown_control
