// Invariant checks that stop the kernel with a reason instead of carrying on
// with corrupt state.
//
//   VERIFY(cond)  always checked, in every build: for invariants whose failure
//                 would corrupt memory or another domain's view of us (scheduler
//                 state, lock ownership, ring bookkeeping).
//   ASSERT(cond)  checked unless the build defines TORPOR_NO_ASSERTS (CMake
//                 option TORPOR_ASSERTS=OFF), for checks too costly or too
//                 paranoid for a release image. Compiled out, the condition is
//                 still type-checked but never evaluated: it must have no side
//                 effects. The default build keeps them on.
//
// A failure calls verify_failed() (base/panic.cpp): a panic naming the
// condition, file, line and function, with the vCPU, thread and backtrace
// every panic reports.
#pragma once

namespace torpor {

[[noreturn]] void verify_failed(const char* kind, const char* condition, const char* file,
                                int line, const char* function);

}  // namespace torpor

#define VERIFY(cond)                                                                   \
    (__builtin_expect(!!(cond), 1)                                                     \
         ? (void)0                                                                     \
         : ::torpor::verify_failed("VERIFY", #cond, __FILE__, __LINE__, __func__))

#ifdef TORPOR_NO_ASSERTS
#define ASSERT(cond) ((void)sizeof(!(cond)))
#else
#define ASSERT(cond)                                                                   \
    (__builtin_expect(!!(cond), 1)                                                     \
         ? (void)0                                                                     \
         : ::torpor::verify_failed("ASSERT", #cond, __FILE__, __LINE__, __func__))
#endif

// For code paths that must never be reached (a switch over every enum value).
#define VERIFY_NOT_REACHED()                                                           \
    ::torpor::verify_failed("VERIFY_NOT_REACHED", "reached", __FILE__, __LINE__, __func__)
