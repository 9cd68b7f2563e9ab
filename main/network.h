// The guest's network, composed: watches `device/vif` in xenstore and runs a
// netfront (drivers/netfront) for every vif there, at boot and when one is
// hot-plugged (`xl network-attach`); a vif whose directory goes away
// (`xl network-detach`) is taken down. lwIP's tcpip thread is started when the
// first vif appears: a guest without vifs only has the watch.
#pragma once
#include "base/error.h"

namespace torpor::network {

// Registers the watch and the suspend/resume hooks. Call once, after xenstore.
Error start();

}  // namespace torpor::network
