/*
 * Entry point of a 64-bit PV guest. Xen enters here in ring 3 with events
 * masked, %rsi = virtual address of start_info (xen.h, "Start-of-day memory
 * layout"), and a small bootstrap stack. We switch to our own stack and enter C++.
 */
    .section .text.boot, "ax"
    .globl _start
_start:
    cld
    movq $boot_stack_top, %rsp
    movq %rsi, %rdi
    call arch_start          /* never returns */
1:  ud2
    jmp 1b

    /* Xen writes the hypercall trampolines here (XEN_ELFNOTE_HYPERCALL_PAGE). */
    .section .text.hypercall_page, "ax"
    .align 4096
    .globl hypercall_page
hypercall_page:
    .fill 4096, 1, 0xcc

    /* vCPU 0's boot stack ("main"), with a guard page below it that the
     * boot sequence unmaps (main/boot.cpp; see stack_check.h). */
    .section .bss.boot_stack, "aw", @nobits
    .align 4096
    .globl boot_stack_guard
boot_stack_guard:
    .skip 4096
    .globl boot_stack_bottom
boot_stack_bottom:
    .skip 65536
    .globl boot_stack_top
boot_stack_top:
