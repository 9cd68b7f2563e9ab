// Small helpers over lwIP's BSD sockets for the demo's servers and self-test:
// every blocking call they make is bounded by the socket's timeouts.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace torpor::demo::sockio {

// SO_RCVTIMEO / SO_SNDTIMEO in milliseconds (0: no timeout). False on error.
bool set_timeouts(int fd, uint64_t receive_ms, uint64_t send_ms);
// Sends all `length` bytes; false on an error or the send timeout.
bool send_all(int fd, const void* data, size_t length);
// Receives exactly `length` bytes; false on an error, end of stream or timeout.
bool receive_exactly(int fd, void* data, size_t length);
// Receives until the peer closes (true) or `capacity` bytes, an error or the
// receive timeout (false); *received says how much arrived either way.
bool receive_until_closed(int fd, char* data, size_t capacity, size_t* received);
// "a.b.c.d:port" of an IPv4 address and port in network byte order.
void format_peer(uint32_t address, uint16_t port, char* out, size_t capacity);

}  // namespace torpor::demo::sockio
