// The boot sequence, one call per subsystem.
#include "kernel/boot.h"

#include "arch/x86_64/layout.h"
#include "drivers/console/pv_console.h"
#include "drivers/xenstore/client.h"
#include "kernel/kernel_main.h"
#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/panic.h"
#include "xen/p2m.h"
#include "xen/shared_info.h"

namespace torpor {

void run_global_constructors();

namespace {

template <typename T>
T* map_special_page(unsigned long mfn) {
    return arch::ptr_of_pfn<T>(xen::pfn_of_mfn(mfn));
}

}  // namespace

void kernel_start(start_info* si) {
    if (long rc = xen::map_shared_info(si->shared_info))
        kpanic("cannot map shared_info: %ld", rc);
    xen::vcpu(0)->evtchn_upcall_mask = 1;  // polled I/O until the event layer exists

    auto memory = memory::init(*si);
    if (memory.is_error()) kpanic("memory init failed: %s", error_name(memory.error()));
    run_global_constructors();

    if (console::connect(map_special_page<xencons_interface>(si->console.domU.mfn),
                         si->console.domU.evtchn) != Error::none)
        klog("console: PV console unavailable, using Xen's console");
    if (Error e = xenstore::connect(map_special_page<xenstore_domain_interface>(si->store_mfn),
                                    si->store_evtchn);
        e != Error::none)
        kpanic("xenstore: cannot connect: %s", error_name(e));

    kernel_main(BootReport{si, memory.value()});
}

}  // namespace torpor
