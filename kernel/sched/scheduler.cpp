#include "kernel/sched/scheduler.h"

#include <new>

#include "base/assert.h"

namespace torpor::sched {

const char* thread_state_name(ThreadState state) {
    switch (state) {
        case ThreadState::runnable: return "runnable";
        case ThreadState::running: return "running";
        case ThreadState::blocked: return "blocked";
        case ThreadState::exited: return "exited";
    }
    return "?";
}

void Scheduler::init(const Hooks* hooks, Thread* boot_thread, unsigned cpu) {
    hooks_ = hooks;
    cpu_ = cpu;
    boot_thread->state = ThreadState::running;
    boot_thread->scheduler = this;
    boot_thread->is_boot_thread = true;
    boot_thread->timeout.callback = on_timeout;
    boot_thread->timeout.context = boot_thread;
    current_ = boot_thread;
}

ErrorOr<Thread*> Scheduler::spawn(const char* name, Thread::Entry entry, void* arg,
                                  size_t stack_size) {
    return create(name, entry, arg, stack_size, false);
}

Error Scheduler::spawn_detached(const char* name, Thread::Entry entry, void* arg,
                                size_t stack_size) {
    auto t = create(name, entry, arg, stack_size, true);
    return t.is_error() ? t.error() : Error::none;
}

ErrorOr<Thread*> Scheduler::create(const char* name, Thread::Entry entry, void* arg,
                                   size_t stack_size, bool detached) {
    reap_zombies();
    Thread* t = new (std::nothrow) Thread;
    if (!t) return Error::out_of_memory;
    t->name = name;
    t->entry = entry;
    t->arg = arg;
    t->scheduler = this;
    t->detached = detached;
    t->timeout.callback = on_timeout;
    t->timeout.context = t;
    t->stack_size = stack_size;
    Error e = hooks_->prepare_thread(t);
    if (e != Error::none) {
        delete t;
        return e;
    }
    {
        EventsMasked masked(*hooks_);
        LockGuard guard(run_lock_);
        t->state = ThreadState::runnable;
        push_runnable(t);
    }
    if (hooks_->kick && this != &this_scheduler()) hooks_->kick(this);
    return t;
}

void Scheduler::free_thread(Thread* t) {
    VERIFY(t->state == ThreadState::exited && !t->is_boot_thread);
    hooks_->release_thread(t);
    delete t;
}

void Scheduler::reap_zombies() {
    Thread* list;
    {
        EventsMasked masked(*hooks_);
        LockGuard guard(run_lock_);
        list = zombies_;
        zombies_ = nullptr;
        zombies_count_ = 0;
    }
    while (list) {
        Thread* next = list->next;
        free_thread(list);
        list = next;
    }
}

void Scheduler::push_runnable(Thread* t) {
    VERIFY(t->state == ThreadState::runnable && t->scheduler == this);
    t->next = nullptr;
    if (run_tail_)
        run_tail_->next = t;
    else
        run_head_ = t;
    run_tail_ = t;
    ++runnable_;
}

Thread* Scheduler::pop_runnable() {
    LockGuard guard(run_lock_);
    Thread* t = run_head_;
    if (!t) return nullptr;
    run_head_ = t->next;
    if (!run_head_) run_tail_ = nullptr;
    t->next = nullptr;
    --runnable_;
    return t;
}

void Scheduler::schedule() {
    Thread* prev = current_;
    // The caller has already queued, blocked or ended it.
    VERIFY(prev->state != ThreadState::running);
    Thread* next;
    for (;;) {
        next = pop_runnable();
        if (next) break;
        // Nothing to run: block the vCPU; event upcalls (timers, I/O) wake threads.
        hooks_->idle();
    }
    // Only runnable threads of this vCPU are ever queued here.
    VERIFY(next->state == ThreadState::runnable && next->scheduler == this);
    if (next == prev) {
        prev->state = ThreadState::running;
        return;
    }
    next->state = ThreadState::running;
    previous_ = prev;
    current_ = next;
    ++switches_;
    hooks_->switch_context(prev, next);
    finish_switch();
}

void Scheduler::finish_switch() {
    Thread* prev = previous_;
    previous_ = nullptr;
    if (!prev || prev->state != ThreadState::exited) return;
    if (prev->detached) {
        // Its stack was in use until the switch; free it later, outside the scheduler.
        LockGuard guard(run_lock_);
        prev->next = zombies_;
        zombies_ = prev;
        ++zombies_count_;
        return;
    }
    prev->reaped.complete();  // its joiner may free it from here on: no touching it after
}

void Scheduler::yield() {
    EventsMasked masked(*hooks_);
    if (runnable_ == 0) return;
    {
        LockGuard guard(run_lock_);
        current_->state = ThreadState::runnable;
        push_runnable(current_);
    }
    schedule();
}

void Scheduler::sleep_until(uint64_t deadline_ns) {
    EventsMasked masked(*hooks_);
    Thread* t = current_;
    t->waiting_on = nullptr;
    t->wake_reason = WakeReason::none;
    t->state = ThreadState::blocked;
    hooks_->arm_timer(&t->timeout, deadline_ns);
    schedule();
}

void Scheduler::wake(Thread* t, WakeReason reason) {
    if (wake_deferring_kick(t, reason)) kick();
}

bool Scheduler::wake_deferring_kick(Thread* t, WakeReason reason) {
    EventsMasked masked(*hooks_);
    {
        LockGuard guard(run_lock_);
        if (t->state != ThreadState::blocked) return false;
        t->wake_reason = reason;
        t->state = ThreadState::runnable;
        push_runnable(t);
    }
    // From here on t may run (and be gone): only this scheduler is touched.
    return hooks_->kick && this != &this_scheduler();
}

void Scheduler::kick() {
    if (hooks_->kick) hooks_->kick(this);
}

void Scheduler::on_timeout(Timer* timer) {
    Thread* t = static_cast<Thread*>(timer->context);
    WaitQueue* q = t->waiting_on;
    if (q) {
        LockGuard guard(q->lock_);
        if (!q->unlink(t)) return;  // a waker got there first
        t->waiting_on = nullptr;
    }
    t->scheduler->wake(t, WakeReason::timed_out);
}

Error Scheduler::join(Thread* t) {
    if (t == current_ || t->is_boot_thread || t->detached) return Error::invalid_argument;
    // Exited first (on our own vCPU it cannot be switched away from until we
    // can run), then switched away from (on another vCPU that can be later):
    // only then is its stack free. Completions: nothing touches t after that.
    if (Error e = t->exited.wait(); e != Error::none) return e;
    if (Error e = t->reaped.wait(); e != Error::none) return e;
    free_thread(t);
    return Error::none;
}

void Scheduler::exit_current() {
    // A boot thread is its vCPU's idle context and runs on a stack nobody frees.
    VERIFY(!current_->is_boot_thread);
    hooks_->mask_events();
    current_->state = ThreadState::exited;
    current_->exited.complete();  // a joiner may be the only thread left to run
    schedule();
    __builtin_unreachable();
}

void thread_main(Thread* thread) {
    Scheduler& s = *thread->scheduler;
    s.finish_switch();
    s.hooks().restore_events(false);  // a new thread starts with events enabled
    thread->entry(thread->arg);
    s.exit_current();
}

}  // namespace torpor::sched
