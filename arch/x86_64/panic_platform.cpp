#include "arch/x86_64/panic_platform.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_base.h"
#include "arch/x86_64/stack_check.h"
#include "base/panic.h"
#include "xen/domain_shutdown.h"
#include "xen/event_mask.h"
#include "xen/hypercalls.h"

namespace arch {

namespace {

// Before vCPU 0's GS base is set, gs:8 is not ours to read; only vCPU 0 runs then.
unsigned cpu_id() { return cpu_base_installed() ? current_vcpu_id() : 0; }

// Before GS is set events are still masked, as Xen starts the domain.
void mask_events() {
    if (cpu_base_installed()) (void)xen::mask_events();
}

// VCPUOP_down on ourselves: Xen deschedules this vCPU for good (the reporting
// vCPU takes it down too; whichever comes first).
void park_this_cpu() {
    for (;;) {
        (void)xen::vcpu_op(VCPUOP_down, cpu_id(), nullptr);
        cpu_relax();
    }
}

}  // namespace

void install_panic_platform() {
    torpor::PanicHooks hooks;
    hooks.cpu_id = cpu_id;
    hooks.mask_events = mask_events;
    hooks.park_this_cpu = park_this_cpu;
    hooks.crash = xen::crash_domain;
    torpor::set_panic_hooks(hooks);
}

}  // namespace arch
