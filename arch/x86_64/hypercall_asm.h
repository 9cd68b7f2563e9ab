// Raw x86-64 PV hypercall: `call hypercall_page + op * 32` with arguments in
// rdi, rsi, rdx, r10, r8 and the result in rax. Xen clobbers rcx and r11, and
// debug builds also clobber the argument registers, so they are all outputs.
#pragma once

extern "C" char hypercall_page[4096];

namespace arch {

template <unsigned Op>
inline long raw_hypercall(unsigned long a1 = 0, unsigned long a2 = 0, unsigned long a3 = 0,
                          unsigned long a4 = 0, unsigned long a5 = 0) {
    register unsigned long rdi asm("rdi") = a1;
    register unsigned long rsi asm("rsi") = a2;
    register unsigned long rdx asm("rdx") = a3;
    register unsigned long r10 asm("r10") = a4;
    register unsigned long r8 asm("r8") = a5;
    long rax;
    asm volatile("call hypercall_page + %c[offset]"
                 : "=a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
                 : [offset] "i"(Op * 32)
                 : "memory", "rcx", "r11");
    return rax;
}

}  // namespace arch
