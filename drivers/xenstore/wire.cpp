#include "drivers/xenstore/wire.h"

#include <string.h>

namespace torpor::xs {

namespace {

bool is_known_reply_type(uint32_t type) {
    switch (static_cast<MessageType>(type)) {
        case MessageType::directory:
        case MessageType::read:
        case MessageType::watch:
        case MessageType::unwatch:
        case MessageType::transaction_start:
        case MessageType::transaction_end:
        case MessageType::write:
        case MessageType::mkdir:
        case MessageType::rm:
        case MessageType::watch_event:
        case MessageType::error:
            return true;
    }
    return false;
}

uint32_t load_u32(const unsigned char* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

void store_u32(char* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = char((v >> (8 * i)) & 0xff);
}

// Counts NUL-terminated strings filling payload[0, length) exactly.
ErrorOr<size_t> count_strings(const char* payload, size_t length) {
    if (length == 0) return size_t(0);
    if (payload[length - 1] != '\0') return Error::protocol_error;
    size_t count = 0;
    for (size_t i = 0; i < length; ++i)
        if (payload[i] == '\0') ++count;
    return count;
}

}  // namespace

ErrorOr<size_t> encode_request(MessageType type, uint32_t req_id, uint32_t tx_id,
                               const char* const* strings, size_t string_count,
                               const char* raw_tail, size_t raw_tail_length, char* out,
                               size_t capacity) {
    size_t payload = raw_tail_length;
    for (size_t i = 0; i < string_count; ++i) {
        size_t n = strlen(strings[i]);
        if (n > kMaxPathLength) return Error::too_big;
        payload += n + 1;
    }
    if (payload > kMaxPayload || kHeaderSize + payload > capacity) return Error::too_big;
    store_u32(out, uint32_t(type));
    store_u32(out + 4, req_id);
    store_u32(out + 8, tx_id);
    store_u32(out + 12, uint32_t(payload));
    char* p = out + kHeaderSize;
    for (size_t i = 0; i < string_count; ++i) {
        size_t n = strlen(strings[i]);
        memcpy(p, strings[i], n + 1);
        p += n + 1;
    }
    if (raw_tail_length) memcpy(p, raw_tail, raw_tail_length);
    return kHeaderSize + payload;
}

void ReplyAssembler::reset() {
    header_have_ = 0;
    have_header_ = false;
    payload_have_ = 0;
    header_ = {};
    failed_ = Error::none;
}

ErrorOr<size_t> ReplyAssembler::feed(const char* data, size_t length) {
    if (failed_ != Error::none) return failed_;
    size_t used = 0;
    while (used < length && !have_header_) {
        header_bytes_[header_have_++] = static_cast<unsigned char>(data[used++]);
        if (header_have_ == kHeaderSize) {
            header_.type = load_u32(header_bytes_);
            header_.req_id = load_u32(header_bytes_ + 4);
            header_.tx_id = load_u32(header_bytes_ + 8);
            header_.len = load_u32(header_bytes_ + 12);
            if (header_.len > kMaxPayload) return failed_ = Error::too_big;
            if (!is_known_reply_type(header_.type)) return failed_ = Error::protocol_error;
            have_header_ = true;
        }
    }
    if (have_header_) {
        size_t wanted = header_.len - payload_have_;
        size_t take = length - used < wanted ? length - used : wanted;
        memcpy(payload_ + payload_have_, data + used, take);
        payload_have_ += take;
        used += take;
        payload_[payload_have_] = '\0';
    }
    return used;
}

Error error_from_reply(const char* payload, size_t length) {
    // The daemon sends the errno name NUL-terminated (xsd_errors in xs_wire.h).
    if (length == 0 || payload[length - 1] != '\0') return Error::protocol_error;
    struct Mapping {
        const char* name;
        Error error;
    };
    static const Mapping mappings[] = {
        {"ENOENT", Error::not_found},      {"EACCES", Error::permission_denied},
        {"EPERM", Error::permission_denied}, {"EEXIST", Error::already_exists},
        {"EAGAIN", Error::try_again},      {"EBUSY", Error::busy},
        {"EINVAL", Error::invalid_argument}, {"ENOMEM", Error::out_of_memory},
        {"ENOSPC", Error::out_of_memory},  {"E2BIG", Error::too_big},
        {"ENOSYS", Error::not_supported},
    };
    for (const auto& m : mappings)
        if (strcmp(payload, m.name) == 0) return m.error;
    return Error::remote_error;
}

Error validate_reply(const Header& header, const char* payload) {
    switch (static_cast<MessageType>(header.type)) {
        case MessageType::read:
            return Error::none;  // any bytes: a value is not NUL-terminated
        case MessageType::write:
        case MessageType::mkdir:
        case MessageType::rm:
        case MessageType::watch:
        case MessageType::unwatch:
        case MessageType::transaction_end:
            return header.len == 3 && memcmp(payload, "OK", 3) == 0 ? Error::none
                                                                     : Error::protocol_error;
        case MessageType::directory: {
            auto n = count_strings(payload, header.len);
            return n.is_error() ? n.error() : Error::none;
        }
        case MessageType::transaction_start: {
            auto id = parse_transaction_id(header, payload);
            return id.is_error() ? id.error() : Error::none;
        }
        case MessageType::watch_event: {
            auto event = parse_watch_event(header, payload);
            return event.is_error() ? event.error() : Error::none;
        }
        case MessageType::error: {
            auto n = count_strings(payload, header.len);
            return n.is_error() || n.value() != 1 ? Error::protocol_error : Error::none;
        }
    }
    return Error::protocol_error;
}

ErrorOr<WatchEvent> parse_watch_event(const Header& header, const char* payload) {
    if (header.type != uint32_t(MessageType::watch_event)) return Error::protocol_error;
    auto n = count_strings(payload, header.len);
    if (n.is_error() || n.value() < 2) return Error::protocol_error;
    const char* path = payload;
    const char* token = payload + strlen(path) + 1;
    if (*path == '\0') return Error::protocol_error;
    return WatchEvent{path, token};
}

ErrorOr<uint32_t> parse_transaction_id(const Header& header, const char* payload) {
    if (header.len < 2 || header.len > 11 || payload[header.len - 1] != '\0')
        return Error::protocol_error;
    uint64_t id = 0;
    for (size_t i = 0; i + 1 < header.len; ++i) {
        if (payload[i] < '0' || payload[i] > '9') return Error::protocol_error;
        id = id * 10 + uint64_t(payload[i] - '0');
        if (id > 0xffffffffu) return Error::protocol_error;
    }
    if (id == 0) return Error::protocol_error;  // 0 means "no transaction"
    return uint32_t(id);
}

}  // namespace torpor::xs
