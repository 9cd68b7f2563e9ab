/* lwIP's compiler/platform header for torpor (lwIP includes it as "arch/cc.h"
 * through lwip/arch.h). C and C++: lwIP itself is C, built freestanding on
 * newlib by tools/lwip/build-lwip.sh with this directory on its include path;
 * the kernel's C++ includes the same file. What the macros call is defined in
 * kernel/net/lwip_port/lwip_platform.cpp. */
#ifndef TORPOR_LWIP_ARCH_CC_H
#define TORPOR_LWIP_ARCH_CC_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
/* struct timeval from newlib (lwipopts.h: LWIP_TIMEVAL_PRIVATE 0). */
#include <sys/time.h>

/* newlib's ssize_t is a long; lwIP would typedef its own (int) unless it
 * sees SSIZE_MAX, and needs nothing else from <unistd.h>. */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif
#define LWIP_NO_UNISTD_H 1

#ifdef __cplusplus
extern "C" {
#endif

/* One kernel log line per LWIP_PLATFORM_DIAG (lwIP's debug output). */
void torpor_lwip_diag(const char* format, ...) __attribute__((format(printf, 1, 2)));
/* A failed LWIP_ASSERT: a kernel panic naming lwIP's message, file and line. */
void torpor_lwip_assert_failed(const char* message, const char* file, int line)
    __attribute__((noreturn));
/* TCP initial sequence numbers, DHCP transaction ids, ephemeral ports: not
 * cryptographic (see lwip_platform.cpp). */
uint32_t torpor_lwip_rand(void);

#ifdef __cplusplus
}
#endif

#define LWIP_PLATFORM_DIAG(x) \
    do {                      \
        torpor_lwip_diag x;   \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x) torpor_lwip_assert_failed((x), __FILE__, __LINE__)
#define LWIP_RAND() torpor_lwip_rand()

#endif /* TORPOR_LWIP_ARCH_CC_H */
