// The demo's HTTP responses (pure: host-tested): GET / answers a small text
// page with the uptime, how many suspends the application has heard of and
// the last downtime; every other outcome a one-line text body. HTTP/1.0, one
// response per connection (Connection: close).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "apps/demo/http_request.h"

namespace torpor::demo::http {

struct Status {
    uint64_t uptime_ns;         // the monotonic clock (it includes time suspended)
    unsigned suspends;          // the kernel's number of the last suspend heard of (0: none)
    bool resumed;               // a resume was heard of: the two below are set
    bool last_cancelled;        // the last resume was in the same domain
    uint64_t last_downtime_ns;
    uint64_t echo_connections;  // served by the echo server so far
    uint64_t http_requests;     // answered by the HTTP server so far (this one included)
};

// The body of the page for GET /; its length, or 0 if `capacity` is too small.
size_t format_status_page(const Status& status, char* out, size_t capacity);

// Status line, headers (Content-Type, Content-Length, Connection: close) and
// body for `outcome` (not `incomplete`: that is answered as a bad request);
// its length, or 0 if `capacity` is too small.
size_t format_response(Outcome outcome, const Status& status, char* out, size_t capacity);

// The status code sent for `outcome`.
int status_code(Outcome outcome);

}  // namespace torpor::demo::http
