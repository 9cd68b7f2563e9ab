// Fatal errors: report why and where, stop the other vCPUs, crash the domain.
//
// A panic prints
//     torpor: PANIC on vcpu N (thread NAME): message
// then a frame-pointer backtrace of raw return addresses (innermost first;
// tools/symbolize_backtrace.py turns a console log's into function names),
// takes every other vCPU down (VCPUOP_down: they need not cooperate), waits
// (bounded) until xenconsoled has read the console ring and ends the domain
// with SHUTDOWN_crash.
//
// It is safe to panic from anywhere, any number of times: the first vCPU to
// panic owns the report and any other that panics meanwhile stops itself; a
// panic (or fault) on the owner while it reports prints a short nested
// report and crashes; one more and it crashes silently. Once a panic starts,
// log output takes the console's panic path, which does not wait on a lock
// held by a stopped vCPU or by the code that faulted.
#pragma once
#include <stdint.h>

namespace torpor {

// Where the failure happened, when it is not the caller of the panic (a trap,
// a stack overflow): the backtrace starts there.
struct PanicContext {
    uintptr_t rip = 0;  // the faulting instruction (0: none)
    uintptr_t caller = 0;  // a return address to show before the frame chain's: a
                           // function stopped before its prologue linked its frame
    uintptr_t rsp = 0;  // its stack pointer: picks the stack the walk may follow
    uintptr_t rbp = 0;  // its frame pointer: where the walk starts
};

[[noreturn, gnu::format(printf, 1, 2)]] void kpanic(const char* format, ...);
[[noreturn, gnu::format(printf, 2, 3)]] void kpanic_at(const PanicContext& where,
                                                         const char* format, ...);
// A stack overflow in the running thread: caught by the entry check before
// the guard page (guard_address 0), or a fault at guard_address inside it.
[[noreturn]] void panic_stack_overflow(const PanicContext& where, uintptr_t guard_address);

bool panic_in_progress();

// Ends the domain with a SHUTDOWN_* reason (poweroff, reboot, crash).
[[noreturn]] void shutdown_domain(unsigned reason);

}  // namespace torpor
