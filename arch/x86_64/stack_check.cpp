#include "arch/x86_64/stack_check.h"

extern "C" {
extern char stack_checks_enabled;
extern char panic_stack_bottom[];
extern char panic_stack_top[];
extern char boot_stack_bottom[];
extern char boot_stack_top[];
}

namespace arch {

void enable_stack_checks() { __atomic_store_n(&stack_checks_enabled, 1, __ATOMIC_RELEASE); }

uintptr_t boot_stack_low() { return reinterpret_cast<uintptr_t>(boot_stack_bottom); }
uintptr_t boot_stack_high() { return reinterpret_cast<uintptr_t>(boot_stack_top); }
uintptr_t panic_stack_low() { return reinterpret_cast<uintptr_t>(panic_stack_bottom); }
uintptr_t panic_stack_high() { return reinterpret_cast<uintptr_t>(panic_stack_top); }

}  // namespace arch
