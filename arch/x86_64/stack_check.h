// Stack overflow detection for a PV guest.
//
// Every thread and vCPU stack has an unmapped guard page below it, so an
// overflow can never silently overwrite the memory underneath. But in a
// 64-bit PV guest a fault in (guest) kernel mode is delivered on the *current*
// stack: when the stack pointer itself is inside the guard page, Xen cannot
// write the exception frame and crashes the whole domain with no word from
// the guest (create_bounce_frame's fault fixup in xen/arch/x86/x86_64/entry.S).
// So the guard page alone stops corruption but explains nothing.
//
// To report the overflow, the kernel is built with `-pg -mfentry`: every
// C++ function starts with `call __fentry__`, and __fentry__
// (stack_check.S) checks that the stack pointer is at least kStackCheckMargin
// above the bottom of the running thread's stack (gs:16, kept by the context
// switch). Below that, it moves to the panic stack and reports a stack
// overflow naming the thread, with a backtrace, while the guard page is still
// untouched. Code without the check (newlib, assembly) running in those last
// 8 KiB can still reach the guard page: then Xen crashes the domain.
#pragma once

#define TORPOR_STACK_CHECK_MARGIN 8192
#define TORPOR_PANIC_STACK_SIZE 16384

#ifndef __ASSEMBLY__
#include <stddef.h>
#include <stdint.h>

namespace arch {

inline constexpr size_t kGuardPageSize = 4096;
inline constexpr size_t kStackCheckMargin = TORPOR_STACK_CHECK_MARGIN;

// Turns the check on once vCPU 0's GS base points at its per-CPU block
// (before that, reading gs:16 would fault); from then on cpu_base_installed().
void enable_stack_checks();
bool cpu_base_installed();

// True when `address` lies in the guard page under the stack that starts at
// `stack_bottom` (0: no stack known).
inline bool in_guard_page(uintptr_t address, uintptr_t stack_bottom) {
    return stack_bottom >= kGuardPageSize && address >= stack_bottom - kGuardPageSize &&
           address < stack_bottom;
}

// vCPU 0's boot stack (boot.S), its guard page just below.
uintptr_t boot_stack_low();
uintptr_t boot_stack_high();

// The stack the panic path runs on after an overflow (one for the domain: a
// second vCPU that overflows meanwhile waits until the first stops it).
uintptr_t panic_stack_low();
uintptr_t panic_stack_high();

}  // namespace arch

// Called by __fentry__ on the panic stack with the overflowing context: its
// stack and frame pointers, the function being entered (return_address, just
// past its call to __fentry__), that function's caller, and the stack's bottom.
extern "C" [[noreturn]] void stack_overflow_detected(uintptr_t rsp, uintptr_t rbp,
                                                     uintptr_t return_address, uintptr_t caller,
                                                     uintptr_t stack_bottom);
#endif
