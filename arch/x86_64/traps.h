// Exception handling: the virtual IDT registered with Xen and the callbacks.
#pragma once

namespace arch {

// Registers the trap table, the event upcall and the failsafe callback.
// Returns 0 or Xen's negative error code.
long install_traps();

// The kernel's event dispatcher, called from the upcall with delivery masked.
void set_event_upcall_handler(void (*handler)());

}  // namespace arch
