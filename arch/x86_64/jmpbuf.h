// A setjmp with a layout we own, so a saved context can be turned into the
// registers a vCPU restarts with (suspend: secondaries park with setjmp; a
// resume in a new domain restarts them from it with VCPUOP_initialise).
#pragma once
#include <stdint.h>

#include "arch/x86_64/vcpu_context.h"

namespace arch {

struct JmpBuf {
    uint64_t rbx, rbp, r12, r13, r14, r15;
    uint64_t rsp;  // at the call: points at the return address
    uint64_t rip;  // the return address
    uint32_t mxcsr;
    uint16_t fpu_cw;
    uint16_t pad;
};

// The registers that make the vCPU continue as if arch_setjmp returned 1: the
// callee-saved registers as saved, rsp advanced past the return address as a
// `ret` would, rip at the return address, rax = 1.
StartRegisters registers_resuming(const JmpBuf& buf);

}  // namespace arch

// Returns 0 when saving; 1 when resumed from the buffer.
extern "C" [[gnu::returns_twice]] int arch_setjmp(arch::JmpBuf* buf);
