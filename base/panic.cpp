#include "base/panic.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/assert.h"
#include "base/log.h"

namespace torpor {

namespace {

constexpr int kNobody = -1;
constexpr size_t kMaxFrames = 32;
constexpr uint64_t kDrainTimeoutNs = 1'000'000'000ull;

PanicHooks hooks;
int panic_owner = kNobody;    // the vCPU reporting a panic
unsigned nesting = 0;         // panics on the owner since it started (the owner's alone)
bool header_printed = false;  // the owner's first line is out

unsigned this_cpu_id() { return hooks.cpu_id ? hooks.cpu_id() : 0; }

// Writes one formatted line through the log (on its panic path by then).
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

void print_backtrace(const PanicContext& where) {
    uintptr_t frames[kMaxFrames];
    size_t count = 0;
    if (hooks.backtrace) {
        count = hooks.backtrace(where, frames, kMaxFrames);
    } else {
        if (where.rip) frames[count++] = where.rip;
        if (where.caller) frames[count++] = where.caller;
    }
    say("torpor: panic: backtrace (%zu frames, innermost first; "
        "tools/symbolize_backtrace.py names them):", count);
    for (size_t i = 0; i < count; ++i)
        say("torpor: panic:   #%zu %#lx%s", i, (unsigned long)frames[i],
            i == 0 && where.rip ? " (faulting instruction)" : "");
}

[[noreturn]] void crash() {
    say("torpor: panic: crashing the domain");
    drain_log(kDrainTimeoutNs);
    if (hooks.crash) hooks.crash();
    // No crash action (or one that returned): stop here rather than run on.
    for (;;) __asm__ volatile("" ::: "memory");
}

// A panic on the vCPU that is already reporting one.
[[noreturn]] void nested_panic(const PanicContext& where, const char* format, va_list args) {
    unsigned depth = ++nesting;
    if (depth == 1) {
        if (!header_printed)  // e.g. the first panic's own message faulted while formatted
            say("torpor: PANIC on vcpu %u (thread %s): (its report was cut short by a nested "
                "panic; see below)", this_cpu_id(), panic_thread_name());
        char message[512];
        vsnprintf(message, sizeof(message), format, args);
        say("torpor: PANIC (nested, while reporting the panic above) on vcpu %u: %s",
            this_cpu_id(), message);
        print_backtrace(where);
        crash();
    }
    if (depth == 2) {
        static const char kLine[] = "torpor: PANIC: fault while reporting a nested panic; crashing\n";
        log_write(kLine, sizeof(kLine) - 1);
    }
    if (hooks.crash) hooks.crash();
    for (;;) __asm__ volatile("" ::: "memory");
}

[[noreturn]] void vpanic(const PanicContext& where, const char* format, va_list args) {
    if (hooks.mask_events) hooks.mask_events();
    unsigned self = this_cpu_id();
    int expected = kNobody;
    if (!__atomic_compare_exchange_n(&panic_owner, &expected, int(self), false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        if (expected == int(self)) nested_panic(where, format, args);
        // Another vCPU is reporting and will stop this one too; keep out of its way.
        if (hooks.park_this_cpu) hooks.park_this_cpu();
        for (;;) __asm__ volatile("" ::: "memory");
    }
    enter_panic_logging();
    if (hooks.stop_other_cpus) hooks.stop_other_cpus();
    char message[1024];
    vsnprintf(message, sizeof(message), format, args);
    say("torpor: PANIC on vcpu %u (thread %s): %s", self, panic_thread_name(), message);
    header_printed = true;
    print_backtrace(where);
    crash();
}

PanicContext frame_context(void* frame) {
    PanicContext where;
    where.rbp = reinterpret_cast<uintptr_t>(frame);
    where.rsp = where.rbp;  // inside the same stack
    return where;
}

}  // namespace

void set_panic_hooks(const PanicHooks& h) {
    if (h.cpu_id) hooks.cpu_id = h.cpu_id;
    if (h.mask_events) hooks.mask_events = h.mask_events;
    if (h.park_this_cpu) hooks.park_this_cpu = h.park_this_cpu;
    if (h.stop_other_cpus) hooks.stop_other_cpus = h.stop_other_cpus;
    if (h.thread_name) hooks.thread_name = h.thread_name;
    if (h.backtrace) hooks.backtrace = h.backtrace;
    if (h.crash) hooks.crash = h.crash;
}

void set_crash_action(CrashAction action) { hooks.crash = action; }

bool panic_in_progress() { return __atomic_load_n(&panic_owner, __ATOMIC_ACQUIRE) != kNobody; }

const char* panic_thread_name() {
    const char* name = hooks.thread_name ? hooks.thread_name() : nullptr;
    return name && name[0] ? name : "boot";
}

void kpanic(const char* format, ...) {
    // The walk starts at this frame: its return address is the caller's.
    PanicContext where = frame_context(__builtin_frame_address(0));
    va_list args;
    va_start(args, format);
    vpanic(where, format, args);
}

void kpanic_at(const PanicContext& where, const char* format, ...) {
    va_list args;
    va_start(args, format);
    vpanic(where, format, args);
}

void verify_failed(const char* kind, const char* condition, const char* file, int line,
                   const char* function) {
    PanicContext where = frame_context(__builtin_frame_address(0));
    kpanic_at(where, "%s(%s) failed at %s:%d in %s()", kind, condition, file, line, function);
}

}  // namespace torpor
