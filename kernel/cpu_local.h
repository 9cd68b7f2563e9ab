// Per-vCPU data, reached through the GS base (arch/x86_64/cpu_base.h).
#pragma once
#include <stdint.h>

#include "arch/x86_64/cpu_base.h"
#include "kernel/sched/scheduler.h"
#include "kernel/time/timer_queue.h"

namespace torpor {

inline constexpr unsigned kMaxCpus = 16;

struct CpuLocal {
    arch::CpuBase base{};  // must stay first: gs:0 and gs:8
    sched::Scheduler scheduler;
    sched::Thread boot_thread;         // the context the vCPU came up in
    TimerQueue timers;
    uint64_t programmed_deadline_ns = 0;  // what the hypervisor timer is set to
    bool online = false;
};

CpuLocal& cpu_local(unsigned vcpu_id);
inline CpuLocal& this_cpu() { return *reinterpret_cast<CpuLocal*>(arch::cpu_base()); }

// Points the calling vCPU's GS base at its CpuLocal block.
Error install_cpu_local(unsigned vcpu_id);

}  // namespace torpor
