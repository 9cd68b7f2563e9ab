#include "kernel/smp/smp.h"

#include <errno.h>

#include "arch/x86_64/direct_map.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/traps.h"
#include "arch/x86_64/vcpu_context.h"
#include "base/log.h"
#include "base/panic.h"
#include "kernel/cpu_local.h"
#include "kernel/events/event_channels.h"
#include "kernel/libc_reent.h"
#include "kernel/mm/guarded_stack.h"
#include "kernel/sched/xen_hooks.h"
#include "kernel/time/clock.h"
#include "kernel/time/timers.h"
#include "xen/event_mask.h"
#include "xen/hypercalls.h"
#include "xen/p2m.h"

extern "C" void secondary_entry();

namespace torpor::smp {

namespace {

constexpr size_t kSecondaryStackSize = 64 * 1024;
constexpr uint64_t kBringUpTimeoutNs = 10'000'000'000ull;
unsigned vcpus_present = 1;

void run_queued_calls(uint32_t, void*) {
    CpuLocal& c = this_cpu();
    ++c.ipis;
    (void)c.calls.run_all();
}

uint64_t stack_top(const CpuLocal& c) {
    return (reinterpret_cast<uint64_t>(c.stack) + kSecondaryStackSize) & ~uint64_t(15);
}

}  // namespace

Error initialise_vcpu(unsigned id, const arch::StartRegisters& regs) {
    CpuLocal& c = cpu_local(id);
    arch::PvPlatform platform{};
    // Machine frames are looked up now: after a restore they are new ones.
    platform.l4_mfn = xen::p2m().mfn(arch::pfn_of_virt(arch::page_table_root()));
    platform.kernel_sp = stack_top(c);
    platform.gs_base_kernel = reinterpret_cast<uint64_t>(&c);
    platform.traps = arch::trap_table();
    platform.event_callback = arch::event_callback_address();
    platform.failsafe_callback = arch::failsafe_callback_address();
    static vcpu_guest_context ctx;  // ~5 KiB; only vCPU 0 starts vCPUs, one at a time
    arch::build_vcpu_context(ctx, regs, platform);
    xen::vcpu(id)->evtchn_upcall_mask = 1;  // it unmasks once its handlers exist
    if (long rc = xen::vcpu_op(VCPUOP_initialise, id, &ctx)) {
        klog("smp: VCPUOP_initialise(%u) failed: %ld", id, rc);
        return rc == -EEXIST ? Error::already_exists : Error::hypercall_failed;
    }
    return Error::none;
}

namespace {

Error start_vcpu(unsigned id) {
    CpuLocal& c = cpu_local(id);
    Error e = prepare_cpu_local(id);
    if (e != Error::none) return e;
    if (!c.stack) c.stack = TRY(memory::allocate_guarded_stack(kSecondaryStackSize));
    c.base.stack_bottom = reinterpret_cast<uintptr_t>(c.stack);  // checked from its first call
    uint64_t top = stack_top(c);

    arch::StartRegisters regs{};
    regs.rip = reinterpret_cast<uint64_t>(secondary_entry);
    regs.rsp = top;
    regs.rdi = id;
    if (Error e = initialise_vcpu(id, regs); e != Error::none) return e;
    if (long rc = xen::vcpu_op(VCPUOP_up, id, nullptr)) {
        klog("smp: VCPUOP_up(%u) failed: %ld", id, rc);
        return Error::hypercall_failed;
    }
    uint64_t deadline = clock::monotonic_ns() + kBringUpTimeoutNs;
    while (!__atomic_load_n(&c.online, __ATOMIC_ACQUIRE)) {
        if (clock::monotonic_ns() > deadline) return Error::timed_out;
        sched::this_scheduler().sleep_until(clock::monotonic_ns() + 1'000'000);
    }
    return Error::none;
}

}  // namespace

Error init_this_cpu_ipi() {
    CpuLocal& c = this_cpu();
    auto h = events::bind_ipi(c.base.vcpu_id, run_queued_calls, nullptr);
    if (h.is_error()) return h.error();
    c.ipi = h.value();
    return Error::none;
}

ErrorOr<unsigned> start_secondaries(const VcpuSet& wanted) {
    cpu_local(0).online = true;
    vcpus_present = wanted.present < kMaxCpus ? wanted.present : kMaxCpus;
    if (vcpus_present == 0) vcpus_present = 1;
    unsigned online = 1;
    for (unsigned id = 1; id < vcpus_present; ++id) {
        if (!wanted.online[id]) continue;
        Error e = start_vcpu(id);
        if (e != Error::none) {
            klog("smp: vcpu %u did not come up: %s", id, error_name(e));
            continue;
        }
        ++online;
    }
    return online;
}

unsigned online_count() {
    unsigned n = 0;
    for (unsigned i = 0; i < kMaxCpus; ++i) n += is_online(i);
    return n;
}

unsigned max_vcpus() { return vcpus_present; }

size_t secondary_stack_size() { return kSecondaryStackSize; }

bool is_online(unsigned cpu) {
    return cpu < kMaxCpus && __atomic_load_n(&cpu_local(cpu).online, __ATOMIC_ACQUIRE);
}

Error post_call(unsigned cpu, CrossCall* call) {
    if (!is_online(cpu)) return Error::invalid_argument;
    CpuLocal& target = cpu_local(cpu);
    target.calls.push(call);
    Error e = events::notify(target.ipi);
    // Unnotified, it might sit there for ever: take it back unless it started
    // (an IPI already on its way ran it).
    if (e != Error::none && target.calls.withdraw(call)) return e;
    return Error::none;
}

Error call_on(unsigned cpu, void (*fn)(void*), void* arg) {
    if (cpu == arch::current_vcpu_id()) {
        xen::EventMaskGuard masked;
        fn(arg);
        return Error::none;
    }
    CrossCall call;  // on this stack: done.wait() guarantees the target is finished with it
    call.fn = fn;
    call.arg = arg;
    Error e = post_call(cpu, &call);
    if (e != Error::none) return e;
    return call.done.wait();
}

void kick(unsigned cpu) {
    if (is_online(cpu)) (void)events::notify(cpu_local(cpu).ipi);
}

}  // namespace torpor::smp

// The C++ side of a secondary vCPU's life (arch/x86_64/secondary_entry.S).
extern "C" [[noreturn]] void secondary_main(unsigned id) {
    using namespace torpor;
    CpuLocal& c = this_cpu();
    c.scheduler.init(&sched::xen_hooks, &c.boot_thread, id);
    c.boot_thread.name = "idle";
    c.boot_thread.stack = c.stack;
    c.boot_thread.stack_size = smp::secondary_stack_size();
    c.boot_thread.libc_state = libc::create_thread_state();  // null: it shares vCPU 0's
    if (Error e = timers::init_this_cpu(); e != Error::none)
        kpanic("vcpu %u: timer VIRQ: %s", id, error_name(e));
    if (Error e = smp::init_this_cpu_ipi(); e != Error::none)
        kpanic("vcpu %u: IPI: %s", id, error_name(e));
    __atomic_store_n(&c.online, true, __ATOMIC_RELEASE);
    klog("smp: vcpu %u up", id);
    xen::unmask_events();
    // This context idles; threads spawned onto this vCPU run from its scheduler.
    for (;;) c.scheduler.sleep_until(clock::monotonic_ns() + 3'600'000'000'000ull);
}
