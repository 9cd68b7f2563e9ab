#include "apps/demo/status_page.h"

#include <inttypes.h>
#include <stdio.h>

namespace torpor::demo::http {

namespace {

constexpr size_t kMaxBodyBytes = 512;

// snprintf's result as a length that fitted, or 0.
size_t fitted(int n, size_t capacity) {
    return n > 0 && size_t(n) < capacity ? size_t(n) : 0;
}

const char* reason_phrase(int code) {
    switch (code) {
        case 200: return "OK";
        case 404: return "Not Found";
        case 501: return "Not Implemented";
        default: return "Bad Request";
    }
}

}  // namespace

int status_code(Outcome outcome) {
    switch (outcome) {
        case Outcome::status_page: return 200;
        case Outcome::not_found: return 404;
        case Outcome::not_implemented: return 501;
        default: return 400;
    }
}

size_t format_status_page(const Status& s, char* out, size_t capacity) {
    char downtime[64];
    if (s.resumed)
        snprintf(downtime, sizeof(downtime), "%" PRIu64 " (%s)", s.last_downtime_ns / 1'000'000,
                 s.last_cancelled ? "cancelled, same domain" : "new domain");
    else
        snprintf(downtime, sizeof(downtime), "none");
    int n = snprintf(out, capacity,
                     "torpor demo\n"
                     "uptime_ms: %" PRIu64 "\n"
                     "suspends: %u\n"
                     "last_downtime_ms: %s\n"
                     "echo_connections: %" PRIu64 "\n"
                     "http_requests: %" PRIu64 "\n",
                     s.uptime_ns / 1'000'000, s.suspends, downtime, s.echo_connections,
                     s.http_requests);
    return fitted(n, capacity);
}

size_t format_response(Outcome outcome, const Status& status, char* out, size_t capacity) {
    int code = status_code(outcome);
    char body[kMaxBodyBytes];
    size_t body_length;
    if (code == 200) {
        body_length = format_status_page(status, body, sizeof(body));
    } else {
        const char* why = outcome == Outcome::too_large ? "request too large"
                          : outcome == Outcome::incomplete ? "incomplete request"
                                                           : reason_phrase(code);
        body_length = fitted(snprintf(body, sizeof(body), "%d %s\n", code, why), sizeof(body));
    }
    if (body_length == 0) return 0;
    int n = snprintf(out, capacity,
                     "HTTP/1.0 %d %s\r\n"
                     "Content-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n"
                     "\r\n"
                     "%.*s",
                     code, reason_phrase(code), body_length, int(body_length), body);
    return fitted(n, capacity);
}

}  // namespace torpor::demo::http
