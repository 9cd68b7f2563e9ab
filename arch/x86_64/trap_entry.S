/*
 * Exception, event-upcall and failsafe entry points for a 64-bit PV guest.
 *
 * Xen bounces an exception to the guest kernel with this frame on the kernel
 * stack (lowest address first): rcx, r11, [error code], rip, cs, rflags, rsp, ss.
 * The event callback gets the same frame without an error code. We always return
 * through HYPERVISOR_iret, which also restores the event mask from the saved
 * rflags.IF (xen/arch-x86/xen-x86_64.h, struct iret_context): we jump to the
 * hypercall page's iret slot with [flags, rip, cs, rflags, rsp, ss] on the stack,
 * and the slot itself pushes rax, r11 and rcx.
 */
#include <xen/xen.h>

#define IRET_SLOT (hypercall_page + __HYPERVISOR_iret * 32)

/* struct TrapFrame in trap_frame.h mirrors this layout. */
.macro SAVE_GPRS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

.macro RESTORE_GPRS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm

/* Calls \handler(TrapFrame*) with the SSE/x87 state saved around it. */
.macro CALL_HANDLER handler
    movq %rsp, %rdi
    movq %rsp, %rbx
    subq $512, %rsp
    andq $-16, %rsp
    fxsave64 (%rsp)
    call \handler
    fxrstor64 (%rsp)
    movq %rbx, %rsp
.endm

.macro TRAP_ENTRY name, vector, has_error_code
    .globl \name
\name:
    movq (%rsp), %rcx
    movq 8(%rsp), %r11
    addq $16, %rsp
    .if \has_error_code == 0
    pushq $0
    .endif
    pushq $\vector
    jmp trap_common
.endm

    .text
trap_common:
    SAVE_GPRS
    CALL_HANDLER handle_trap
    RESTORE_GPRS
    addq $16, %rsp          /* vector, error code */
    pushq $0                /* iret flags: not in a syscall */
    jmp IRET_SLOT

TRAP_ENTRY trap_divide_error,        0, 0
TRAP_ENTRY trap_debug,               1, 0
TRAP_ENTRY trap_nmi,                 2, 0
TRAP_ENTRY trap_int3,                3, 0
TRAP_ENTRY trap_overflow,            4, 0
TRAP_ENTRY trap_bounds,              5, 0
TRAP_ENTRY trap_invalid_op,          6, 0
TRAP_ENTRY trap_device_not_available, 7, 0
TRAP_ENTRY trap_double_fault,        8, 1
TRAP_ENTRY trap_coprocessor_segment_overrun, 9, 0
TRAP_ENTRY trap_invalid_tss,        10, 1
TRAP_ENTRY trap_segment_not_present, 11, 1
TRAP_ENTRY trap_stack_segment,      12, 1
TRAP_ENTRY trap_general_protection, 13, 1
TRAP_ENTRY trap_page_fault,         14, 1
TRAP_ENTRY trap_spurious_interrupt_bug, 15, 0
TRAP_ENTRY trap_coprocessor_error,  16, 0
TRAP_ENTRY trap_alignment_check,    17, 1
TRAP_ENTRY trap_machine_check,      18, 0
TRAP_ENTRY trap_simd_coprocessor_error, 19, 0

/* Event-channel upcall: same frame as an exception without an error code. */
    .globl event_upcall_entry
event_upcall_entry:
    movq (%rsp), %rcx
    movq 8(%rsp), %r11
    addq $16, %rsp
    pushq $0                /* error code slot */
    pushq $-1               /* "vector": not an exception */
    SAVE_GPRS
    CALL_HANDLER handle_event_upcall
    RESTORE_GPRS
    addq $16, %rsp
    pushq $0
    jmp IRET_SLOT

/*
 * Failsafe callback: Xen could not restore our segment state on return. Frame:
 * rcx, r11, ds, es, fs, gs, rip, cs, rflags, rsp, ss. Nothing sensible can
 * continue; report and crash the domain.
 */
    .globl failsafe_entry
failsafe_entry:
    movq %rsp, %rdi
    andq $-16, %rsp
    call handle_failsafe
1:  ud2
    jmp 1b
