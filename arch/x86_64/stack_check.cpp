#include "arch/x86_64/stack_check.h"

#include "base/panic.h"

extern "C" {
extern char stack_checks_enabled;
extern char panic_stack_bottom[];
extern char panic_stack_top[];
extern char boot_stack_bottom[];
extern char boot_stack_top[];
}

namespace arch {

void enable_stack_checks() { __atomic_store_n(&stack_checks_enabled, 1, __ATOMIC_RELEASE); }
bool cpu_base_installed() { return __atomic_load_n(&stack_checks_enabled, __ATOMIC_ACQUIRE); }

uintptr_t boot_stack_low() { return reinterpret_cast<uintptr_t>(boot_stack_bottom); }
uintptr_t boot_stack_high() { return reinterpret_cast<uintptr_t>(boot_stack_top); }
uintptr_t panic_stack_low() { return reinterpret_cast<uintptr_t>(panic_stack_bottom); }
uintptr_t panic_stack_high() { return reinterpret_cast<uintptr_t>(panic_stack_top); }

}  // namespace arch

extern "C" void stack_overflow_detected(uintptr_t rsp, uintptr_t rbp, uintptr_t return_address,
                                        uintptr_t caller, uintptr_t stack_bottom) {
    torpor::PanicContext where;
    where.rip = return_address;
    where.caller = caller;
    where.rsp = rsp;
    where.rbp = rbp;
    torpor::kpanic_at(where,
                      "stack overflow in thread %s: stack pointer %#lx is only %lu bytes above "
                      "the bottom of its stack (%#lx; the entry check wants %zu)",
                      torpor::panic_thread_name(), (unsigned long)rsp,
                      (unsigned long)(rsp - stack_bottom), (unsigned long)stack_bottom,
                      arch::kStackCheckMargin);
}
