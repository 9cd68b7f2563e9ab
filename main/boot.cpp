// The boot sequence, one call per subsystem.
#include "arch/x86_64/kernel_entry.h"

#include "arch/x86_64/cpu_base.h"
#include "arch/x86_64/direct_map.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/stack_check.h"
#include "base/log.h"
#include "base/panic.h"
#include "drivers/console/pv_console.h"
#include "drivers/xenstore/client.h"
#include "kernel/cpu_local.h"
#include "kernel/events/event_channels.h"
#include "kernel/memory.h"
#include "kernel/panic_support.h"
#include "kernel/sched/xen_hooks.h"
#include "kernel/smp/smp.h"
#include "kernel/time/clock.h"
#include "kernel/time/timers.h"
#include "main/kernel_main.h"
#include "xen/event_mask.h"
#include "xen/p2m.h"
#include "xen/shared_info.h"

namespace torpor {

void run_global_constructors();

namespace {

// The toolstack's ring frames, if they are ours (null if not).
template <typename T>
T* map_special_page(unsigned long mfn) {
    unsigned long pfn = xen::owned_pfn_of_mfn(mfn);
    return pfn == xen::kNoFrame ? nullptr : arch::ptr_of_pfn<T>(pfn);
}

void check(Error e, const char* what) {
    if (e != Error::none) kpanic("%s failed: %s", what, error_name(e));
}

}  // namespace

// Entered from arch_start (declared in arch/x86_64/kernel_entry.h).
extern "C" void kernel_start(start_info* si) {
    uint64_t boot_entry_ns;
    check(install_cpu_local(0), "per-CPU data for vCPU 0");
    // From here every function entry checks the stack (arch/x86_64/stack_check.h).
    arch::set_current_stack_bottom(arch::boot_stack_low());
    arch::enable_stack_checks();
    install_kernel_panic_hooks();
    if (long rc = xen::map_shared_info(si->shared_info))
        kpanic("cannot map shared_info: %ld", rc);
    xen::mask_events();
    boot_entry_ns = clock::monotonic_ns();

    check(xen::init_m2p(), "reading the M2P's extents");
    auto memory = memory::init(*si);
    if (memory.is_error()) kpanic("memory init failed: %s", error_name(memory.error()));
    check(arch::unmap_direct_page(arch::pfn_of_virt(arch::boot_stack_low()) - 1),
          "the boot stack's guard page");
    check(arch::protect_kernel_image(), "write-protecting the kernel's text and rodata");
    uint64_t memory_ready_ns = clock::monotonic_ns();
    run_global_constructors();

    auto* console_ring = map_special_page<xencons_interface>(si->console.domU.mfn);
    if (!console_ring)
        klog("console: start_info's console frame %#lx is not ours", (unsigned long)si->console.domU.mfn);
    if (!console_ring || console::connect(console_ring, si->console.domU.evtchn) != Error::none)
        klog("console: PV console unavailable, using Xen's console");

    events::init();
    CpuLocal& boot_cpu = this_cpu();
    boot_cpu.scheduler.init(&sched::xen_hooks, &boot_cpu.boot_thread, 0);
    boot_cpu.boot_thread.name = "main";
    boot_cpu.boot_thread.stack = reinterpret_cast<void*>(arch::boot_stack_low());
    boot_cpu.boot_thread.stack_size = arch::boot_stack_high() - arch::boot_stack_low();
    check(timers::init_this_cpu(), "timer VIRQ");
    check(smp::init_this_cpu_ipi(), "IPI for vCPU 0");
    xen::unmask_events();

    check(console::start_input_events(si), "console input events");
    auto* store_ring = map_special_page<xenstore_domain_interface>(si->store_mfn);
    if (!store_ring) kpanic("start_info's xenstore frame %#lx is not ours", (unsigned long)si->store_mfn);
    check(xenstore::connect(store_ring, si->store_evtchn), "xenstore");

    kernel_main(BootReport{si, memory.value(), boot_entry_ns, memory_ready_ns,
                           clock::monotonic_ns()});
}

}  // namespace torpor
