#include "apps/demo/socket_io.h"

#include <lwip/sockets.h>
#include <stdio.h>

namespace torpor::demo::sockio {

namespace {

bool set_timeout(int fd, int option, uint64_t ms) {
    struct timeval tv;
    tv.tv_sec = time_t(ms / 1000);
    tv.tv_usec = suseconds_t((ms % 1000) * 1000);
    return lwip_setsockopt(fd, SOL_SOCKET, option, &tv, sizeof(tv)) == 0;
}

}  // namespace

bool set_timeouts(int fd, uint64_t receive_ms, uint64_t send_ms) {
    return set_timeout(fd, SO_RCVTIMEO, receive_ms) && set_timeout(fd, SO_SNDTIMEO, send_ms);
}

bool send_all(int fd, const void* data, size_t length) {
    auto* p = static_cast<const char*>(data);
    while (length > 0) {
        ssize_t n = lwip_send(fd, p, length, 0);
        if (n <= 0) return false;
        p += n;
        length -= size_t(n);
    }
    return true;
}

bool receive_exactly(int fd, void* data, size_t length) {
    auto* p = static_cast<char*>(data);
    while (length > 0) {
        ssize_t n = lwip_recv(fd, p, length, 0);
        if (n <= 0) return false;
        p += n;
        length -= size_t(n);
    }
    return true;
}

bool receive_until_closed(int fd, char* data, size_t capacity, size_t* received) {
    *received = 0;
    while (*received < capacity) {
        ssize_t n = lwip_recv(fd, data + *received, capacity - *received, 0);
        if (n == 0) return true;
        if (n < 0) return false;
        *received += size_t(n);
    }
    return false;
}

void format_peer(uint32_t address, uint16_t port, char* out, size_t capacity) {
    uint32_t a = lwip_ntohl(address);
    snprintf(out, capacity, "%u.%u.%u.%u:%u", unsigned(a >> 24), unsigned((a >> 16) & 0xff),
             unsigned((a >> 8) & 0xff), unsigned(a & 0xff), unsigned(lwip_ntohs(port)));
}

}  // namespace torpor::demo::sockio
