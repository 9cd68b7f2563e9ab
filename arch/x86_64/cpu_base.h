// Each vCPU's GS base points at its CpuLocal block (kernel/cpu_local.h), whose
// first words are the ones below, so arch and xen code can find "which vCPU
// am I" and "which stack am I on" without knowing the rest of the block.
#pragma once
#include <stdint.h>

namespace arch {

struct CpuBase {
    CpuBase* self;           // gs:0
    uint32_t vcpu_id;        // gs:8
    uint32_t reserved;
    uintptr_t stack_bottom;  // gs:16: lowest address of the running thread's stack
                             // (0: unknown, no check); see stack_check.h
};

inline CpuBase* cpu_base() {
    CpuBase* p;
    asm volatile("movq %%gs:0, %0" : "=r"(p));
    return p;
}

inline uint32_t current_vcpu_id() {
    uint32_t id;
    asm volatile("movl %%gs:8, %0" : "=r"(id));
    return id;
}

inline uintptr_t current_stack_bottom() {
    uintptr_t bottom;
    asm volatile("movq %%gs:16, %0" : "=r"(bottom));
    return bottom;
}

// The context switch sets it as the new thread's stack takes over (the
// overflow check compares against it at every function entry).
inline void set_current_stack_bottom(uintptr_t bottom) {
    asm volatile("movq %0, %%gs:16" ::"r"(bottom) : "memory");
}

}  // namespace arch
