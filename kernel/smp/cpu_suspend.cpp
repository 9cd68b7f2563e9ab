#include "kernel/smp/cpu_suspend.h"

#include "arch/x86_64/cpu_base.h"
#include "arch/x86_64/jmpbuf.h"
#include "base/log.h"
#include "kernel/cpu_local.h"
#include "base/panic.h"
#include "kernel/smp/pause.h"
#include "kernel/smp/smp.h"
#include "kernel/time/clock.h"
#include "kernel/time/timers.h"
#include "xen/hypercalls.h"

namespace torpor::smp {

namespace {

constexpr uint64_t kTimeoutNs = 10'000'000'000ull;
constexpr unsigned kTimeoutSeconds = unsigned(kTimeoutNs / 1'000'000'000ull);

arch::JmpBuf saved_context[kMaxCpus];
bool context_saved[kMaxCpus];
bool running_again[kMaxCpus];
bool resuming_in_new_domain = false;
Error resume_error[kMaxCpus];
CpuMask taken_down = 0;  // vCPUs in save_context_and_go_down, not brought back yet

// The divert handler: runs in the vCPU's IPI handler with events masked.
void save_context_and_go_down(unsigned cpu) {
    timers::suspend_this_cpu();
    if (arch_setjmp(&saved_context[cpu]) == 0) {
        __atomic_store_n(&context_saved[cpu], true, __ATOMIC_RELEASE);
        (void)xen::vcpu_op(VCPUOP_down, cpu, nullptr);
        // Only reached after a cancelled suspend: VCPUOP_up woke us here.
    }
    // Here either way; in a new domain through VCPUOP_initialise from saved_context.
    unsigned self = arch::current_vcpu_id();
    bool new_domain = __atomic_load_n(&resuming_in_new_domain, __ATOMIC_ACQUIRE);
    Error e = Error::none;
    if (new_domain) e = init_this_cpu_ipi();  // every binding is gone
    if (e == Error::none) e = timers::resume_this_cpu(new_domain);
    resume_error[self] = e;
    __atomic_store_n(&running_again[self], true, __ATOMIC_RELEASE);
}

bool wait_until(bool (*done)(unsigned), unsigned cpu) {
    uint64_t deadline = clock::xen_system_time_ns() + kTimeoutNs;
    while (!done(cpu)) {
        if (clock::xen_system_time_ns() > deadline) return false;
        xen::yield();
    }
    return true;
}

bool is_saved_and_down(unsigned cpu) {
    return __atomic_load_n(&context_saved[cpu], __ATOMIC_ACQUIRE) &&
           xen::vcpu_op(VCPUOP_is_up, cpu, nullptr) == 0;
}

bool is_running_again(unsigned cpu) {
    return __atomic_load_n(&running_again[cpu], __ATOMIC_ACQUIRE);
}

bool in(CpuMask mask, unsigned cpu) { return mask & (CpuMask(1) << cpu); }

}  // namespace

unsigned parked_for_suspend_count() {
    unsigned n = 0;
    for (unsigned cpu = 1; cpu < kMaxCpus; ++cpu) n += context_saved[cpu];
    return n;
}

Error park_secondaries_for_suspend() {
    for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
        context_saved[cpu] = false;
        running_again[cpu] = false;
    }
    CpuMask entered = 0;
    Error e = divert_cpus(save_context_and_go_down, kTimeoutNs, &entered);
    taken_down = entered;
    // Whatever divert returned, each vCPU that entered the handler is on its
    // way down; VCPUOP_up before it is down would not bring it back.
    for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
        if (in(entered, cpu) && !wait_until(is_saved_and_down, cpu))
            kpanic("suspend: vcpu %u entered its park handler but is not down after %u s; it "
                   "can be neither left running nor brought back",
                   cpu, kTimeoutSeconds);
    }
    if (e != Error::none) {
        klog("suspend: not every vcpu parked (%s); bringing back those that went down",
             error_name(e));
        (void)restart_secondaries(false);
        return e;
    }
    return Error::none;
}

Error restart_secondaries(bool new_domain) {
    __atomic_store_n(&resuming_in_new_domain, new_domain, __ATOMIC_RELEASE);
    for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
        if (!in(taken_down, cpu)) continue;
        if (new_domain) {
            Error e = initialise_vcpu(cpu, arch::registers_resuming(saved_context[cpu]));
            // Already initialised means this is the same domain after all.
            if (e != Error::none && e != Error::already_exists)
                kpanic("resume: vcpu %u cannot be restarted (VCPUOP_initialise: %s); its "
                       "threads and timers cannot move to another vcpu",
                       cpu, error_name(e));
        }
        if (long rc = xen::vcpu_op(VCPUOP_up, cpu, nullptr))
            kpanic("resume: VCPUOP_up(%u) failed: %ld; its threads and timers cannot move to "
                   "another vcpu",
                   cpu, rc);
        if (!wait_until(is_running_again, cpu))
            kpanic("resume: vcpu %u did not come back within %u s", cpu, kTimeoutSeconds);
        if (resume_error[cpu] != Error::none)
            kpanic("resume: vcpu %u is back without its IPI or timer: %s", cpu,
                   error_name(resume_error[cpu]));
        context_saved[cpu] = false;
    }
    taken_down = 0;
    end_divert();
    return Error::none;
}

}  // namespace torpor::smp
