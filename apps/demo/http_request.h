// What an HTTP/1.0 request asks for, decided from the bytes received so far on
// one connection (pure: no sockets; host-tested with hostile inputs). One
// request per connection; the head must end with an empty line (CRLF CRLF)
// within kMaxRequestBytes. The request line is METHOD SP TARGET SP HTTP/1.x;
// header lines are printable ASCII (tab allowed) with a colon, and are ignored.
#pragma once
#include <stddef.h>

namespace torpor::demo::http {

constexpr size_t kMaxRequestBytes = 1024;

enum class Outcome {
    incomplete,       // no verdict yet: read more (unless the peer is done)
    status_page,      // GET /                               -> 200
    not_found,        // GET of any other target              -> 404
    not_implemented,  // a well-formed method other than GET  -> 501
    bad_request,      // malformed: bare CR or LF, control or non-ASCII bytes,
                      // a bad request line or header line     -> 400
    too_large,        // no end of head within kMaxRequestBytes -> 400
};

// Bytes beyond kMaxRequestBytes are never looked at.
Outcome classify_request(const char* data, size_t length);

const char* outcome_name(Outcome outcome);

}  // namespace torpor::demo::http
