// After boot: announce ourselves, then serve control requests until shut down.
#include "kernel/kernel_main.h"

#include <stdio.h>
#include <stdlib.h>

#include "drivers/xenstore/client.h"
#include "kernel/log.h"
#include "kernel/shutdown_control.h"
#include "kernel/time/clock.h"
#include "kernel/version.h"
#include "kernel/wait.h"
#include "xen/hypercalls.h"

namespace torpor {

namespace {

constexpr uint64_t kControlPollNs = 100'000'000ull;

int read_domain_id() {
    auto value = xenstore::read("domid");
    if (value.is_error()) {
        klog("xenstore: cannot read domid: %s", error_name(value.error()));
        return -1;
    }
    return atoi(value.value().c_str());
}

}  // namespace

void kernel_main(const BootReport& boot) {
    long version = xen::xen_version(XENVER_version, nullptr);
    int domid = read_domain_id();
    printf("torpor %s: booted on Xen %ld.%ld as domain %d, nr_pages=%lu (%lu MiB), "
           "free_pages=%lu\n",
           TORPOR_VERSION_STRING, version >> 16, version & 0xffff, domid, boot.memory.nr_pages,
           boot.memory.nr_pages / 256, boot.memory.free_pages);
    fflush(stdout);

    shutdown_control::advertise_features();
    klog("torpor: ready");

    evtchn_port_t store_port = boot.si->store_evtchn;
    for (;;) {
        shutdown_control::check_for_request();
        acknowledge_port(store_port);
        wait_for_port(store_port, clock::xen_system_time_ns() + kControlPollNs);
    }
}

}  // namespace torpor
