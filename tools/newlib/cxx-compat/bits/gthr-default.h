/* torpor cxx-compat: single-threaded gthreads instead of POSIX threads. */
#include <bits/gthr-single.h>
