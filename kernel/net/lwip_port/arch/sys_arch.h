/* lwIP's operating-system interface for torpor (NO_SYS=0; lwIP includes it as
 * "arch/sys_arch.h" through lwip/sys.h). Each handle is a pointer to a kernel
 * object allocated by the matching *_new (kernel/net/lwip_port/sys_arch.cpp):
 * semaphores and mailboxes are kernel/sync's Semaphore and Mailbox, mutexes a
 * sleeping Mutex that remembers its owner (for LWIP_ASSERT_CORE_LOCKED), threads
 * are detached kernel threads on the calling vCPU, sys_now() is the monotonic
 * clock in ms, and SYS_ARCH_PROTECT is one recursive spinlock taken with events
 * masked, safe across vCPUs. */
#ifndef TORPOR_LWIP_ARCH_SYS_ARCH_H
#define TORPOR_LWIP_ARCH_SYS_ARCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct torpor_lwip_sem* sys_sem_t;
typedef struct torpor_lwip_mutex* sys_mutex_t;
typedef struct torpor_lwip_mbox* sys_mbox_t;
/* A sequence number: the threads are detached and nobody joins them. */
typedef int sys_thread_t;
/* What sys_arch_protect() hands back to sys_arch_unprotect(): the event-mask
 * state before, and whether this call took the lock (not a nested one). */
typedef uint32_t sys_prot_t;

#define SYS_MBOX_NULL NULL
#define SYS_SEM_NULL NULL

#define sys_sem_valid(sem) ((sem) != NULL && *(sem) != NULL)
#define sys_sem_set_invalid(sem) \
    do {                         \
        if ((sem) != NULL) *(sem) = NULL; \
    } while (0)
#define sys_mutex_valid(mutex) ((mutex) != NULL && *(mutex) != NULL)
#define sys_mutex_set_invalid(mutex) \
    do {                             \
        if ((mutex) != NULL) *(mutex) = NULL; \
    } while (0)
#define sys_mbox_valid(mbox) ((mbox) != NULL && *(mbox) != NULL)
#define sys_mbox_set_invalid(mbox) \
    do {                           \
        if ((mbox) != NULL) *(mbox) = NULL; \
    } while (0)

#ifdef __cplusplus
}
#endif

#endif /* TORPOR_LWIP_ARCH_SYS_ARCH_H */
