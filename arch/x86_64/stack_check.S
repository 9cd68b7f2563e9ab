/*
 * The stack-overflow check every kernel C++ function runs on entry (built with
 * -pg -mfentry; see stack_check.h). It runs before the function's prologue:
 * argument registers are live, so only %r11 (scratch at a call boundary and
 * never an argument) is touched on the fast path.
 */
#include "arch/x86_64/stack_check.h"

    .text
    .globl __fentry__
__fentry__:
    cmpb $0, stack_checks_enabled(%rip)
    je 1f
    movq %gs:16, %r11               /* CpuBase::stack_bottom, 0 = unknown */
    testq %r11, %r11
    jz 1f
    addq $TORPOR_STACK_CHECK_MARGIN, %r11
    cmpq %r11, %rsp
    jb stack_overflow
1:  ret

/*
 * Fewer than TORPOR_STACK_CHECK_MARGIN bytes left: stop checking on this vCPU,
 * take the panic stack (the first vCPU to get here owns it; any other spins
 * until the panicking vCPU stops it) and report from there.
 */
stack_overflow:
    movq %gs:16, %r8                /* the stack's bottom, for the report */
    movq $0, %gs:16
    movq %rsp, %rdi                 /* the overflowing stack pointer */
    movq %rbp, %rsi                 /* its frame chain, for the backtrace */
    movq (%rsp), %rdx               /* where in the instrumented function */
    movq 8(%rsp), %rcx              /* and where it was called from */
    movl $1, %eax
2:  xchgl %eax, panic_stack_taken(%rip)
    testl %eax, %eax
    jz 3f
    pause
    movl $1, %eax
    jmp 2b
3:  leaq panic_stack_top(%rip), %rsp
    xorl %ebp, %ebp
    call stack_overflow_detected    /* never returns */
4:  ud2
    jmp 4b

    .data
    .globl stack_checks_enabled
stack_checks_enabled:
    .byte 0
    .align 4
panic_stack_taken:
    .long 0

    .section .bss.panic_stack, "aw", @nobits
    .align 4096
    .globl panic_stack_bottom
panic_stack_bottom:
    .skip TORPOR_PANIC_STACK_SIZE
    .globl panic_stack_top
panic_stack_top:
