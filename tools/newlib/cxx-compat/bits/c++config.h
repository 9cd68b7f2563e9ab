/* torpor cxx-compat: the host libstdc++ config describes glibc/Linux.
   Switch off what newlib + a kernel cannot back. */
#include_next <bits/c++config.h>
#undef _GLIBCXX_HAVE_LINUX_FUTEX      /* atomic wait/notify -> <syscall.h> */
#undef _GLIBCXX_HAS_GTHREADS          /* std::mutex/thread -> pthreads */
#undef _GLIBCXX_USE_C99_MATH_TR1      /* newlib lacks most long double libm (acoshl...) */
#undef _GLIBCXX_HAVE_TIMESPEC_GET     /* not in newlib 3.3.0 */
