#include "kernel/smp/cpu_suspend.h"

#include "arch/x86_64/cpu_base.h"
#include "arch/x86_64/jmpbuf.h"
#include "base/log.h"
#include "kernel/cpu_local.h"
#include "kernel/smp/pause.h"
#include "kernel/smp/smp.h"
#include "kernel/time/clock.h"
#include "kernel/time/timers.h"
#include "xen/hypercalls.h"

namespace torpor::smp {

namespace {

constexpr uint64_t kTimeoutNs = 10'000'000'000ull;

arch::JmpBuf saved_context[kMaxCpus];
bool context_saved[kMaxCpus];
bool running_again[kMaxCpus];
bool resuming_in_new_domain = false;
Error resume_error[kMaxCpus];

// The park handler: runs in the vCPU's IPI handler with events masked.
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
    set_park_handler(save_context_and_go_down);
    auto paused = pause_cpus(kTimeoutNs);
    set_park_handler(nullptr);
    if (paused.is_error()) return paused.error();
    for (unsigned cpu = 1; cpu < kMaxCpus; ++cpu) {
        if (!is_online(cpu)) continue;
        if (!wait_until(is_saved_and_down, cpu)) {
            klog("suspend: vcpu %u did not go down", cpu);
            (void)restart_secondaries(false);
            return Error::timed_out;
        }
    }
    return Error::none;
}

Error restart_secondaries(bool new_domain) {
    __atomic_store_n(&resuming_in_new_domain, new_domain, __ATOMIC_RELEASE);
    Error first = Error::none;
    for (unsigned cpu = 1; cpu < kMaxCpus; ++cpu) {
        if (!__atomic_load_n(&context_saved[cpu], __ATOMIC_ACQUIRE)) continue;
        if (new_domain) {
            Error e = initialise_vcpu(cpu, arch::registers_resuming(saved_context[cpu]));
            // Already initialised means this is the same domain after all.
            if (e != Error::none && e != Error::already_exists) {
                if (first == Error::none) first = e;
                continue;
            }
        }
        if (long rc = xen::vcpu_op(VCPUOP_up, cpu, nullptr)) {
            klog("resume: VCPUOP_up(%u) failed: %ld", cpu, rc);
            if (first == Error::none) first = Error::hypercall_failed;
            continue;
        }
        if (!wait_until(is_running_again, cpu)) {
            klog("resume: vcpu %u did not come back", cpu);
            if (first == Error::none) first = Error::timed_out;
        } else if (resume_error[cpu] != Error::none) {
            klog("resume: vcpu %u: %s", cpu, error_name(resume_error[cpu]));
            if (first == Error::none) first = resume_error[cpu];
        }
        context_saved[cpu] = false;
    }
    end_pause_without_barrier();
    return first;
}

}  // namespace torpor::smp
