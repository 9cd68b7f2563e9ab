#include "kernel/sched/xen_hooks.h"

#include "arch/x86_64/stack_check.h"
#include "arch/x86_64/thread_stack.h"
#include "kernel/cpu_local.h"
#include "kernel/libc_reent.h"
#include "kernel/mm/guarded_stack.h"
#include "kernel/smp/smp.h"
#include "kernel/time/timers.h"
#include "xen/event_mask.h"

namespace torpor::sched {

namespace {

void switch_context(Thread* from, Thread* to) {
    arch_switch_stack(&from->saved_sp, to->saved_sp, reinterpret_cast<uintptr_t>(to->stack));
}

// Stacks come with an unmapped guard page below them (kernel/mm/guarded_stack.h).
// Each thread has its own newlib state (kernel/libc_reent.h).
Error prepare_thread(Thread* t) {
    if (t->stack_size <= arch::kStackCheckMargin + 4096) return Error::invalid_argument;
    t->libc_state = libc::create_thread_state();
    if (!t->libc_state) return Error::out_of_memory;
    auto stack = memory::allocate_guarded_stack(t->stack_size);
    if (stack.is_error()) {
        libc::destroy_thread_state(t->libc_state);
        t->libc_state = nullptr;
        return stack.error();
    }
    t->stack = stack.value();
    t->saved_sp = arch::build_initial_frame(t->stack, t->stack_size, t);
    return Error::none;
}

void release_thread(Thread* t) {
    memory::free_guarded_stack(t->stack, t->stack_size);
    t->stack = nullptr;
    libc::destroy_thread_state(t->libc_state);
    t->libc_state = nullptr;
}

void idle() {
    // SCHEDOP_block re-enables delivery atomically and returns after the
    // upcall has run; mask again for the scheduler's loop.
    (void)xen::block();
    xen::mask_events();
}

void kick(Scheduler* target) { smp::kick(target->cpu()); }

void restore_events(bool was_masked) {
    if (!was_masked) xen::unmask_events();
}

}  // namespace

const Hooks xen_hooks = {
    switch_context, prepare_thread,  release_thread,    idle,           timers::arm,
    timers::cancel, kick, xen::mask_events, restore_events,
};

Scheduler& this_scheduler() { return this_cpu().scheduler; }

}  // namespace torpor::sched

extern "C" void arch_thread_entry(void* thread) {
    torpor::sched::thread_main(static_cast<torpor::sched::Thread*>(thread));
}
