// newlib's system-call layer (built with --disable-newlib-supplied-syscalls):
// stdout/stderr go to the console, the heap grows through memory::grow_heap(), time
// comes from Xen; everything a unikernel has no use for fails with an errno.
#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "base/log.h"
#include "kernel/memory.h"
#include "kernel/time/clock.h"
#include "xen/domain_shutdown.h"

extern "C" {

int _write(int fd, const char* buf, int len) {
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    if (len < 0) {
        errno = EINVAL;
        return -1;
    }
    torpor::log_write(buf, size_t(len));
    return len;
}

int _read(int fd, char*, int) {
    errno = fd == 0 ? EAGAIN : EBADF;
    return -1;
}

void* _sbrk(ptrdiff_t increment) {
    auto old = torpor::memory::grow_heap(increment);
    if (old.is_error()) {
        errno = ENOMEM;
        return reinterpret_cast<void*>(-1);
    }
    return reinterpret_cast<void*>(old.value());
}

int _close(int) {
    errno = EBADF;
    return -1;
}

int _fstat(int fd, struct stat* st) {
    if (fd < 0 || fd > 2) {
        errno = EBADF;
        return -1;
    }
    st->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int fd) { return fd >= 0 && fd <= 2; }

off_t _lseek(int, off_t, int) {
    errno = ESPIPE;
    return -1;
}

int _open(const char*, int, ...) {
    errno = ENOENT;
    return -1;
}

int _stat(const char*, struct stat*) {
    errno = ENOENT;
    return -1;
}

int _unlink(const char*) {
    errno = ENOENT;
    return -1;
}

int _link(const char*, const char*) {
    errno = EMLINK;
    return -1;
}

int _getpid() { return 1; }

int _kill(int, int) {
    errno = EINVAL;
    return -1;
}

int _fork() {
    errno = ENOSYS;
    return -1;
}

int _execve(const char*, char* const*, char* const*) {
    errno = ENOSYS;
    return -1;
}

int _wait(int*) {
    errno = ECHILD;
    return -1;
}

clock_t _times(struct tms* t) {
    clock_t ticks = clock_t(torpor::clock::xen_system_time_ns() / (1000000000ull / CLOCKS_PER_SEC));
    if (t) {
        t->tms_utime = ticks;
        t->tms_stime = t->tms_cutime = t->tms_cstime = 0;
    }
    return ticks;
}

int _gettimeofday(struct timeval* tv, void*) {
    uint64_t ns = torpor::clock::wall_clock_ns();
    tv->tv_sec = time_t(ns / 1000000000ull);
    tv->tv_usec = suseconds_t((ns % 1000000000ull) / 1000);
    return 0;
}

void _exit(int status) {
    torpor::klog("torpor: application exited with status %d", status);
    xen::shutdown_domain(status == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash);
}

}  // extern "C"
