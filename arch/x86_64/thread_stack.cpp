#include "arch/x86_64/thread_stack.h"

extern "C" void arch_thread_start();

namespace arch {

namespace {
constexpr uint32_t kDefaultMxcsr = 0x1f80;   // all SSE exceptions masked, round to nearest
constexpr uint16_t kDefaultFpuCw = 0x037f;   // x87 default control word
}

uintptr_t build_initial_frame(void* stack, size_t size, void* context) {
    uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + size) & ~uintptr_t(15);
    auto* frame = reinterpret_cast<uint64_t*>(top) - 8;
    frame[0] = kDefaultMxcsr | (uint64_t(kDefaultFpuCw) << 32);
    frame[1] = 0;                                        // r15
    frame[2] = 0;                                        // r14
    frame[3] = 0;                                        // r13
    frame[4] = reinterpret_cast<uint64_t>(context);      // r12
    frame[5] = 0;                                        // rbx
    frame[6] = 0;                                        // rbp
    frame[7] = reinterpret_cast<uint64_t>(&arch_thread_start);  // rip; rsp ends 16-aligned
    return reinterpret_cast<uintptr_t>(frame);
}

}  // namespace arch
