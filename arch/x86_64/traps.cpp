#include "arch/x86_64/traps.h"

#include "arch/x86_64/cpu_base.h"
#include "arch/x86_64/page_fault.h"
#include "arch/x86_64/stack_check.h"
#include "arch/x86_64/trap_frame.h"
#include "base/log.h"
#include "base/panic.h"
#include "xen/hypercalls.h"
#include "xen/shared_info.h"

extern "C" {
void trap_divide_error();
void trap_debug();
void trap_nmi();
void trap_int3();
void trap_overflow();
void trap_bounds();
void trap_invalid_op();
void trap_device_not_available();
void trap_double_fault();
void trap_coprocessor_segment_overrun();
void trap_invalid_tss();
void trap_segment_not_present();
void trap_stack_segment();
void trap_general_protection();
void trap_page_fault();
void trap_spurious_interrupt_bug();
void trap_coprocessor_error();
void trap_alignment_check();
void trap_machine_check();
void trap_simd_coprocessor_error();
void event_upcall_entry();
void failsafe_entry();
}

namespace arch {

namespace {

// trap_info.flags: bits 0-1 are the DPL a software `int` needs (the kernel runs
// in ring 3, so int3/into need 3); bit 2 masks event delivery on entry, like an
// interrupt gate (xen/arch-x86/xen.h, struct trap_info).
constexpr uint8_t kMaskEvents = 4;

trap_info make_trap(uint8_t vector, void (*entry)(), uint8_t dpl = 0) {
    trap_info t{};
    t.vector = vector;
    t.flags = uint8_t(dpl | kMaskEvents);
    t.cs = FLAT_KERNEL_CS;
    t.address = reinterpret_cast<unsigned long>(entry);
    return t;
}

const char* trap_name(int64_t vector) {
    static const char* const names[] = {
        "divide error", "debug", "nmi", "int3", "overflow", "bounds", "invalid opcode",
        "device not available", "double fault", "coprocessor segment overrun", "invalid TSS",
        "segment not present", "stack segment", "general protection", "page fault",
        "spurious interrupt", "x87 error", "alignment check", "machine check", "SIMD error"};
    return vector >= 0 && vector < 20 ? names[vector] : "unknown";
}

}  // namespace

trap_info* table_storage();

const trap_info* trap_table() { return table_storage(); }
uint64_t event_callback_address() { return reinterpret_cast<uint64_t>(event_upcall_entry); }
uint64_t failsafe_callback_address() { return reinterpret_cast<uint64_t>(failsafe_entry); }

long install_traps() {
    long rc = xen::set_trap_table(table_storage());
    if (rc) return rc;
    rc = xen::register_callback(CALLBACKTYPE_event, event_upcall_entry);
    if (rc) return rc;
    return xen::register_callback(CALLBACKTYPE_failsafe, failsafe_entry);
}

trap_info* table_storage() {
    static trap_info table[] = {
        make_trap(0, trap_divide_error),
        make_trap(1, trap_debug),
        // NMI: CALLBACKOP_register(CALLBACKTYPE_nmi) only writes this same
        // slot of the vCPU's virtual IDT (xen/arch/x86/pv/callback.c); going
        // through the table also gives it to every secondary vCPU, whose
        // context VCPUOP_initialise takes from it (vcpu_context.cpp).
        // `xl trigger <domain> nmi` delivers one.
        make_trap(2, trap_nmi),
        make_trap(3, trap_int3, 3),
        make_trap(4, trap_overflow, 3),
        make_trap(5, trap_bounds),
        make_trap(6, trap_invalid_op),
        make_trap(7, trap_device_not_available),
        make_trap(8, trap_double_fault),  // Xen does not reflect #DF to PV guests today
        make_trap(9, trap_coprocessor_segment_overrun),
        make_trap(10, trap_invalid_tss),
        make_trap(11, trap_segment_not_present),
        make_trap(12, trap_stack_segment),
        make_trap(13, trap_general_protection),
        make_trap(14, trap_page_fault),
        make_trap(15, trap_spurious_interrupt_bug),
        make_trap(16, trap_coprocessor_error),
        make_trap(17, trap_alignment_check),
        make_trap(18, trap_machine_check),  // a vMCE Xen injects
        make_trap(19, trap_simd_coprocessor_error),
        trap_info{},  // terminator: vector 0 with address 0
    };
    return table;
}

}  // namespace arch

namespace {

const char* fatal_event_name(int64_t vector) {
    switch (vector) {
        case 2: return "NMI (a non-maskable interrupt from Xen, e.g. `xl trigger <domain> nmi`)";
        case 8: return "double fault";
        case 18: return "machine check (the hardware reported an uncorrectable error)";
        default: return nullptr;
    }
}

}  // namespace

extern "C" void handle_trap(arch::TrapFrame* f) {
    torpor::PanicContext where;
    where.rip = f->rip;
    where.rsp = f->rsp;
    where.rbp = f->rbp;
    // Every vector ends here: the kernel has no fault it expects and fixes up.
    if (f->vector == 14) {
        unsigned long cr2 = xen::vcpu(arch::current_vcpu_id())->arch.cr2;
        uintptr_t bottom = arch::current_stack_bottom();
        if (arch::in_guard_page(cr2, bottom))
            torpor::kpanic_at(where, "stack overflow in thread %s: fault at %#lx in the guard "
                              "page below its stack (bottom %#lx) at rip %#lx",
                              torpor::panic_thread_name(), cr2, (unsigned long)bottom, f->rip);
        char decoded[128];
        arch::describe_page_fault(f->error_code, decoded, sizeof(decoded));
        torpor::kpanic_at(where,
                          "page fault at address %#lx: %s (error code %#lx) at rip %#lx\n"
                          "  rsp=%#lx rflags=%#lx rax=%#lx rbx=%#lx rcx=%#lx rdx=%#lx\n"
                          "  rsi=%#lx rdi=%#lx rbp=%#lx r8=%#lx r12=%#lx",
                          cr2, decoded, f->error_code, f->rip, f->rsp, f->rflags, f->rax, f->rbx,
                          f->rcx, f->rdx, f->rsi, f->rdi, f->rbp, f->r8, f->r12);
    }
    const char* name = fatal_event_name(f->vector);
    torpor::kpanic_at(where,
                      "%s%strap %ld (%s) error=%#lx at rip %#lx\n"
                      "  rsp=%#lx rflags=%#lx rax=%#lx rbx=%#lx rcx=%#lx rdx=%#lx\n"
                      "  rsi=%#lx rdi=%#lx rbp=%#lx r8=%#lx r12=%#lx",
                      name ? name : "", name ? ": " : "", long(f->vector),
                      arch::trap_name(f->vector), f->error_code, f->rip, f->rsp, f->rflags,
                      f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp, f->r8, f->r12);
}

namespace arch {
namespace {
void (*event_upcall_handler)() = nullptr;
}
void set_event_upcall_handler(void (*handler)()) { event_upcall_handler = handler; }
}  // namespace arch

extern "C" void handle_event_upcall(arch::TrapFrame*) {
    if (arch::event_upcall_handler) {
        arch::event_upcall_handler();
    } else {
        xen::vcpu(arch::current_vcpu_id())->evtchn_upcall_pending = 0;  // nothing bound yet
    }
}

extern "C" void handle_failsafe(unsigned long* frame) {
    torpor::kpanic("failsafe callback: Xen could not restore segments (rip=%#lx cs=%#lx)",
                   frame[6], frame[7]);
}
