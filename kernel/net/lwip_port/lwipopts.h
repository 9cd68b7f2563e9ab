/* lwIP 2.1.3's configuration for torpor (lwIP includes it as "lwipopts.h" from
 * lwip/opt.h). Threaded mode as the issue asks: NO_SYS=0 with the tcpip thread,
 * core locking (any thread may call the raw API with the core lock held, and
 * the netconn/socket API takes it itself), IPv4 with ARP, ICMP, UDP, TCP and
 * the DHCP client, and the BSD socket API for applications.
 *
 * The library is built once by tools/lwip/build-lwip.sh against this file and
 * arch/{cc,sys_arch}.h; the cache key hashes them, so a change here rebuilds
 * it. Everything lwIP and the kernel both see must come from these headers. */
#ifndef TORPOR_LWIPOPTS_H
#define TORPOR_LWIPOPTS_H

/* ---- the operating system ------------------------------------------------ */
#define NO_SYS 0
#define SYS_LIGHTWEIGHT_PROT 1           /* SYS_ARCH_PROTECT: a cross-vCPU lock */
#define LWIP_TCPIP_CORE_LOCKING 1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0  /* drivers hand frames to tcpip_input() */
#ifdef __cplusplus
extern "C"
#endif
void torpor_lwip_assert_core_locked(void);  /* sys_arch.cpp */
#define LWIP_ASSERT_CORE_LOCKED() torpor_lwip_assert_core_locked()
#define LWIP_NETCONN_SEM_PER_THREAD 0
#define TCPIP_THREAD_NAME "lwip-tcpip"
#define TCPIP_THREAD_STACKSIZE (64 * 1024)
#define TCPIP_THREAD_PRIO 0              /* threads have no priorities */
#define DEFAULT_THREAD_STACKSIZE (64 * 1024)
/* Mailbox sizes: sys_mbox_new() rejects a size of 0, so every one is set. */
#define TCPIP_MBOX_SIZE 256
#define DEFAULT_RAW_RECVMBOX_SIZE 32
#define DEFAULT_UDP_RECVMBOX_SIZE 64
#define DEFAULT_TCP_RECVMBOX_SIZE 64
#define DEFAULT_ACCEPTMBOX_SIZE 32

/* ---- memory: lwIP's heap is newlib's malloc, its pools static ------------ */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 8
#define MEMP_NUM_PBUF 64
#define MEMP_NUM_UDP_PCB 8
#define MEMP_NUM_TCP_PCB 64
#define MEMP_NUM_TCP_PCB_LISTEN 8
#define MEMP_NUM_TCP_SEG 256
#define MEMP_NUM_REASSDATA 8
#define MEMP_NUM_FRAG_PBUF 16
#define MEMP_NUM_ARP_QUEUE 32
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)
/* newlib's <sys/select.h> defines fd_set with FD_SETSIZE 64: lwIP uses it and
 * needs MEMP_NUM_NETCONN + LWIP_SOCKET_OFFSET to fit. */
#define MEMP_NUM_NETCONN 60
#define MEMP_NUM_NETBUF 32
#define MEMP_NUM_TCPIP_MSG_API 64
#define MEMP_NUM_TCPIP_MSG_INPKT 256
#define PBUF_POOL_SIZE 256
/* The netfront copies each frame into one pool pbuf (rx) and TCP builds
 * single-pbuf segments (tx: one grant per frame). */
#define PBUF_POOL_BUFSIZE 1536
#define LWIP_NETIF_TX_SINGLE_PBUF 1

/* ---- protocols ------------------------------------------------------------ */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define ARP_TABLE_SIZE 32
#define ARP_QUEUEING 1
#define ETHARP_SUPPORT_VLAN 0
#define ETH_PAD_SIZE 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
/* No ARP probe of the offered address: it would add half a second per lease. */
#define DHCP_DOES_ARP_CHECK 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_BROADCAST_PING 0

#define TCP_MSS 1460
#define TCP_WND (16 * TCP_MSS)
#define TCP_SND_BUF (16 * TCP_MSS)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF) / TCP_MSS)
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_TCP_TIMESTAMPS 0
#define SO_REUSE 1

/* ---- network interfaces --------------------------------------------------- */
#define LWIP_SINGLE_NETIF 0
#define LWIP_NETIF_API 1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_HOSTNAME 1
/* 127.0.0.1 (lwIP's loop netif, added by lwip_init) and traffic to the
 * guest's own addresses: the demo's self-test talks to its servers over it
 * with no vif at all. Looped frames are fed back through the tcpip thread. */
#define LWIP_HAVE_LOOPIF 1
#define LWIP_NETIF_LOOPBACK 1

/* ---- the sequential APIs -------------------------------------------------- */
#define LWIP_NETCONN 1
#define LWIP_SOCKET 1
/* socket(), bind(), ... as macros for lwip_socket(), ...; not read()/write()/
 * close(), which would clash with newlib's <unistd.h>. */
#define LWIP_COMPAT_SOCKETS 1
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_OFFSET 0
#define LWIP_SOCKET_SELECT 1
#define LWIP_SOCKET_POLL 1
#define LWIP_SO_RCVTIMEO 1
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_RCVBUF 0
#define LWIP_TIMEVAL_PRIVATE 0             /* struct timeval comes from newlib */
#define LWIP_ERRNO_STDINCLUDE 1            /* errno: newlib's, per thread */

/* ---- checks and statistics ------------------------------------------------ */
#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0
/* LWIP_ASSERT stays on (no LWIP_NOASSERT): a failed one is a kernel panic. */

#endif /* TORPOR_LWIPOPTS_H */
