// lwIP's timeouts and the kernel's deadlines (pure arithmetic, host-tested).
// lwIP waits take a timeout in ms where 0 means "forever" and report the ms
// they waited, where SYS_ARCH_TIMEOUT (0xffffffff) means "timed out"; kernel
// waits take an absolute monotonic deadline in ns where 0 means "none".
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace torpor::lwip_port {

inline constexpr uint32_t kTimedOut = 0xffffffffu;  // lwIP's SYS_ARCH_TIMEOUT
inline constexpr size_t kDefaultStack = 64 * 1024;
inline constexpr size_t kMinStack = 16 * 1024;

inline uint64_t deadline_after_ms(uint64_t now_ns, uint32_t timeout_ms) {
    if (timeout_ms == 0) return 0;
    uint64_t deadline = now_ns + uint64_t(timeout_ms) * 1'000'000;
    return deadline == 0 ? 1 : deadline;  // 0 would mean "no deadline"
}

// Never kTimedOut for a wait that succeeded, however long it took.
inline uint32_t elapsed_ms(uint64_t start_ns, uint64_t now_ns) {
    uint64_t ms = now_ns > start_ns ? (now_ns - start_ns) / 1'000'000 : 0;
    return ms >= kTimedOut ? kTimedOut - 1 : uint32_t(ms);
}

// lwIP passes the *_STACKSIZE options, which a port may treat as a hint.
inline size_t thread_stack_size(int requested) {
    if (requested <= 0) return kDefaultStack;
    return size_t(requested) < kMinStack ? kMinStack : size_t(requested);
}

}  // namespace torpor::lwip_port
