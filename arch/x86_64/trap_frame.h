// Register frame built by trap_entry.S (lowest address first).
#pragma once
#include <stdint.h>

namespace arch {

struct TrapFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    int64_t vector;  // -1 for an event upcall
    uint64_t error_code;
    // Pushed by Xen (the hardware-like part of the bounce frame).
    uint64_t rip, cs, rflags, rsp, ss;
};

static_assert(sizeof(TrapFrame) == 22 * 8, "must match trap_entry.S");

}  // namespace arch
