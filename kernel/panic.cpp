#include "kernel/panic.h"

#include <stdarg.h>
#include <stdio.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_base.h"
#include "arch/x86_64/frame_walk.h"
#include "arch/x86_64/stack_check.h"
#include "kernel/cpu_local.h"
#include "kernel/lib/assert.h"
#include "kernel/log.h"
#include "kernel/smp/smp.h"
#include "kernel/time/clock.h"
#include "xen/event_mask.h"
#include "xen/hypercalls.h"
#include "xen/shared_info.h"

namespace torpor {

namespace {

constexpr int kNobody = -1;
constexpr size_t kMaxFrames = 32;
constexpr uint64_t kStopTimeoutNs = 100'000'000ull;
constexpr unsigned kStopPolls = 100'000;  // in case Xen's clock is not readable yet
constexpr uint64_t kDrainTimeoutNs = 1'000'000'000ull;

int panic_owner = kNobody;  // the vCPU reporting a panic
unsigned nesting = 0;       // panics on the owner since it started (the owner's alone)
bool header_printed = false;  // the owner's first line is out

unsigned this_vcpu() { return cpu_local_ready() ? arch::current_vcpu_id() : 0; }

const char* thread_name() {
    if (!cpu_local_ready()) return "boot";
    sched::Thread* t = this_cpu().scheduler.current();
    if (!t) return "boot";  // before the scheduler took over this vCPU
    return t->name && t->name[0] ? t->name : "?";
}

// Writes one formatted line through the log (which is on its panic path).
[[gnu::format(printf, 1, 2)]] void say(const char* format, ...) {
    char line[256];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof(line) - 1, format, args);
    va_end(args);
    if (n < 0) return;
    size_t length = size_t(n) < sizeof(line) - 1 ? size_t(n) : sizeof(line) - 2;
    line[length++] = '\n';
    log_write(line, length);
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

void print_backtrace(const PanicContext& where) {
    uintptr_t frames[kMaxFrames];
    size_t count = 0;
    if (where.rip) frames[count++] = where.rip;
    if (where.caller) frames[count++] = where.caller;
    arch::StackBounds bounds = known_stack_containing(where.rsp);
    if (bounds.high == 0)
        say("torpor: panic: stack pointer %#lx is on no known stack; backtrace stops there",
            (unsigned long)where.rsp);
    else
        count += arch::walk_frame_pointers(where.rbp, bounds, frames + count, kMaxFrames - count);
    say("torpor: panic: backtrace (%zu frames, innermost first; "
        "tools/symbolize_backtrace.py names them):", count);
    for (size_t i = 0; i < count; ++i)
        say("torpor: panic:   #%zu %#lx%s", i, (unsigned long)frames[i],
            i == 0 && where.rip ? " (faulting instruction)" : "");
}

bool is_running(unsigned cpu) {
    vcpu_runstate_info info{};
    return xen::vcpu_op(VCPUOP_get_runstate_info, cpu, &info) == 0 &&
           info.state == RUNSTATE_running;
}

// Takes every other online vCPU down. VCPUOP_down works on any vCPU of the
// domain and needs nothing from it (it may be spinning with events masked);
// Xen deschedules it asynchronously, so wait (bounded) until none still runs.
void stop_other_vcpus(unsigned self) {
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
    say("torpor: panic: stopped %u other vCPU%s%s", asked - still_running,
        asked - still_running == 1 ? "" : "s",
        refused || still_running ? " (some did not stop: their output may interleave)" : "");
}

[[noreturn]] void crash() {
    say("torpor: panic: crashing the domain");
    drain_log(kDrainTimeoutNs);
    shutdown_domain(SHUTDOWN_crash);
}

// A panic on the vCPU that is already reporting one.
[[noreturn]] void nested_panic(const PanicContext& where, const char* format, va_list args) {
    unsigned depth = ++nesting;
    if (depth == 1) {
        if (!header_printed)  // the first panic's own message is what faulted
            say("torpor: PANIC on vcpu %u (thread %s): (its message faulted while being "
                "formatted; see below)", this_vcpu(), thread_name());
        char message[512];
        vsnprintf(message, sizeof(message), format, args);
        say("torpor: PANIC (nested, while reporting the panic above) on vcpu %u: %s",
            this_vcpu(), message);
        print_backtrace(where);
        crash();
    }
    if (depth == 2) {
        static const char kLine[] = "torpor: PANIC: fault while reporting a nested panic; crashing\n";
        log_write(kLine, sizeof(kLine) - 1);
    }
    shutdown_domain(SHUTDOWN_crash);
}

[[noreturn]] void vpanic(const PanicContext& where, const char* format, va_list args) {
    if (cpu_local_ready()) (void)xen::mask_events();  // before GS is set, events are still masked
    unsigned self = this_vcpu();
    int expected = kNobody;
    if (!__atomic_compare_exchange_n(&panic_owner, &expected, int(self), false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        if (expected == int(self)) nested_panic(where, format, args);
        // Another vCPU is reporting; it takes this one down too. Until then, stay out of its way.
        for (;;) {
            (void)xen::vcpu_op(VCPUOP_down, self, nullptr);
            arch::cpu_relax();
        }
    }
    enter_panic_logging();
    stop_other_vcpus(self);
    char message[1024];
    vsnprintf(message, sizeof(message), format, args);
    say("torpor: PANIC on vcpu %u (thread %s): %s", self, thread_name(), message);
    header_printed = true;
    print_backtrace(where);
    crash();
}

PanicContext caller_context(uintptr_t frame) {
    PanicContext where;
    where.rbp = frame;
    where.rsp = frame;  // inside the same stack
    return where;
}

}  // namespace

void shutdown_domain(unsigned reason) {
    for (;;) {
        xen::shutdown(reason);
        // SHUTDOWN_poweroff/reboot/crash do not return; if Xen refuses, crash.
        xen::shutdown(SHUTDOWN_crash);
    }
}

bool panic_in_progress() { return __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE) != kNobody; }

void kpanic(const char* format, ...) {
    // The walk starts at this frame: its return address is the caller's.
    PanicContext where = caller_context(reinterpret_cast<uintptr_t>(__builtin_frame_address(0)));
    va_list args;
    va_start(args, format);
    vpanic(where, format, args);
}

void kpanic_at(const PanicContext& where, const char* format, ...) {
    va_list args;
    va_start(args, format);
    vpanic(where, format, args);
}

void panic_stack_overflow(const PanicContext& where, uintptr_t guard_address) {
    uintptr_t bottom = 0;
    if (cpu_local_ready())
        if (sched::Thread* t = this_cpu().scheduler.current())
            bottom = reinterpret_cast<uintptr_t>(t->stack);
    if (guard_address)
        kpanic_at(where, "stack overflow in thread %s: fault at %#lx in the guard page below its "
                  "stack (bottom %#lx)", thread_name(), (unsigned long)guard_address,
                  (unsigned long)bottom);
    kpanic_at(where, "stack overflow in thread %s: stack pointer %#lx is only %lu bytes above "
              "the bottom of its stack (%#lx; the entry check wants %zu)",
              thread_name(), (unsigned long)where.rsp, (unsigned long)(where.rsp - bottom),
              (unsigned long)bottom, arch::kStackCheckMargin);
}

[[noreturn]] void verify_failed(const char* kind, const char* condition, const char* file,
                                int line, const char* function) {
    PanicContext where = caller_context(reinterpret_cast<uintptr_t>(__builtin_frame_address(0)));
    kpanic_at(where, "%s(%s) failed at %s:%d in %s()", kind, condition, file, line, function);
}

}  // namespace torpor

extern "C" void stack_overflow_detected(uintptr_t rsp, uintptr_t rbp, uintptr_t return_address,
                                        uintptr_t caller) {
    torpor::PanicContext where;
    where.rip = return_address;
    where.caller = caller;
    where.rsp = rsp;
    where.rbp = rbp;
    torpor::panic_stack_overflow(where, 0);
}
