/* torpor cxx-compat: the host libstdc++ (configured for glibc) includes
   <features.h> from bits/os_defines.h; newlib only has <sys/features.h>. */
#ifndef _TORPOR_CXX_COMPAT_FEATURES_H
#define _TORPOR_CXX_COMPAT_FEATURES_H
#include <sys/features.h>
#ifndef __GLIBC_PREREQ
#define __GLIBC_PREREQ(maj, min) 0
#endif
#endif
