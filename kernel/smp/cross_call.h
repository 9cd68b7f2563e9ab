// A function to run on another vCPU, and the per-vCPU queue its IPI handler
// drains. Pure logic (host-tested); kernel/smp/smp.cpp adds the IPI.
#pragma once
#include "kernel/sync/completion.h"
#include "base/spinlock.h"

namespace torpor::smp {

struct CrossCall {
    void (*fn)(void*) = nullptr;
    void* arg = nullptr;
    // Completed by the target once fn has returned; from then on the target
    // never touches the call, so its owner may free or reuse it after
    // done.wait() (kernel/sync/completion.h).
    Completion done;
    CrossCall* next = nullptr;  // queue link
};

class CrossCallQueue {
public:
    // Queues `call` (re-arming its `done`): it must not be queued or running.
    void push(CrossCall* call);
    // Takes `call` back if it has not started: true means it never runs.
    bool withdraw(CrossCall* call);
    // The target vCPU's IPI handler (events masked): runs every queued call in
    // order, completing each. Returns how many ran.
    unsigned run_all();

private:
    CrossCall* pop();

    Spinlock lock_;  // taken with events masked only
    CrossCall* head_ = nullptr;
    CrossCall* tail_ = nullptr;
};

}  // namespace torpor::smp
