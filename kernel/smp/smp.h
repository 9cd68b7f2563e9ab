// Secondary vCPUs: discovery, bring-up, IPIs and cross-CPU calls.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/vcpu_context.h"
#include "base/error.h"
#include "kernel/cpu_local.h"
#include "kernel/smp/cross_call.h"

namespace torpor::smp {

// The vCPUs to bring up: ids 0..present-1 exist, those with online[id] set are
// started. The caller reads it from the toolstack (cpu/<i>/availability).
struct VcpuSet {
    unsigned present = 0;
    bool online[kMaxCpus] = {};
};

// Binds the IPI port of the calling vCPU (the boot vCPU calls it at boot).
Error init_this_cpu_ipi();
// Starts every secondary vCPU `wanted` marks online and waits until each
// reports in. Returns how many vCPUs are online in total.
ErrorOr<unsigned> start_secondaries(const VcpuSet& wanted);

unsigned online_count();
unsigned max_vcpus();  // vCPUs the domain has (online or not)
size_t secondary_stack_size();  // each secondary's own stack (a guard page below it)
bool is_online(unsigned cpu);

// Runs fn(arg) on `cpu` in its IPI handler (events masked there) and waits
// for it to finish. On the calling vCPU it just runs fn. Thread context only.
Error call_on(unsigned cpu, void (*fn)(void*), void* arg);

// A cross-call queued without waiting: `call` must not be queued or running
// already; it stays the caller's until call->done completes (wait on it before
// freeing or reusing it). An error means it was not queued and never runs.
Error post_call(unsigned cpu, CrossCall* call);

// Wakes `cpu` from SCHEDOP_block (new work for its scheduler).
void kick(unsigned cpu);

// VCPUOP_initialise for `id` with `regs` and this domain's current address
// space (the one place a vCPU context is built). already_exists when Xen
// says the vCPU is initialised already (a cancelled suspend).
Error initialise_vcpu(unsigned id, const arch::StartRegisters& regs);

}  // namespace torpor::smp
