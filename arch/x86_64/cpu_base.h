// Each vCPU's GS base points at its CpuLocal block (kernel/cpu_local.h), whose
// first two words are the ones below, so arch and xen code can find "which vCPU
// am I" without knowing the rest of the block.
#pragma once
#include <stdint.h>

namespace arch {

struct CpuBase {
    CpuBase* self;     // gs:0
    uint32_t vcpu_id;  // gs:8
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

}  // namespace arch
