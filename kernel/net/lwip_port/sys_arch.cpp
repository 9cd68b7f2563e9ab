// lwIP's operating-system layer (NO_SYS=0) on torpor's kernel services; the
// handle types are in arch/sys_arch.h. What needs no lwIP (the semaphore, the
// mailbox, the recursive protect lock) is in kernel/sync and host-tested there;
// this file only adapts lwIP's calling conventions: handles allocated by
// *_new, timeouts in ms (0 = forever) turned into monotonic deadlines, and the
// elapsed ms or SYS_ARCH_TIMEOUT handed back.
#include <lwip/err.h>
#include <lwip/sys.h>
#include <lwip/tcpip.h>

#include <new>

#include "base/log.h"
#include "base/panic.h"
#include "kernel/net/lwip_port/wait_time.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/cpu_recursive_lock.h"
#include "kernel/sync/mailbox.h"
#include "kernel/sync/mutex.h"
#include "kernel/sync/semaphore.h"
#include "kernel/time/clock.h"

using namespace torpor;

struct torpor_lwip_sem : Semaphore {
    using Semaphore::Semaphore;
};

struct torpor_lwip_mutex {
    Mutex mutex;
    sched::Thread* owner = nullptr;  // for LWIP_ASSERT_CORE_LOCKED
};

struct torpor_lwip_mbox {
    Mailbox* box;
};

namespace {

CpuRecursiveLock protect_lock;
int threads_started = 0;

uint64_t deadline_after(u32_t timeout_ms) {
    return lwip_port::deadline_after_ms(clock::monotonic_ns(), timeout_ms);
}

u32_t waited(uint64_t start_ns, Error result) {
    if (result == Error::timed_out) return SYS_ARCH_TIMEOUT;
    return lwip_port::elapsed_ms(start_ns, clock::monotonic_ns());
}

}  // namespace

extern "C" {

void sys_init(void) {}

u32_t sys_now(void) { return u32_t(clock::monotonic_ns() / 1'000'000); }

sys_prot_t sys_arch_protect(void) {
    CpuRecursiveLock::Token token = protect_lock.enter();
    return sys_prot_t((token.was_masked ? 1u : 0u) | (token.nested ? 2u : 0u));
}

void sys_arch_unprotect(sys_prot_t pval) {
    protect_lock.leave({(pval & 1u) != 0, (pval & 2u) != 0});
}

// ---- semaphores -------------------------------------------------------------

err_t sys_sem_new(sys_sem_t* sem, u8_t count) {
    *sem = new (std::nothrow) torpor_lwip_sem(count);
    return *sem ? ERR_OK : ERR_MEM;
}

void sys_sem_signal(sys_sem_t* sem) { (*sem)->signal(); }

u32_t sys_arch_sem_wait(sys_sem_t* sem, u32_t timeout_ms) {
    uint64_t start = clock::monotonic_ns();
    return waited(start, (*sem)->wait(deadline_after(timeout_ms)));
}

void sys_sem_free(sys_sem_t* sem) {
    delete *sem;
    *sem = nullptr;
}

// ---- mutexes ----------------------------------------------------------------

err_t sys_mutex_new(sys_mutex_t* mutex) {
    *mutex = new (std::nothrow) torpor_lwip_mutex;
    return *mutex ? ERR_OK : ERR_MEM;
}

void sys_mutex_lock(sys_mutex_t* mutex) {
    (*mutex)->mutex.lock();
    (*mutex)->owner = sched::this_scheduler().current();
}

void sys_mutex_unlock(sys_mutex_t* mutex) {
    (*mutex)->owner = nullptr;
    (*mutex)->mutex.unlock();
}

void sys_mutex_free(sys_mutex_t* mutex) {
    delete *mutex;
    *mutex = nullptr;
}

void torpor_lwip_assert_core_locked(void) {
    // tcpip_init() runs lwip_init() before it creates the lock, on the one
    // thread that uses lwIP at that point.
    if (!lock_tcpip_core) return;
    sched::Thread* self = sched::this_scheduler().current();
    if (lock_tcpip_core->owner != self)
        kpanic("lwIP: core called without the core lock by thread %s (held by %s)", self->name,
               lock_tcpip_core->owner ? lock_tcpip_core->owner->name : "nobody");
}

// ---- mailboxes --------------------------------------------------------------

err_t sys_mbox_new(sys_mbox_t* mbox, int size) {
    if (size <= 0) return ERR_VAL;  // lwipopts.h sets every *_MBOX_SIZE
    auto box = Mailbox::create(size_t(size));
    if (box.is_error()) return ERR_MEM;
    *mbox = new (std::nothrow) torpor_lwip_mbox{box.value()};
    if (!*mbox) {
        delete box.value();
        return ERR_MEM;
    }
    return ERR_OK;
}

void sys_mbox_post(sys_mbox_t* mbox, void* msg) { (void)(*mbox)->box->post(msg); }

err_t sys_mbox_trypost(sys_mbox_t* mbox, void* msg) {
    return (*mbox)->box->try_post(msg) == Error::none ? ERR_OK : ERR_MEM;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t* mbox, void* msg) { return sys_mbox_trypost(mbox, msg); }

u32_t sys_arch_mbox_fetch(sys_mbox_t* mbox, void** msg, u32_t timeout_ms) {
    uint64_t start = clock::monotonic_ns();
    return waited(start, (*mbox)->box->fetch(msg, deadline_after(timeout_ms)));
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t* mbox, void** msg) {
    return (*mbox)->box->try_fetch(msg) ? 0 : SYS_MBOX_EMPTY;
}

void sys_mbox_free(sys_mbox_t* mbox) {
    if (size_t left = (*mbox)->box->count())
        klog("lwIP: mailbox freed with %zu messages still queued (dropped)", left);
    delete (*mbox)->box;
    delete *mbox;
    *mbox = nullptr;
}

// ---- threads ----------------------------------------------------------------

sys_thread_t sys_thread_new(const char* name, lwip_thread_fn thread, void* arg, int stacksize,
                            int /*prio*/) {
    size_t stack = lwip_port::thread_stack_size(stacksize);
    // lwIP cannot handle a failure here (sys.h: "MUST NOT FAIL").
    if (Error e = sched::this_scheduler().spawn_detached(name, thread, arg, stack);
        e != Error::none)
        kpanic("lwIP: cannot start thread %s: %s", name, error_name(e));
    return __atomic_add_fetch(&threads_started, 1, __ATOMIC_RELAXED);
}

}  // extern "C"
