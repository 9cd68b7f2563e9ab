// Small x86-64 CPU primitives.
#pragma once
#include <stdint.h>

namespace arch {

inline uint64_t read_tsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t(hi) << 32) | lo;
}

inline void cpu_relax() { asm volatile("pause" ::: "memory"); }
inline void compiler_barrier() { asm volatile("" ::: "memory"); }
// x86 is TSO: loads are not reordered with loads nor stores with stores, so
// ring read/write barriers only need to stop the compiler; a full barrier needs mfence.
inline void read_barrier() { compiler_barrier(); }
inline void write_barrier() { compiler_barrier(); }
inline void full_barrier() { asm volatile("mfence" ::: "memory"); }

}  // namespace arch
