// The xenstore wire protocol (xen/io/xs_wire.h): a 16-byte header (type, req_id,
// tx_id, len) followed by `len` payload bytes, usually NUL-terminated strings.
// Everything that comes back from dom0 is checked here before anyone uses it.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

namespace torpor::xs {

enum class MessageType : uint32_t {
    directory = 1,
    read = 2,
    watch = 4,
    unwatch = 5,
    transaction_start = 6,
    transaction_end = 7,
    write = 11,
    mkdir = 12,
    rm = 13,
    watch_event = 15,
    error = 16,
};

inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kMaxPayload = 4096;  // XENSTORE_PAYLOAD_MAX
inline constexpr size_t kMaxPathLength = 3072;  // XENSTORE_ABS_PATH_MAX

struct Header {
    uint32_t type;
    uint32_t req_id;
    uint32_t tx_id;
    uint32_t len;
};

// Encodes a request: each of `strings` is followed by a NUL; `raw_tail` (may be
// null) is appended without one (the value of an XS_WRITE). Returns the total
// size, or too_big when the payload exceeds kMaxPayload or `capacity`.
ErrorOr<size_t> encode_request(MessageType type, uint32_t req_id, uint32_t tx_id,
                               const char* const* strings, size_t string_count,
                               const char* raw_tail, size_t raw_tail_length, char* out,
                               size_t capacity);

// Reassembles one message from bytes arriving in arbitrary pieces. A header
// announcing more than kMaxPayload bytes, or an unknown message type, is a
// protocol error: the message is rejected before any payload is buffered.
class ReplyAssembler {
public:
    // Takes up to `length` bytes; stops at the end of a complete message. After
    // an error it keeps failing with that error until reset().
    ErrorOr<size_t> feed(const char* data, size_t length);
    bool is_complete() const { return have_header_ && payload_have_ == header_.len; }
    // Some bytes of a message were taken (and it is not reset since).
    bool is_started() const { return header_have_ > 0; }
    const Header& header() const { return header_; }
    // The payload, with a NUL appended after `header().len` bytes.
    const char* payload() const { return payload_; }
    void reset();

private:
    unsigned char header_bytes_[kHeaderSize];
    size_t header_have_ = 0;
    bool have_header_ = false;
    Header header_{};
    char payload_[kMaxPayload + 1];
    size_t payload_have_ = 0;
    Error failed_ = Error::none;
};

// Maps the payload of an XS_ERROR reply ("ENOENT\0") to an Error.
Error error_from_reply(const char* payload, size_t length);

// Checks that a reply's payload has the shape its type promises.
Error validate_reply(const Header& header, const char* payload);

// A parsed XS_WATCH_EVENT: both strings point into the validated payload.
struct WatchEvent {
    const char* path;
    const char* token;
};
ErrorOr<WatchEvent> parse_watch_event(const Header& header, const char* payload);

// A parsed XS_TRANSACTION_START reply: the decimal transaction id.
ErrorOr<uint32_t> parse_transaction_id(const Header& header, const char* payload);

}  // namespace torpor::xs
