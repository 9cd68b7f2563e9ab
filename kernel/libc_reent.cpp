#include "kernel/libc_reent.h"

#include <errno.h>
#include <reent.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "kernel/cpu_local.h"
#include "kernel/sched/scheduler.h"

namespace torpor::libc {

void* create_thread_state() {
    auto* r = static_cast<struct _reent*>(malloc(sizeof(struct _reent)));
    if (!r) return nullptr;
    memset(r, 0, sizeof(*r));
    _REENT_INIT_PTR(r);
    return r;
}

void destroy_thread_state(void* state) {
    if (!state) return;
    auto* r = static_cast<struct _reent*>(state);
    _reclaim_reent(r);
    free(r);
}

Error self_test() {
    int seen_there = 0;
    errno = 0;
    auto* other = TRY(sched::this_scheduler().spawn(
        "errno-check",
        [](void* seen) {
            errno = EDOM;
            *static_cast<int*>(seen) = errno;
        },
        &seen_there));
    errno = ERANGE;
    TRY(sched::this_scheduler().join(other));  // runs it to the end meanwhile
    int seen_here = errno;
    if (seen_here != ERANGE || seen_there != EDOM) {
        klog("libc: errno is NOT per thread (here %d, want %d; there %d, want %d)", seen_here,
             ERANGE, seen_there, EDOM);
        return Error::protocol_error;
    }
    klog("libc: errno is per thread");
    return Error::none;
}

}  // namespace torpor::libc

// Called for every _REENT in newlib and in code that includes its headers.
extern "C" struct _reent* __getreent() {
    using namespace torpor;
    if (!cpu_local_ready()) return _impure_ptr;
    sched::Thread* t = this_cpu().scheduler.current();
    if (t && t->libc_state) return static_cast<struct _reent*>(t->libc_state);
    return _impure_ptr;
}
