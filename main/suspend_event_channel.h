// The suspend event channel: a port toward dom0 whose number the guest writes
// to device/suspend/event-channel (libxl creates the key empty and guest-
// writable). When the key holds a port, libxl binds it, subscribes it for the
// domain's suspend (XEN_DOMCTL_subscribe) and asks for a suspend by notifying
// it instead of writing control/shutdown: no xenstore round trip and no
// acknowledgement (tools/libs/light/libxl_dom_suspend.c). A port libxl cannot
// bind fails the save outright, so after every resume into a new domain (where
// the old port is gone) a fresh one is allocated and written.
// The guest option `suspend_evtchn=off` leaves the key empty: libxl then uses
// control/shutdown, as for Linux and Mini-OS.
#pragma once
#include "base/error.h"

namespace torpor::suspend_event_channel {

// Starts the thread that owns the port and calls `suspend` (thread context) on
// each notification. Returns not_supported when the option turned it off.
Error start(void (*suspend)());

}  // namespace torpor::suspend_event_channel
