// A cooperative kernel thread. Threads run on one vCPU's scheduler until they
// block, yield or exit; event upcalls interrupt them but never switch threads.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "kernel/sched/wait_queue.h"
#include "kernel/sync/completion.h"
#include "kernel/time/timer_queue.h"

namespace torpor::sched {

class Scheduler;

enum class ThreadState : uint8_t { runnable, running, blocked, exited };
enum class WakeReason : uint8_t { none, woken, timed_out };

const char* thread_state_name(ThreadState state);

struct Thread {
    using Entry = void (*)(void* arg);

    const char* name = "";
    ThreadState state = ThreadState::runnable;
    Entry entry = nullptr;
    void* arg = nullptr;

    uintptr_t saved_sp = 0;          // the arch context switch keeps the stack pointer here
    void* platform = nullptr;        // host tests keep their ucontext here
    void* libc_state = nullptr;      // the kernel's newlib per-thread state (libc_reent.h)
    void* stack = nullptr;
    size_t stack_size = 0;

    Scheduler* scheduler = nullptr;  // the vCPU it runs on
    Thread* next = nullptr;          // run-queue or wait-queue link
    WaitQueue* waiting_on = nullptr;
    WakeReason wake_reason = WakeReason::none;
    Timer timeout;                   // wakes it from a bounded wait or a sleep
    // Joining takes both: `exited` is completed by the thread itself as it
    // exits (so a joiner on its own vCPU can run and switch away from it),
    // `reaped` by its vCPU once it has switched away, when the stack is free.
    Completion exited;
    Completion reaped;
    bool is_boot_thread = false;     // runs on the boot stack: never freed
    bool detached = false;           // nobody joins it: its scheduler frees it
};

}  // namespace torpor::sched
