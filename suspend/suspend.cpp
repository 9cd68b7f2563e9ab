#include "suspend/suspend.h"

#include <stdio.h>

#include "arch/x86_64/cpu_base.h"
#include "base/log.h"
#include "drivers/xenstore/client.h"
#include "kernel/cpu_local.h"
#include "suspend/suspend_sequence.h"
#include "suspend/xen_steps.h"

namespace torpor::suspend {

namespace {

start_info* boot_start_info = nullptr;
unsigned completed = 0;

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

void run_on_vcpu0(void*) {
    XenSteps steps(boot_start_info);
    Report r = run(steps);
    ++completed;
    char down[256], up[256];
    format_steps(down, sizeof(down), r.down, r.down_count);
    format_steps(up, sizeof(up), r.up, r.up_count);
    klog("suspend #%u: %s (hypercall returned %ld), downtime %llu ms", completed,
         outcome_name(r.outcome), r.hypercall_result,
         (unsigned long long)(steps.downtime_ns() / 1'000'000));
    klog("suspend #%u path (us):%s", completed, down);
    klog("resume #%u path (us):%s", completed, up);
    if (r.first_error != Error::none)
        klog("suspend #%u: step %s failed: %s", completed, r.failed_step ? r.failed_step : "?",
             error_name(r.first_error));
}

}  // namespace

void suspend_now() {
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

Error init(start_info* si) {
    boot_start_info = si;
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
