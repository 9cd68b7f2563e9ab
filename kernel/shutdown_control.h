// Reacts to control/shutdown. For now the key is polled from the idle loop;
// the xenstore watch replaces the polling once watches exist.
#pragma once

namespace torpor::shutdown_control {

// Advertises the shutdown features this kernel implements.
void advertise_features();
// Reads control/shutdown once, acknowledges a request and carries it out.
void check_for_request();

}  // namespace torpor::shutdown_control
