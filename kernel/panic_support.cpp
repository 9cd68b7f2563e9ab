#include "kernel/panic_support.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/frame_walk.h"
#include "arch/x86_64/stack_check.h"
#include "base/log.h"
#include "base/panic.h"
#include "kernel/cpu_local.h"
#include "kernel/smp/smp.h"
#include "kernel/time/clock.h"
#include "xen/hypercalls.h"

namespace torpor {

namespace {

constexpr uint64_t kStopTimeoutNs = 100'000'000ull;
constexpr unsigned kStopPolls = 100'000;  // in case Xen's clock does not move

const char* thread_name() {
    if (!cpu_local_ready()) return nullptr;
    sched::Thread* t = this_cpu().scheduler.current();
    return t ? t->name : nullptr;  // null before the scheduler took over this vCPU
}

// The stacks a backtrace may walk: the running thread's (boot threads too:
// their Thread records their boot stack), vCPU 0's boot stack and the panic stack.
arch::StackBounds known_stack_containing(uintptr_t address) {
    arch::StackBounds stacks[3];
    size_t count = 0;
    stacks[count++] = {arch::panic_stack_low(), arch::panic_stack_high()};
    stacks[count++] = {arch::boot_stack_low(), arch::boot_stack_high()};
    if (cpu_local_ready()) {
        sched::Thread* t = this_cpu().scheduler.current();
        if (t && t->stack) {
            auto low = reinterpret_cast<uintptr_t>(t->stack);
            stacks[count++] = {low, low + t->stack_size};
        }
    }
    for (size_t i = 0; i < count; ++i)
        if (stacks[i].contains(address)) return stacks[i];
    return {};
}

size_t backtrace(const PanicContext& where, uintptr_t* out, size_t max) {
    size_t count = 0;
    if (where.rip && count < max) out[count++] = where.rip;
    if (where.caller && count < max) out[count++] = where.caller;
    arch::StackBounds bounds = known_stack_containing(where.rsp);
    if (bounds.high == 0) {
        klog("torpor: panic: stack pointer %#lx is on no known stack; the backtrace stops there",
             (unsigned long)where.rsp);
        return count;
    }
    return count + arch::walk_frame_pointers(where.rbp, bounds, out + count, max - count);
}

bool is_running(unsigned cpu) {
    vcpu_runstate_info info{};
    return xen::vcpu_op(VCPUOP_get_runstate_info, cpu, &info) == 0 &&
           info.state == RUNSTATE_running;
}

// VCPUOP_down works on any vCPU of the domain and needs nothing from it (it
// may be spinning with events masked); Xen deschedules it asynchronously, so
// wait (bounded) until none still runs.
void stop_other_cpus() {
    unsigned self = cpu_local_ready() ? arch::current_vcpu_id() : 0;
    unsigned asked = 0, refused = 0;
    for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
        if (cpu == self || !smp::is_online(cpu)) continue;
        if (xen::vcpu_op(VCPUOP_down, cpu, nullptr) == 0)
            ++asked;
        else
            ++refused;
    }
    if (asked + refused == 0) return;
    uint64_t deadline = clock::xen_system_time_ns() + kStopTimeoutNs;
    unsigned still_running = 0;
    for (unsigned poll = 0; poll < kStopPolls; ++poll) {
        still_running = 0;
        for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu)
            if (cpu != self && smp::is_online(cpu) && is_running(cpu)) ++still_running;
        if (still_running == 0 || clock::xen_system_time_ns() > deadline) break;
        arch::cpu_relax();
    }
    unsigned stopped = asked - still_running;
    klog("torpor: panic: stopped %u other vCPU%s%s", stopped, stopped == 1 ? "" : "s",
         refused || still_running ? " (some did not stop: their output may interleave)" : "");
}

}  // namespace

void install_kernel_panic_hooks() {
    PanicHooks hooks;
    hooks.thread_name = thread_name;
    hooks.stop_other_cpus = stop_other_cpus;
    hooks.backtrace = backtrace;
    set_panic_hooks(hooks);
}

}  // namespace torpor
