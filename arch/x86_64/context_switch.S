/*
 * Cooperative context switch: a function call, so only the callee-saved
 * registers (rbx, rbp, r12-r15) and the SSE/x87 control words are live.
 *
 * void arch_switch_stack(uintptr_t* save_sp, uintptr_t new_sp, uintptr_t new_stack_bottom)
 * The new thread's stack bottom goes to gs:16 (CpuBase::stack_bottom, read by
 * the overflow check in stack_check.S) in the same breath as the stack
 * pointer, with no instrumented call in between.
 * Frame (lowest address first): mxcsr, x87 cw, r15, r14, r13, r12, rbx, rbp, rip.
 * arch/x86_64/thread_stack.cpp builds the same frame for a new thread.
 */
    .text
    .globl arch_switch_stack
arch_switch_stack:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rdx, %gs:16
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* Where a new thread's first switch "returns" to: r12 holds its Thread*. */
    .globl arch_thread_start
arch_thread_start:
    movq %r12, %rdi
    call arch_thread_entry
    ud2
