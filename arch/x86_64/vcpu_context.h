// Builds the vcpu_guest_context (xen/arch-x86/xen.h) that VCPUOP_initialise
// starts a 64-bit PV vCPU with. One place for it: SMP bring-up starts a fresh
// vCPU from an entry point, and resume restarts a parked vCPU from its saved
// registers, both through here.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "xen/abi.h"

namespace arch {

// General-purpose registers the vCPU starts with (anything not listed is 0).
struct StartRegisters {
    uint64_t rip, rsp, rflags;
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

// Where the vCPU finds its address space and kernel entry points. Machine
// frame numbers must be those of the domain it starts in (they change when
// the domain is restored or migrated).
struct PvPlatform {
    unsigned long l4_mfn;             // top-level page table (cr3)
    const unsigned long* gdt_frames;  // GDT frames (MFNs), or null with gdt_entries 0 to
    unsigned gdt_entries;             //   use only Xen's flat selectors
    uint64_t kernel_sp;               // stack Xen switches to on a ring change
    uint64_t gs_base_kernel;          // per-CPU block
    const trap_info* traps;           // the virtual IDT (terminated by address 0)
    uint64_t event_callback;
    uint64_t failsafe_callback;
};

void build_vcpu_context(vcpu_guest_context& ctx, const StartRegisters& regs,
                        const PvPlatform& platform);

}  // namespace arch
