// newlib's locks (built with --enable-newlib-retargetable-locking, see
// sys/lock.h): malloc, stdio streams, atexit and friends are called from
// threads on every vCPU. A newlib lock is a recursive spinlock owned by a
// vCPU, held with event delivery masked so that an event handler on the same
// vCPU never re-enters a half-updated structure. None of them is held across
// a thread switch (newlib never blocks while holding one).
#include <sys/lock.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_base.h"
#include "base/assert.h"
#include "xen/event_mask.h"

struct __lock {
    uint32_t locked;
    uint32_t owner;
    uint32_t depth;
    bool events_were_masked;
};

namespace {

constexpr uint32_t kNoOwner = ~0u;
constexpr unsigned kDynamicLocks = 64;
__lock dynamic_locks[kDynamicLocks];
unsigned dynamic_used = 0;
__lock overflow_lock = {0, kNoOwner, 0, false};  // shared once the pool is used up

bool acquire(__lock* l, bool recursive, bool try_only) {
    bool was_masked = xen::mask_events();
    uint32_t me = arch::current_vcpu_id();
    if (recursive && __atomic_load_n(&l->owner, __ATOMIC_RELAXED) == me) {
        ++l->depth;
        return true;  // the outermost level restores the mask
    }
    while (__atomic_exchange_n(&l->locked, 1u, __ATOMIC_ACQUIRE)) {
        if (try_only) {
            if (!was_masked) xen::unmask_events();
            return false;
        }
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) arch::cpu_relax();
    }
    __atomic_store_n(&l->owner, me, __ATOMIC_RELAXED);
    l->depth = 1;
    l->events_were_masked = was_masked;
    return true;
}

void release(__lock* l) {
    // Only the vCPU that holds it may let it go.
    VERIFY(__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == arch::current_vcpu_id() &&
           l->depth > 0);
    if (--l->depth > 0) return;
    bool was_masked = l->events_were_masked;
    __atomic_store_n(&l->owner, kNoOwner, __ATOMIC_RELAXED);
    __atomic_store_n(&l->locked, 0u, __ATOMIC_RELEASE);
    if (!was_masked) xen::unmask_events();
}

__lock* new_lock() {
    unsigned i = __atomic_fetch_add(&dynamic_used, 1u, __ATOMIC_RELAXED);
    if (i >= kDynamicLocks) return &overflow_lock;
    dynamic_locks[i] = {0, kNoOwner, 0, false};
    return &dynamic_locks[i];
}

}  // namespace

extern "C" {

__lock __lock___sinit_recursive_mutex = {0, kNoOwner, 0, false};
__lock __lock___sfp_recursive_mutex = {0, kNoOwner, 0, false};
__lock __lock___atexit_recursive_mutex = {0, kNoOwner, 0, false};
__lock __lock___at_quick_exit_mutex = {0, kNoOwner, 0, false};
__lock __lock___malloc_recursive_mutex = {0, kNoOwner, 0, false};
__lock __lock___env_recursive_mutex = {0, kNoOwner, 0, false};
__lock __lock___tz_mutex = {0, kNoOwner, 0, false};
__lock __lock___dd_hash_mutex = {0, kNoOwner, 0, false};
__lock __lock___arc4random_mutex = {0, kNoOwner, 0, false};

void __retarget_lock_init(_LOCK_T* lock) { *lock = new_lock(); }
void __retarget_lock_init_recursive(_LOCK_T* lock) { *lock = new_lock(); }
void __retarget_lock_close(_LOCK_T) {}
void __retarget_lock_close_recursive(_LOCK_T) {}
void __retarget_lock_acquire(_LOCK_T lock) { acquire(lock, false, false); }
void __retarget_lock_acquire_recursive(_LOCK_T lock) { acquire(lock, true, false); }
int __retarget_lock_try_acquire(_LOCK_T lock) { return acquire(lock, false, true); }
int __retarget_lock_try_acquire_recursive(_LOCK_T lock) { return acquire(lock, true, true); }
void __retarget_lock_release(_LOCK_T lock) { release(lock); }
void __retarget_lock_release_recursive(_LOCK_T lock) { release(lock); }

}  // extern "C"
