// The demo's network services, on lwIP's BSD sockets: TCP echo on port 7
// (RFC 862) and HTTP/1.0 on port 80 (GET / answers the status page of
// apps/demo/status_page.h, any other target 404, a bad or oversized request
// 400; one request per connection). Both listen on INADDR_ANY, so they serve
// on every interface that comes up, the loopback one at once and a vif
// whenever it appears (also one hot-plugged later).
//
// Each server has an accept thread; each accepted connection gets its own
// thread (spread over the online vCPUs), up to a limit per server (beyond it
// the connection is closed at once and counted as refused). Every blocking
// call on a connection is bounded: echo closes a connection idle for 120 s,
// HTTP allows 10 s for the whole request head, and sends time out after 30 s;
// a peer's error ends only its own connection.
#pragma once
#include <stdint.h>

#include "base/error.h"

namespace torpor::demo {

constexpr uint16_t kEchoPort = 7;
constexpr uint16_t kHttpPort = 80;

// Starts lwIP (net::start_stack), both servers and their suspend bookkeeping.
// Prints "net: echo listening on port 7" and "net: http listening on port
// 80", or one line saying why a server could not start (the other still
// runs). An error if either did not start.
Error start_net_servers();

struct NetCounters {
    uint64_t echo_connections;  // accepted and served
    uint64_t http_requests;     // answered
    uint64_t refused;           // closed at once: the server was at its limit
};
NetCounters net_counters();

}  // namespace torpor::demo
