// Per-vCPU data, reached through the GS base (arch/x86_64/cpu_base.h).
#pragma once
#include <stdint.h>

#include "arch/x86_64/cpu_base.h"
#include "base/spinlock.h"
#include "kernel/events/event_handle.h"
#include "kernel/sched/scheduler.h"
#include "kernel/smp/cross_call.h"
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
    EventHandle ipi;                   // this vCPU's IPI port
    smp::CrossCallQueue calls;         // cross-calls queued for this vCPU
    void* stack = nullptr;             // a secondary's boot stack
    uint64_t upcalls = 0;              // event upcalls taken (statistics)
    uint64_t timer_interrupts = 0;
    uint64_t ipis = 0;
};

CpuLocal& cpu_local(unsigned vcpu_id);
inline CpuLocal& this_cpu() { return *reinterpret_cast<CpuLocal*>(arch::cpu_base()); }

// True once vCPU 0's GS base points at its block (this_cpu() works on every
// vCPU from then on: secondaries start with theirs set).
bool cpu_local_ready();

// Fills in the block's self pointer and id (before any vCPU uses it).
Error prepare_cpu_local(unsigned vcpu_id);
// Prepares the block and points the calling vCPU's GS base at it.
Error install_cpu_local(unsigned vcpu_id);

}  // namespace torpor
