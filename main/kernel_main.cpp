// After boot: announce ourselves, start the control services, run the app.
#include "main/kernel_main.h"

#include <stdio.h>
#include <stdlib.h>

#include "arch/x86_64/direct_map.h"
#include "base/log.h"
#include "drivers/xenstore/client.h"
#include "kernel/app.h"
#include "kernel/boot_options.h"
#include "kernel/grant/grant_self_test.h"
#include "kernel/libc_reent.h"
#include "kernel/mm/balloon.h"
#include "kernel/sched/scheduler.h"
#include "kernel/smp/smp.h"
#include "kernel/time/clock.h"
#include "kernel/version.h"
#include "main/blkfront_devices.h"
#include "main/idle_memory_reclaimer.h"
#include "main/memory_target_watch.h"
#include "main/network.h"
#include "main/panic_test.h"
#include "main/shutdown_control.h"
#include "main/suspend_event_channel.h"
#include "suspend/suspend.h"
#include "xen/grants.h"
#include "xen/hypercalls.h"
#include "xen/p2m_frame_list.h"

namespace torpor {

namespace {

constexpr unsigned kGrantFrames = 4;

int read_domain_id() {
    auto value = xenstore::read("domid");
    if (value.is_error()) {
        klog("xenstore: cannot read domid: %s", error_name(value.error()));
        return -1;
    }
    return atoi(value.value().c_str());
}

// Which vCPUs the toolstack wants online: cpu/<i>/availability = "online".
smp::VcpuSet read_wanted_vcpus() {
    smp::VcpuSet wanted;
    for (unsigned i = 0; i < kMaxCpus; ++i) {
        char path[48];
        snprintf(path, sizeof(path), "cpu/%u/availability", i);
        auto value = xenstore::read(path);
        if (value.is_error()) break;
        wanted.present = i + 1;
        wanted.online[i] = value.value().equals("online");
    }
    return wanted;
}

}  // namespace

void kernel_main(const BootReport& boot) {
    boot_options::init(reinterpret_cast<const char*>(boot.si->cmd_line));
    long version = xen::xen_version(XENVER_version, nullptr);
    int domid = read_domain_id();  // the first xenstore round trip
    uint64_t domid_read_ns = clock::monotonic_ns();
    auto online = smp::start_secondaries(read_wanted_vcpus());
    uint64_t vcpus_up_ns = clock::monotonic_ns();
    if (online.is_error()) klog("smp: bring-up failed: %s", error_name(online.error()));
    printf("torpor %s: booted on Xen %ld.%ld as domain %d, nr_pages=%lu (%lu MiB), "
           "free_pages=%lu, vcpus=%u of %u\n",
           TORPOR_VERSION_STRING, version >> 16, version & 0xffff, domid, boot.memory.nr_pages,
           boot.memory.nr_pages / 256, boot.memory.free_pages, smp::online_count(),
           smp::max_vcpus());
    fflush(stdout);
    klog("memory: kernel text read-only, rodata read-only, data and the direct map %s; a guard "
         "page below every stack", arch::no_execute_enforced() ? "no-execute"
                                                               : "executable (the CPU has no NX)");

    if (Error e = xen::grant_table::init(kGrantFrames); e != Error::none)
        klog("grant table: setup failed: %s", error_name(e));
    else
        (void)grant::run_self_test();

    if (Error e = xen::publish_p2m(memory::allocate_frames, memory::p2m_max_pfn(false)); e != Error::none)
        klog("p2m: not published (%s): save and migration will fail", error_name(e));
    if (Error e = balloon::init(); e != Error::none)
        klog("balloon: not available: %s", error_name(e));
    if (Error e = memory_target_watch::start(); e != Error::none && e != Error::not_supported)
        klog("memory: cannot watch memory/target (xl mem-set): %s", error_name(e));
    if (Error e = idle_memory_reclaimer::start(); e != Error::none && e != Error::not_supported)
        klog("memory: no idle memory reclaimer (%s): freed memory stays with the guest",
             error_name(e));
    shutdown_control::set_suspend_handler(suspend::suspend_now);
    if (Error e = suspend::init(boot.si); e != Error::none)
        klog("suspend: not available: %s", error_name(e));
    (void)libc::self_test();
    if (Error e = shutdown_control::start(); e != Error::none)
        klog("shutdown: cannot watch control/shutdown: %s", error_name(e));
    if (Error e = suspend_event_channel::start(suspend::suspend_now);
        e != Error::none && e != Error::not_supported)
        klog("suspend: no suspend event channel (%s): control/shutdown only", error_name(e));

    if (Error e = network::start(); e != Error::none)
        klog("net: cannot watch device/vif: %s; no network", error_name(e));
    uint64_t ready_ns = clock::monotonic_ns();
    auto us = [](uint64_t from, uint64_t to) { return (unsigned long long)((to - from) / 1000); };
    klog("torpor: ready (boot took %llu us from kernel entry: memory=%llu devices=%llu "
         "first-xenstore-reply=%llu vcpus=%llu services=%llu)",
         us(boot.entry_monotonic_ns, ready_ns), us(boot.entry_monotonic_ns, boot.memory_ready_ns),
         us(boot.memory_ready_ns, boot.devices_ready_ns), us(boot.devices_ready_ns, domid_read_ns),
         us(domid_read_ns, vcpus_up_ns), us(vcpus_up_ns, ready_ns));

    (void)start_block_devices();  // after the ready line: the handshakes are asynchronous
    panic_test::start_if_requested();
    app_main();
    klog("torpor: application returned; serving control requests");
    for (;;) sched::this_scheduler().sleep_until(clock::monotonic_ns() + 3'600'000'000'000ull);
}

}  // namespace torpor
