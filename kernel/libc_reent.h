// newlib's per-thread state (struct _reent: errno, strtok's position, rand's
// seed, dtoa's buffers). newlib is built with __DYNAMIC_REENT__, so every use
// goes through __getreent(), which returns the running thread's own struct.
// stdin/stdout/stderr are global (--enable-newlib-global-stdio-streams): one
// stdout for every thread, as before, with newlib's stream locks.
//
// vCPU 0's boot thread uses newlib's static one (_impure_ptr); so does any
// code that runs before the scheduler, and a thread without its own. An event
// handler runs on the interrupted thread and shares its state: errno set in a
// handler is seen by that thread, as with a signal handler in POSIX.
#pragma once
#include "base/error.h"

namespace torpor::libc {

// A fresh struct _reent for a new thread (null when out of memory).
void* create_thread_state();
// Frees it and what newlib allocated through it.
void destroy_thread_state(void* state);

// Boot self-test: errno set in another thread does not change this one's.
// Logs "libc: errno is per thread" or what went wrong.
Error self_test();

}  // namespace torpor::libc
