#include "kernel/wait.h"

#include "xen/hypercalls.h"
#include "xen/shared_info.h"

namespace torpor {

void acknowledge_port(evtchn_port_t port) { xen::clear_pending(port); }

void wait_for_port(evtchn_port_t port, uint64_t deadline_ns) {
    evtchn_port_t ports[1] = {port};
    (void)xen::poll_ports(ports, 1, deadline_ns);
}

}  // namespace torpor
