// Exception handling: the virtual IDT registered with Xen and the callbacks.
#pragma once

namespace arch {

// Registers the trap table, the event upcall and the failsafe callback.
// Returns 0 or Xen's negative error code.
long install_traps();

}  // namespace arch
