#include "suspend/suspend.h"

#include <stdio.h>
#include <string.h>

#include "arch/x86_64/cpu_base.h"
#include "arch/x86_64/stack_check.h"
#include "base/log.h"
#include "base/panic.h"
#include "drivers/console/pv_console.h"
#include "drivers/xenstore/client.h"
#include "kernel/boot_options.h"
#include "kernel/cpu_local.h"
#include "kernel/mm/guarded_stack.h"
#include "kernel/smp/smp.h"
#include "kernel/sync/semaphore.h"
#include "kernel/time/clock.h"
#include "suspend/fault_injection.h"
#include "suspend/fault_plan.h"
#include "suspend/suspend_sequence.h"
#include "suspend/xen_steps.h"

namespace torpor::suspend {

namespace {

start_info* boot_start_info = nullptr;
unsigned completed = 0;  // suspends started, whatever their outcome
FaultPlan fault_plan;

void format_steps(char* out, size_t size, const StepTime* steps, unsigned count) {
    uint64_t total = 0;
    int n = 0;
    for (unsigned i = 0; i < count && n < int(size); ++i) {
        n += snprintf(out + n, size - size_t(n), " %s=%llu", steps[i].name,
                      (unsigned long long)(steps[i].ns / 1000));
        total += steps[i].ns;
    }
    if (n < int(size)) snprintf(out + n, size - size_t(n), " total=%llu", (unsigned long long)(total / 1000));
}

// Nothing on the way down or back up (the memory code hooking tables, the
// toolstack rebuilding them) may map a stack's guard page again.
unsigned verify_stack_guards() {
    unsigned checked = 0;
    memory::verify_guard_page(reinterpret_cast<const void*>(arch::boot_stack_low()));
    memory::verify_guard_page(sched::this_scheduler().current()->stack);
    checked += 2;
    for (unsigned cpu = 1; cpu < kMaxCpus; ++cpu) {
        if (!smp::is_online(cpu)) continue;
        memory::verify_guard_page(cpu_local(cpu).stack);
        ++checked;
    }
    return checked;
}

void report_injected(unsigned suspend_number, const char* step) {
    klog("suspend #%u: injected fault in %s", suspend_number, step);
}

// Was the failure of `step` (a sequence step name) the injected fault?
bool was_injected(const char* injected, const char* step, bool on_resume) {
    if (!injected || !step) return false;
    if (on_resume) {
        if (strncmp(injected, "resume.", 7) != 0) return false;
        injected += 7;
    }
    return strcmp(injected, step) == 0;
}

void run_on_vcpu0(void*) {
    unsigned number = completed + 1;
    XenSteps xen_steps(boot_start_info, number);
    FaultInjectingSteps steps(xen_steps, fault_plan, number, report_injected);
    Report r = run(steps);
    completed = number;
    if (r.fatal) {
        // The console's resume may not have run: let the reason reach xenconsoled.
        console::resume_output(boot_start_info->console.domU.evtchn);
    }
    // After a fatal resume step the panic below names it; checking more would only hide it.
    unsigned guards = r.fatal ? 0 : verify_stack_guards();
    char down[256], up[256];
    format_steps(down, sizeof(down), r.down, r.down_count);
    format_steps(up, sizeof(up), r.up, r.up_count);
    klog("suspend #%u: %s (hypercall returned %ld), downtime %llu ms", number,
         outcome_name(r.outcome), r.hypercall_result,
         (unsigned long long)(xen_steps.downtime_ns() / 1'000'000));
    if (!r.fatal)  // the new host's Xen system time beside the rebased clocks (two-host runs)
        klog("suspend #%u: clocks after resume: xen_system_ns=%llu monotonic_ns=%llu wall_ns=%llu",
             number, (unsigned long long)clock::xen_system_time_ns(),
             (unsigned long long)clock::monotonic_ns(), (unsigned long long)clock::wall_clock_ns());
    klog("suspend #%u path (us):%s", number, down);
    klog("resume #%u path (us):%s", number, up);
    if (!r.fatal) klog("resume #%u: %u stack guard pages still unmapped", number, guards);
    if (r.first_error != Error::none)
        klog("suspend #%u: step %s failed: %s%s; everything before it was undone", number,
             r.failed_step ? r.failed_step : "?", error_name(r.first_error),
             was_injected(steps.injected(), r.failed_step, false) ? " (injected)" : "");
    if (r.resume_error == Error::none) return;
    const char* injected =
        was_injected(steps.injected(), r.failed_resume_step, true) ? " (injected)" : "";
    if (r.fatal)
        kpanic("suspend #%u: resume step %s failed: %s%s; the guest cannot carry on", number,
               r.failed_resume_step, error_name(r.resume_error), injected);
    klog("resume #%u: step %s failed: %s%s; the drivers contained it, carrying on", number,
         r.failed_resume_step, error_name(r.resume_error), injected);
}

// The `fault=` option (see suspend/fault_plan.h).
void read_fault_plan() {
    auto option = boot_options::find(boot_options::command_line(), "fault");
    if (!option.found) return;
    FaultPlanParse parsed = parse_fault_plan(option.text, option.length);
    if (parsed.error) {
        klog("suspend: ignoring fault=%.*s: %s (at offset %zu)", int(option.length), option.text,
             parsed.error, parsed.error_at);
        return;
    }
    fault_plan = parsed.plan;
    char text[512];
    int n = 0;
    for (unsigned i = 0; i < fault_plan.count && n < int(sizeof(text)); ++i)
        n += snprintf(text + n, sizeof(text) - size_t(n), "%s%s on suspend #%u", i ? ", " : "",
                      fault_step_name(fault_plan.faults[i].step), fault_plan.faults[i].suspend_number);
    klog("suspend: fault injection planned: %s", text);
}

constexpr uint64_t kWaitForOtherSuspendNs = 120'000'000'000ull;

void suspend_on_vcpu0() {
    // The hypercall must be made on vCPU 0: restore reads start_info's MFN
    // from vCPU 0's rdx.
    if (arch::current_vcpu_id() == 0) {
        run_on_vcpu0(nullptr);
        return;
    }
    auto t = cpu_local(0).scheduler.spawn("suspend", run_on_vcpu0, nullptr);
    if (t.is_error()) {
        klog("suspend: cannot move to vCPU 0: %s", error_name(t.error()));
        return;
    }
    (void)sched::this_scheduler().join(t.value());
}

}  // namespace

void suspend_now() {
    // Requests come from two threads (the control/shutdown watch and the
    // suspend event channel): one suspend at a time, the other waits its turn.
    static Semaphore one_at_a_time(1);
    if (one_at_a_time.wait(clock::monotonic_ns() + kWaitForOtherSuspendNs) != Error::none) {
        klog("suspend: another suspend is still running after %llu s; request dropped",
             (unsigned long long)(kWaitForOtherSuspendNs / 1'000'000'000));
        return;
    }
    suspend_on_vcpu0();
    one_at_a_time.signal();
}

Error init(start_info* si) {
    boot_start_info = si;
    read_fault_plan();
    if (Error e = xenstore::write("control/feature-suspend", "1"); e != Error::none) {
        klog("suspend: cannot advertise control/feature-suspend: %s", error_name(e));
        return e;
    }
    // The toolstack, not the guest, says whether it can suspend a guest with
    // more than one vCPU (libxl writes this key).
    auto mp = xenstore::read("control/platform-feature-multiprocessor-suspend");
    klog("suspend: ready (toolstack multiprocessor suspend: %s)",
         mp.is_error() ? error_name(mp.error()) : mp.value().c_str());
    return Error::none;
}

}  // namespace torpor::suspend
