#include "apps/demo/http_request.h"

#include <string.h>

namespace torpor::demo::http {

namespace {

constexpr size_t kMaxMethodBytes = 16;

bool is_text(unsigned char c) { return c == '\t' || (c >= 0x20 && c < 0x7f); }

struct RequestLine {
    bool valid;
    bool is_get;
    bool root;
};

// METHOD SP TARGET SP HTTP/1.<digit>, nothing else (the line has no CR/LF).
RequestLine parse_request_line(const char* line, size_t length) {
    RequestLine bad{false, false, false};
    size_t i = 0;
    while (i < length && line[i] >= 'A' && line[i] <= 'Z') ++i;
    size_t method_length = i;
    if (method_length == 0 || method_length > kMaxMethodBytes || i == length || line[i] != ' ')
        return bad;
    size_t target = ++i;
    while (i < length && line[i] != ' ' && line[i] != '\t') ++i;
    size_t target_length = i - target;
    if (target_length == 0 || line[target] != '/' || i == length || line[i] != ' ') return bad;
    ++i;
    static const char kVersion[] = "HTTP/1.";
    constexpr size_t kPrefix = sizeof(kVersion) - 1;
    if (length - i != kPrefix + 1 || memcmp(line + i, kVersion, kPrefix) != 0 ||
        line[i + kPrefix] < '0' || line[i + kPrefix] > '9')
        return bad;
    return {true, method_length == 3 && memcmp(line, "GET", 3) == 0,
            target_length == 1};
}

// NAME ":" VALUE with a non-empty name free of spaces.
bool valid_header_line(const char* line, size_t length) {
    const void* colon = memchr(line, ':', length);
    if (!colon) return false;
    size_t name_length = size_t(static_cast<const char*>(colon) - line);
    if (name_length == 0) return false;
    for (size_t i = 0; i < name_length; ++i)
        if (line[i] == ' ' || line[i] == '\t') return false;
    return true;
}

}  // namespace

Outcome classify_request(const char* data, size_t length) {
    size_t n = length < kMaxRequestBytes ? length : kMaxRequestBytes;
    size_t line_start = 0;
    bool have_request_line = false;
    RequestLine request{false, false, false};
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = static_cast<unsigned char>(data[i]);
        if (c == '\n') return Outcome::bad_request;  // a bare LF
        if (c != '\r') {
            if (!is_text(c)) return Outcome::bad_request;
            continue;
        }
        if (i + 1 == n) break;                                  // the LF may follow
        if (data[i + 1] != '\n') return Outcome::bad_request;  // a bare CR
        const char* line = data + line_start;
        size_t line_length = i - line_start;
        if (!have_request_line) {
            request = parse_request_line(line, line_length);
            if (!request.valid) return Outcome::bad_request;
            have_request_line = true;
        } else if (line_length == 0) {  // the empty line: end of the head
            if (!request.is_get) return Outcome::not_implemented;
            return request.root ? Outcome::status_page : Outcome::not_found;
        } else if (!valid_header_line(line, line_length)) {
            return Outcome::bad_request;
        }
        ++i;  // past the LF
        line_start = i + 1;
    }
    return length >= kMaxRequestBytes ? Outcome::too_large : Outcome::incomplete;
}

const char* outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::incomplete: return "incomplete";
        case Outcome::status_page: return "status page";
        case Outcome::not_found: return "not found";
        case Outcome::not_implemented: return "not implemented";
        case Outcome::bad_request: return "bad request";
        case Outcome::too_large: return "too large";
    }
    return "?";
}

}  // namespace torpor::demo::http
