// Fatal errors: report why and where, stop the other vCPUs, crash the domain.
//
// A panic prints
//     torpor: PANIC on vcpu N (thread NAME): message
// then a backtrace of raw return addresses (innermost first;
// tools/symbolize_backtrace.py turns a console log's into function names),
// after the layers above have stopped every other vCPU, and ends with a
// bounded drain of the console (base/log.h) and the crash action.
//
// It is safe to panic from anywhere, any number of times: the first vCPU to
// panic owns the report and any other that panics meanwhile parks itself; a
// panic (or fault) on the owner while it reports prints a short nested
// report and crashes; one more and it crashes without a word. Once a panic
// starts, log output takes the sink's panic path (base/log.h).
//
// base/ calls no hypercall: what a panic needs from the layers above comes in
// through PanicHooks, registered at boot (the platform's part first thing in
// arch_start, the kernel's once it has per-CPU data).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace torpor {

// Where the failure happened, when it is not the caller of the panic (a trap,
// a stack overflow): the backtrace starts there.
struct PanicContext {
    uintptr_t rip = 0;     // the faulting instruction (0: none)
    uintptr_t caller = 0;  // a return address to show before the frame chain's: a
                           // function stopped before its prologue linked its frame
    uintptr_t rsp = 0;     // its stack pointer: picks the stack the walk may follow
    uintptr_t rbp = 0;     // its frame pointer: where the walk starts
};

[[noreturn, gnu::format(printf, 1, 2)]] void kpanic(const char* format, ...);
[[noreturn, gnu::format(printf, 2, 3)]] void kpanic_at(const PanicContext& where,
                                                         const char* format, ...);
bool panic_in_progress();
// The running thread's name as a report gives it ("boot" before threads exist).
const char* panic_thread_name();

// What a panic needs from the layers above; any member may be null.
struct PanicHooks {
    unsigned (*cpu_id)() = nullptr;        // the running vCPU (null: 0)
    void (*mask_events)() = nullptr;       // no event handler may run on this vCPU any more
    void (*park_this_cpu)() = nullptr;     // another vCPU reports: stop this one (never returns)
    void (*stop_other_cpus)() = nullptr;   // stop every other vCPU (bounded), logging the outcome
    const char* (*thread_name)() = nullptr;
    // Return addresses from `where` outwards (its rip and caller first).
    size_t (*backtrace)(const PanicContext& where, uintptr_t* out, size_t max) = nullptr;
    void (*crash)() = nullptr;             // ends the domain; must not return
};
// Installs the non-null members of `hooks`.
void set_panic_hooks(const PanicHooks& hooks);

// Just the crash hook (what kpanic does last; must not return).
using CrashAction = void (*)();
void set_crash_action(CrashAction action);

}  // namespace torpor
