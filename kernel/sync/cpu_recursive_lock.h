// A spinlock that the vCPU holding it may take again (nested), held with events
// masked on that vCPU: lwIP's SYS_ARCH_PROTECT (kernel/net/lwip_port), whose
// critical sections are short, never block and may nest.
//
// The owner is a vCPU, not a thread: with events masked and a cooperative
// scheduler nothing else runs on that vCPU until the section ends (sections
// must not block or yield), so "this vCPU holds it" is "this code holds it".
// Only the owner writes its own id into owner_, so an owner_ equal to ours is
// never stale.
#pragma once
#include <stdint.h>

#include "base/assert.h"
#include "base/spinlock.h"
#include "kernel/sched/scheduler.h"

namespace torpor {

class CpuRecursiveLock {
public:
    // What enter() hands back to leave(): the event mask before, and whether
    // this call took the lock (or was nested inside an outer one).
    struct Token {
        bool was_masked;
        bool nested;
    };

    Token enter() {
        const sched::Hooks& hooks = sched::this_scheduler().hooks();
        bool was_masked = hooks.mask_events();
        unsigned cpu = sched::this_scheduler().cpu();
        if (__atomic_load_n(&owner_, __ATOMIC_RELAXED) == cpu) {
            ++depth_;
            return {was_masked, true};
        }
        lock_.lock();
        __atomic_store_n(&owner_, cpu, __ATOMIC_RELAXED);
        depth_ = 1;
        return {was_masked, false};
    }

    void leave(Token token) {
        VERIFY(held_here() && depth_ > 0);
        --depth_;
        // Nested sections end first: the outermost one finds depth_ back at 0.
        VERIFY(token.nested == (depth_ > 0));
        if (!token.nested) {
            __atomic_store_n(&owner_, kNoOwner, __ATOMIC_RELAXED);
            lock_.unlock();
        }
        sched::this_scheduler().hooks().restore_events(token.was_masked);
    }

    bool held_here() const {
        return __atomic_load_n(&owner_, __ATOMIC_RELAXED) == sched::this_scheduler().cpu();
    }
    unsigned depth() const { return depth_; }

private:
    static constexpr unsigned kNoOwner = ~0u;
    Spinlock lock_;
    unsigned owner_ = kNoOwner;
    unsigned depth_ = 0;  // only the owner touches it
};

}  // namespace torpor
