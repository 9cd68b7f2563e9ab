// Waiting for an event-channel port with event delivery masked: SCHEDOP_poll
// blocks the vCPU until the port is pending or the deadline passes.
#pragma once
#include <stdint.h>

#include "xen/abi.h"

namespace torpor {

// Clears the port's pending bit. Call before re-checking the condition you wait
// for, so a notification that arrives afterwards is not lost.
void acknowledge_port(evtchn_port_t port);
// Blocks until `port` is pending or Xen system time reaches `deadline_ns`.
void wait_for_port(evtchn_port_t port, uint64_t deadline_ns);

}  // namespace torpor
