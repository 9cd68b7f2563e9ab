#include "base/panic.h"

#include "base/log.h"

namespace torpor {

namespace {

CrashAction crash_action = nullptr;

}  // namespace

void set_crash_action(CrashAction action) { crash_action = action; }

void kpanic(const char* format, ...) {
    va_list args;
    va_start(args, format);
    log_write("torpor: PANIC: ", 15);
    vklog(format, args);
    va_end(args);
    if (crash_action) crash_action();
    // No crash action (or one that returned): stop here rather than run on.
    for (;;) __asm__ volatile("" ::: "memory");
}

}  // namespace torpor
