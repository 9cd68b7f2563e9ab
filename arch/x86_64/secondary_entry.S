/*
 * First instruction of a secondary vCPU started by VCPUOP_initialise
 * (arch/x86_64/vcpu_context.cpp): rsp is the top of its stack (16-aligned),
 * rdi its vCPU id, GS already points at its per-CPU block.
 */
    .text
    .globl secondary_entry
secondary_entry:
    cld
    call secondary_main   /* never returns */
1:  ud2
    jmp 1b
