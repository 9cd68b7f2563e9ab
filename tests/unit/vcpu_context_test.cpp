#include "arch/x86_64/vcpu_context.h"

#include <gtest/gtest.h>

#include <cstddef>

#include "arch/x86_64/cpu_base.h"
#include "kernel/cpu_local.h"

using arch::build_vcpu_context;
using arch::PvPlatform;
using arch::StartRegisters;

namespace {

trap_info traps[] = {
    {0, 4, FLAT_KERNEL_CS, 0x1000},
    {14, 4, FLAT_KERNEL_CS, 0x1400},
    {3, 7, FLAT_KERNEL_CS, 0x1300},
    {0, 0, 0, 0},
};

PvPlatform platform() {
    PvPlatform p{};
    p.l4_mfn = 0x12345;
    p.kernel_sp = 0xffffffff80100000;
    p.gs_base_kernel = 0xffffffff80200000;
    p.traps = traps;
    p.event_callback = 0xffffffff80001234;
    p.failsafe_callback = 0xffffffff80005678;
    return p;
}

}  // namespace

TEST(VcpuContext, StartsInKernelModeWithFlatSelectorsAndOurAddressSpace) {
    StartRegisters r{};
    r.rip = 0xffffffff80000100;
    r.rsp = 0xffffffff80100000;
    r.rdi = 3;
    vcpu_guest_context ctx;
    build_vcpu_context(ctx, r, platform());
    EXPECT_EQ(ctx.flags, static_cast<unsigned long>(VGCF_in_kernel));
    EXPECT_EQ(ctx.user_regs.rip, r.rip);
    EXPECT_EQ(ctx.user_regs.rsp, r.rsp);
    EXPECT_EQ(ctx.user_regs.rdi, 3u);
    EXPECT_EQ(ctx.user_regs.rflags, 0x202u);
    EXPECT_EQ(ctx.user_regs.cs, FLAT_KERNEL_CS);
    EXPECT_EQ(ctx.user_regs.ss, FLAT_KERNEL_SS);
    EXPECT_EQ(ctx.kernel_ss, static_cast<unsigned long>(FLAT_KERNEL_SS));
    EXPECT_EQ(ctx.kernel_sp, platform().kernel_sp);
    EXPECT_EQ(ctx.ctrlreg[3], 0x12345000ul) << "cr3 holds the L4's machine frame";
    EXPECT_EQ(ctx.gs_base_kernel, platform().gs_base_kernel);
    EXPECT_EQ(ctx.event_callback_eip, platform().event_callback);
    EXPECT_EQ(ctx.failsafe_callback_eip, platform().failsafe_callback);
    EXPECT_EQ(ctx.gdt_ents, 0u);
}

TEST(VcpuContext, TrapTableIsIndexedByVector) {
    vcpu_guest_context ctx;
    build_vcpu_context(ctx, StartRegisters{}, platform());
    EXPECT_EQ(ctx.trap_ctxt[0].address, 0x1000u);
    EXPECT_EQ(ctx.trap_ctxt[14].address, 0x1400u);
    EXPECT_EQ(ctx.trap_ctxt[3].address, 0x1300u);
    EXPECT_EQ(ctx.trap_ctxt[3].flags, 7);
    EXPECT_EQ(ctx.trap_ctxt[13].address, 0u) << "vectors we do not handle stay empty";
}

TEST(VcpuContext, CarriesEveryGeneralPurposeRegister) {
    StartRegisters r{};
    r.rax = 1;
    r.rbx = 2;
    r.rbp = 3;
    r.r12 = 4;
    r.r13 = 5;
    r.r14 = 6;
    r.r15 = 7;
    r.rflags = 0x246;
    vcpu_guest_context ctx;
    build_vcpu_context(ctx, r, platform());
    EXPECT_EQ(ctx.user_regs.rax, 1u);
    EXPECT_EQ(ctx.user_regs.rbx, 2u);
    EXPECT_EQ(ctx.user_regs.rbp, 3u);
    EXPECT_EQ(ctx.user_regs.r12, 4u);
    EXPECT_EQ(ctx.user_regs.r13, 5u);
    EXPECT_EQ(ctx.user_regs.r14, 6u);
    EXPECT_EQ(ctx.user_regs.r15, 7u);
    EXPECT_EQ(ctx.user_regs.rflags, 0x246u);
}

TEST(VcpuContext, GdtFramesAreCopiedWhenGiven) {
    unsigned long frames[2] = {0x111, 0x222};
    PvPlatform p = platform();
    p.gdt_frames = frames;
    p.gdt_entries = 600;  // spills into a second frame (512 entries each)
    vcpu_guest_context ctx;
    build_vcpu_context(ctx, StartRegisters{}, p);
    EXPECT_EQ(ctx.gdt_frames[0], 0x111u);
    EXPECT_EQ(ctx.gdt_frames[1], 0x222u);
    EXPECT_EQ(ctx.gdt_ents, 600u);
}

TEST(CpuLocalLayout, GsRelativeFieldsMatchTheAssembly) {
    // arch/x86_64/cpu_base.h reads gs:0 (self) and gs:8 (vCPU id);
    // stack_check.S and context_switch.S use gs:16 (the stack bottom).
    EXPECT_EQ(offsetof(arch::CpuBase, self), 0u);
    EXPECT_EQ(offsetof(arch::CpuBase, vcpu_id), 8u);
    EXPECT_EQ(offsetof(arch::CpuBase, stack_bottom), 16u);
    EXPECT_EQ(offsetof(torpor::CpuLocal, base), 0u) << "the GS base points at CpuLocal itself";
}
