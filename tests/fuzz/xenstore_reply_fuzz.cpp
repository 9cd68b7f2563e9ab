// libFuzzer target: arbitrary bytes from "xenstored" through the reply path the
// xenstore client uses (drivers/xenstore/wire.h): ReplyAssembler in arbitrary
// chunk sizes, then the checks and parsers for every complete message.
//
// Input: byte 0 picks the largest chunk (0: everything at once), byte 1 seeds
// the chunk sizes (1..largest, and empty feeds now and then); the rest is the
// byte stream. Every stream is also fed in one piece: chunking must not change
// which messages come out. After a rejected header the stream is dropped, as the
// client drops its pending replies (and as ReplyAssembler needs a reset()).
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memory>
#include <string>
#include <vector>

#include "drivers/xenstore/wire.h"

using torpor::Error;
using namespace torpor::xs;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

namespace {

uint32_t load_u32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// What one pass over the stream produced: every complete message, then the
// error that stopped it, if any.
struct Outcome {
    std::vector<std::string> messages;  // header bytes + payload, as the assembler saw them
    Error stopped_by = Error::none;
};

class Chunker {
public:
    Chunker(uint8_t largest, uint8_t seed) : largest_(largest), state_(0x9e3779b9u ^ seed) {}
    size_t next(size_t remaining) {
        if (largest_ == 0) return remaining;
        state_ ^= state_ << 13;
        state_ ^= state_ >> 17;
        state_ ^= state_ << 5;
        size_t size = state_ % (size_t(largest_) + 1);  // 0 now and then: an empty feed
        return size < remaining ? size : remaining;
    }

private:
    uint8_t largest_;
    uint32_t state_;
};

bool inside(const char* p, const char* begin, size_t length) {
    return p >= begin && p < begin + length;
}

// The parsers on a copy that ends exactly after the terminating NUL, so that
// AddressSanitizer sees any read past what payload() promises.
void check_parsers(const Header& header, const char* assembled) {
    const size_t len = header.len;
    std::unique_ptr<char[]> exact(new char[len + 1]);
    memcpy(exact.get(), assembled, len + 1);
    const char* payload = exact.get();

    Error shape = validate_reply(header, payload);
    CHECK(shape == Error::none || shape == Error::protocol_error);

    Error remote = error_from_reply(payload, len);
    CHECK(remote != Error::none);
    if (header.type == uint32_t(MessageType::error) && shape == Error::none)
        CHECK(remote != Error::protocol_error);  // one NUL-terminated string: mappable

    auto event = parse_watch_event(header, payload);
    if (header.type == uint32_t(MessageType::watch_event))
        CHECK(event.is_error() == (shape != Error::none));
    else
        CHECK(event.is_error());
    if (!event.is_error()) {
        const WatchEvent& e = event.value();
        CHECK(e.path == payload);
        CHECK(*e.path != '\0');
        CHECK(inside(e.token, payload, len));
        CHECK(e.token == e.path + strlen(e.path) + 1);
        CHECK(e.token + strlen(e.token) < payload + len);  // its NUL is in the payload too
    }

    auto id = parse_transaction_id(header, payload);
    if (header.type == uint32_t(MessageType::transaction_start))
        CHECK(id.is_error() == (shape != Error::none));
    if (!id.is_error()) {
        CHECK(id.value() != 0);
        CHECK(len >= 2 && payload[len - 1] == '\0');
        CHECK(strtoull(payload, nullptr, 10) == id.value());
    }

    if (shape == Error::none) {
        switch (static_cast<MessageType>(header.type)) {
            case MessageType::write:
            case MessageType::mkdir:
            case MessageType::rm:
            case MessageType::watch:
            case MessageType::unwatch:
            case MessageType::transaction_end:
                CHECK(len == 3 && strcmp(payload, "OK") == 0);
                break;
            case MessageType::directory:
            case MessageType::error:
                CHECK(len == 0 || payload[len - 1] == '\0');
                break;
            default:
                break;
        }
    }
}

// The assembler's view of a complete message must be exactly the bytes fed.
void check_message(const ReplyAssembler& a, const uint8_t* bytes, size_t size) {
    const Header& h = a.header();
    CHECK(h.len <= kMaxPayload);
    CHECK(size == kHeaderSize + h.len);
    CHECK(h.type == load_u32(bytes) && h.req_id == load_u32(bytes + 4) &&
          h.tx_id == load_u32(bytes + 8) && h.len == load_u32(bytes + 12));
    CHECK(memcmp(a.payload(), bytes + kHeaderSize, h.len) == 0);
    CHECK(a.payload()[h.len] == '\0');
    check_parsers(h, a.payload());
}

Outcome run(const uint8_t* stream, size_t size, Chunker chunker) {
    static ReplyAssembler a;  // 4 KiB of payload buffer: not on the stack
    a.reset();
    Outcome out;
    size_t pos = 0;
    size_t message_start = 0;
    while (pos < size) {
        size_t chunk = chunker.next(size - pos);
        auto used = a.feed(reinterpret_cast<const char*>(stream + pos), chunk);
        if (used.is_error()) {
            // Only a complete header can be rejected: an oversized length or an
            // unknown type, and never once the message is complete.
            CHECK(used.error() == Error::too_big || used.error() == Error::protocol_error);
            CHECK(!a.is_complete());
            CHECK(pos + chunk - message_start >= kHeaderSize);
            out.stopped_by = used.error();
            return out;
        }
        CHECK(used.value() <= chunk);
        pos += used.value();
        if (!a.is_complete()) {
            CHECK(used.value() == chunk);  // an unfinished message takes all it is given
            continue;
        }
        out.messages.emplace_back(reinterpret_cast<const char*>(stream + message_start),
                                  pos - message_start);
        check_message(a, stream + message_start, pos - message_start);
        // A complete message takes nothing more until reset().
        auto again = a.feed(reinterpret_cast<const char*>(stream + pos), size - pos);
        CHECK(!again.is_error() && again.value() == 0 && a.is_complete());
        a.reset();
        CHECK(!a.is_complete());
        message_start = pos;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    const uint8_t* stream = data + 2;
    size_t stream_size = size - 2;
    Outcome chunked = run(stream, stream_size, Chunker(data[0], data[1]));
    Outcome whole = run(stream, stream_size, Chunker(0, 0));
    CHECK(chunked.messages == whole.messages);
    CHECK(chunked.stopped_by == whole.stopped_by);
    return 0;
}
