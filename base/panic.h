// Fatal errors: log the reason and run the crash action the platform registered
// at boot (on Xen: tell it the domain crashed). Calls no hypercall itself.
#pragma once

namespace torpor {

[[noreturn, gnu::format(printf, 1, 2)]] void kpanic(const char* format, ...);
// What kpanic does last; must not return. The platform registers it before
// anything can panic.
using CrashAction = void (*)();
void set_crash_action(CrashAction action);

}  // namespace torpor
