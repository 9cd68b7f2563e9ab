// lwIP's tcpip thread: started once, before any network interface or socket.
// Everything that uses lwIP (drivers' netifs, applications' sockets) calls
// start_stack() first; later calls return at once with the first call's result.
#pragma once
#include "base/error.h"

namespace torpor::net {

// Starts the tcpip thread and waits (at most a few seconds) until lwIP has
// initialised itself on it. Error::timed_out if it never reported back.
Error start_stack();
bool stack_running();

}  // namespace torpor::net
