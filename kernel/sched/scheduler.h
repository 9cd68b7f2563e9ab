// One cooperative scheduler per vCPU. The platform (context switch, idling,
// timers, event masking) comes in through Hooks so the same code runs on Xen
// and, with ucontext, in the host tests.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/spinlock.h"
#include "kernel/sched/thread.h"

namespace torpor::sched {

struct Hooks {
    // Saves the current context into `from` and resumes `to`.
    void (*switch_context)(Thread* from, Thread* to);
    // Allocates the new thread's stack (thread->stack_size bytes, into
    // thread->stack) and prepares it so that switching to it calls
    // thread_main(thread).
    Error (*prepare_thread)(Thread* thread);
    // Frees what prepare_thread allocated for an exited thread (its stack too).
    void (*release_thread)(Thread* thread);
    // Blocks the vCPU until an event arrives (events are delivered meanwhile).
    void (*idle)();
    // One-shot timers on this vCPU (callbacks run with events masked).
    void (*arm_timer)(Timer* timer, uint64_t deadline_ns);
    void (*cancel_timer)(Timer* timer);
    // Makes another vCPU's scheduler notice new work (null on one vCPU).
    void (*kick)(Scheduler* target);
    // Event masking on this vCPU: returns the previous state / restores it.
    bool (*mask_events)();
    void (*restore_events)(bool was_masked);
};

// The body every new thread runs: entry(arg), then exit.
[[noreturn]] void thread_main(Thread* thread);

class Scheduler {
public:
    // Adopts the calling context as `boot_thread` (its state becomes running).
    void init(const Hooks* hooks, Thread* boot_thread, unsigned cpu);

    // A thread that someone will join(): the handle stays valid until then.
    ErrorOr<Thread*> spawn(const char* name, Thread::Entry entry, void* arg,
                           size_t stack_size = 64 * 1024);
    // A thread nobody joins: once it has exited and been switched away from it
    // waits on this scheduler's zombie list, freed by the next spawn here.
    Error spawn_detached(const char* name, Thread::Entry entry, void* arg,
                         size_t stack_size = 64 * 1024);
    // Exited detached threads not yet freed.
    size_t zombie_count() const { return zombies_count_; }
    Thread* current() const { return current_; }
    unsigned cpu() const { return cpu_; }
    const Hooks& hooks() const { return *hooks_; }

    void yield();
    // Runs other threads until monotonic time reaches deadline_ns.
    void sleep_until(uint64_t deadline_ns);
    // Waits for `thread` to exit, then frees it. A thread cannot join itself.
    Error join(Thread* thread);
    [[noreturn]] void exit_current();

    // Makes a blocked thread runnable (any context, any vCPU, events masked or not).
    void wake(Thread* thread, WakeReason reason);
    // As wake() without interrupting the thread's vCPU: returns true when the
    // caller must kick() this scheduler afterwards (it belongs to another vCPU).
    // Lets a waker drop its locks before the hypercall that kick() is on Xen.
    bool wake_deferring_kick(Thread* thread, WakeReason reason);
    // Makes this scheduler's vCPU notice new work (from another vCPU).
    void kick();
    size_t runnable_count() const { return runnable_; }
    uint64_t switch_count() const { return switches_; }

private:
    friend class WaitQueue;
    // Switches away from the current thread (which must no longer be running),
    // idling while nothing is runnable. Called with events masked.
    void schedule();
    // Runs in the thread switched to: reaps the thread switched away from if it exited.
    void finish_switch();
    friend void thread_main(Thread* thread);
    Thread* pop_runnable();
    void push_runnable(Thread* t);
    static void on_timeout(Timer* timer);
    ErrorOr<Thread*> create(const char* name, Thread::Entry entry, void* arg, size_t stack_size,
                            bool detached);
    void free_thread(Thread* t);
    void reap_zombies();

    const Hooks* hooks_ = nullptr;
    unsigned cpu_ = 0;
    Thread* current_ = nullptr;
    Thread* previous_ = nullptr;
    Spinlock run_lock_;
    Thread* run_head_ = nullptr;
    Thread* run_tail_ = nullptr;
    size_t runnable_ = 0;
    uint64_t switches_ = 0;
    Thread* zombies_ = nullptr;  // under run_lock_
    size_t zombies_count_ = 0;
};

// The scheduler of the calling vCPU (the kernel reads it from per-CPU data).
Scheduler& this_scheduler();

// RAII event mask through the scheduler's hooks.
class EventsMasked {
public:
    explicit EventsMasked(const Hooks& hooks) : hooks_(hooks), was_(hooks.mask_events()) {}
    ~EventsMasked() { hooks_.restore_events(was_); }

private:
    const Hooks& hooks_;
    bool was_;
};

}  // namespace torpor::sched
