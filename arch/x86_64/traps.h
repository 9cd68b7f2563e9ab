// Exception handling: the virtual IDT registered with Xen and the callbacks.
#pragma once
#include <stdint.h>

#include "xen/abi.h"

namespace arch {

// Registers the trap table, the event upcall and the failsafe callback.
// Returns 0 or Xen's negative error code.
long install_traps();

// The registered virtual IDT (terminated by an entry with address 0) and the
// callback entry points, for building other vCPUs' contexts.
const trap_info* trap_table();
uint64_t event_callback_address();
uint64_t failsafe_callback_address();

// The kernel's event dispatcher, called from the upcall with delivery masked.
void set_event_upcall_handler(void (*handler)());

}  // namespace arch
