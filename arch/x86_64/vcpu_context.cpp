#include "arch/x86_64/vcpu_context.h"

#include <string.h>

namespace arch {

void build_vcpu_context(vcpu_guest_context& ctx, const StartRegisters& r,
                        const PvPlatform& p) {
    memset(&ctx, 0, sizeof(ctx));
    // A 64-bit PV vCPU always starts in (ring-3) kernel mode; events are
    // governed by vcpu_info's upcall mask, not rflags.IF.
    ctx.flags = VGCF_in_kernel;
    cpu_user_regs& u = ctx.user_regs;
    u.rip = r.rip;
    u.rsp = r.rsp;
    u.rflags = r.rflags ? r.rflags : 0x202;  // reserved bit 1 | IF
    u.rax = r.rax;
    u.rbx = r.rbx;
    u.rcx = r.rcx;
    u.rdx = r.rdx;
    u.rsi = r.rsi;
    u.rdi = r.rdi;
    u.rbp = r.rbp;
    u.r8 = r.r8;
    u.r9 = r.r9;
    u.r10 = r.r10;
    u.r11 = r.r11;
    u.r12 = r.r12;
    u.r13 = r.r13;
    u.r14 = r.r14;
    u.r15 = r.r15;
    u.cs = FLAT_KERNEL_CS;
    u.ss = FLAT_KERNEL_SS;
    u.ds = u.es = FLAT_KERNEL_DS;
    u.fs = u.gs = 0;  // bases come from fs_base / gs_base_kernel

    // trap_ctxt is the virtual IDT: entry i handles vector i.
    for (const trap_info* t = p.traps; t && t->address; ++t) ctx.trap_ctxt[t->vector] = *t;

    for (unsigned i = 0; i < p.gdt_entries / 512 + (p.gdt_entries % 512 != 0) && i < 16; ++i)
        ctx.gdt_frames[i] = p.gdt_frames[i];
    ctx.gdt_ents = p.gdt_entries;
    ctx.kernel_ss = FLAT_KERNEL_SS;
    ctx.kernel_sp = p.kernel_sp;
    ctx.ctrlreg[3] = xen_pfn_to_cr3(p.l4_mfn);
    ctx.event_callback_eip = p.event_callback;
    ctx.failsafe_callback_eip = p.failsafe_callback;
    ctx.gs_base_kernel = p.gs_base_kernel;
}

}  // namespace arch

#include "arch/x86_64/jmpbuf.h"

namespace arch {

StartRegisters registers_resuming(const JmpBuf& b) {
    StartRegisters r{};
    r.rbx = b.rbx;
    r.rbp = b.rbp;
    r.r12 = b.r12;
    r.r13 = b.r13;
    r.r14 = b.r14;
    r.r15 = b.r15;
    r.rip = b.rip;
    r.rsp = b.rsp + 8;  // as the `ret` of arch_setjmp would leave it
    r.rax = 1;          // arch_setjmp "returns" 1
    return r;
}

}  // namespace arch
