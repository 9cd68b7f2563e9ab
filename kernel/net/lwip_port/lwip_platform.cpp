// What lwIP's arch/cc.h macros call: debug output, assertions, random numbers.
#include "kernel/net/lwip_port/arch/cc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "base/log.h"
#include "base/panic.h"
#include "kernel/time/clock.h"

namespace {

uint64_t random_state = 0;

}  // namespace

extern "C" {

void torpor_lwip_diag(const char* format, ...) {
    char line[256];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof(line), format, args);
    va_end(args);
    if (n <= 0) return;
    size_t length = strnlen(line, sizeof(line));
    while (length > 0 && line[length - 1] == '\n') line[--length] = '\0';
    torpor::klog("lwIP: %s", line);
}

void torpor_lwip_assert_failed(const char* message, const char* file, int line) {
    torpor::kpanic("lwIP assertion failed: %s (%s:%d)", message, file, line);
}

// xorshift64* over a state seeded from the wall clock and the TSC, advanced
// atomically so concurrent callers on several vCPUs get different values. Good
// enough for initial sequence numbers, ports and DHCP ids against accidents;
// not against an attacker predicting them.
uint32_t torpor_lwip_rand(void) {
    uint64_t seen = __atomic_load_n(&random_state, __ATOMIC_RELAXED);
    for (;;) {
        uint64_t x = seen;
        if (x == 0) x = (torpor::clock::wall_clock_ns() ^ arch::read_tsc()) | 1;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        if (__atomic_compare_exchange_n(&random_state, &seen, x, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return uint32_t((x * 0x2545F4914F6CDD1DULL) >> 32);
    }
}

}  // extern "C"
