#include "drivers/xenstore/wire.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace torpor;
using namespace torpor::xs;

namespace {

std::string header_bytes(uint32_t type, uint32_t req_id, uint32_t tx_id, uint32_t len) {
    std::string h(16, '\0');
    uint32_t v[4] = {type, req_id, tx_id, len};
    memcpy(h.data(), v, 16);  // the protocol is little-endian, as is x86
    return h;
}

std::string message(MessageType type, uint32_t req_id, const std::string& payload) {
    return header_bytes(uint32_t(type), req_id, 0, uint32_t(payload.size())) + payload;
}

}  // namespace

TEST(XenstoreWire, EncodesAWriteWithARawValue) {
    char out[64];
    const char* strings[] = {"control/shutdown"};
    auto n = encode_request(MessageType::write, 7, 3, strings, 1, "poweroff", 8, out, sizeof(out));
    ASSERT_FALSE(n.is_error());
    std::string payload = std::string("control/shutdown") + '\0' + "poweroff";
    EXPECT_EQ(std::string(out, n.value()), header_bytes(11, 7, 3, payload.size()) + payload);
}

TEST(XenstoreWire, EncodesAWatchAsTwoStrings) {
    char out[64];
    const char* strings[] = {"data/ping", "tok"};
    auto n = encode_request(MessageType::watch, 1, 0, strings, 2, nullptr, 0, out, sizeof(out));
    ASSERT_FALSE(n.is_error());
    std::string payload = std::string("data/ping") + '\0' + "tok" + '\0';
    EXPECT_EQ(std::string(out + 16, n.value() - 16), payload);
}

TEST(XenstoreWire, RefusesOversizedRequests) {
    std::vector<char> out(16 + kMaxPayload + 100);
    std::string big(kMaxPayload, 'v');
    const char* strings[] = {"k"};
    auto n = encode_request(MessageType::write, 1, 0, strings, 1, big.data(), big.size(),
                            out.data(), out.size());
    ASSERT_TRUE(n.is_error());
    EXPECT_EQ(n.error(), Error::too_big);
}

TEST(XenstoreWire, AssemblesAReplyFedOneByteAtATime) {
    std::string bytes = message(MessageType::read, 9, "hello");
    ReplyAssembler a;
    for (size_t i = 0; i < bytes.size(); ++i) {
        ASSERT_FALSE(a.is_complete());
        auto used = a.feed(&bytes[i], 1);
        ASSERT_FALSE(used.is_error());
        ASSERT_EQ(used.value(), 1u);
    }
    ASSERT_TRUE(a.is_complete());
    EXPECT_EQ(a.header().req_id, 9u);
    EXPECT_STREQ(a.payload(), "hello");
    EXPECT_EQ(validate_reply(a.header(), a.payload()), Error::none);
}

TEST(XenstoreWire, StopsAtTheEndOfOneMessage) {
    std::string bytes = message(MessageType::write, 1, std::string("OK") + '\0') +
                        message(MessageType::read, 2, "x");
    ReplyAssembler a;
    auto used = a.feed(bytes.data(), bytes.size());
    ASSERT_FALSE(used.is_error());
    EXPECT_EQ(used.value(), 16u + 3u);
    EXPECT_TRUE(a.is_complete());
    a.reset();
    used = a.feed(bytes.data() + 19, bytes.size() - 19);
    ASSERT_TRUE(a.is_complete());
    EXPECT_EQ(a.header().req_id, 2u);
}

TEST(XenstoreWire, RejectsOversizedAndUnknownHeaders) {
    ReplyAssembler a;
    std::string huge = header_bytes(uint32_t(MessageType::read), 1, 0, kMaxPayload + 1);
    auto r = a.feed(huge.data(), huge.size());
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error(), Error::too_big);

    // The error sticks: more bytes cannot revive a rejected stream.
    r = a.feed("x", 1);
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error(), Error::too_big);

    ReplyAssembler b;
    std::string unknown = header_bytes(999, 1, 0, 0);
    r = b.feed(unknown.data(), unknown.size());
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error(), Error::protocol_error);
}

TEST(XenstoreWire, ValidatesReplyShapes) {
    Header ok{uint32_t(MessageType::write), 1, 0, 3};
    EXPECT_EQ(validate_reply(ok, "OK"), Error::none);
    Header not_ok{uint32_t(MessageType::write), 1, 0, 3};
    EXPECT_EQ(validate_reply(not_ok, "NO"), Error::protocol_error);

    std::string dir = std::string("a") + '\0' + "bb" + '\0';
    Header d{uint32_t(MessageType::directory), 1, 0, uint32_t(dir.size())};
    EXPECT_EQ(validate_reply(d, dir.c_str()), Error::none);
    Header unterminated{uint32_t(MessageType::directory), 1, 0, 2};
    EXPECT_EQ(validate_reply(unterminated, "ab"), Error::protocol_error);
}

TEST(XenstoreWire, MapsErrorReplies) {
    EXPECT_EQ(error_from_reply("ENOENT", 7), Error::not_found);
    EXPECT_EQ(error_from_reply("EAGAIN", 7), Error::try_again);
    EXPECT_EQ(error_from_reply("EACCES", 7), Error::permission_denied);
    EXPECT_EQ(error_from_reply("EWHATEVER", 10), Error::remote_error);
    EXPECT_EQ(error_from_reply("ENOENT", 6), Error::protocol_error);  // not NUL-terminated
}

TEST(XenstoreWire, ParsesWatchEventsAndTransactionIds) {
    std::string ev = std::string("/local/domain/3/data/ping") + '\0' + "t1" + '\0';
    Header h{uint32_t(MessageType::watch_event), 0, 0, uint32_t(ev.size())};
    auto e = parse_watch_event(h, ev.c_str());
    ASSERT_FALSE(e.is_error());
    EXPECT_STREQ(e.value().path, "/local/domain/3/data/ping");
    EXPECT_STREQ(e.value().token, "t1");

    Header one_string{uint32_t(MessageType::watch_event), 0, 0, 5};
    EXPECT_TRUE(parse_watch_event(one_string, "path").is_error());

    Header tx{uint32_t(MessageType::transaction_start), 0, 0, 3};
    auto id = parse_transaction_id(tx, "42");
    ASSERT_FALSE(id.is_error());
    EXPECT_EQ(id.value(), 42u);
    EXPECT_TRUE(parse_transaction_id(tx, "4x").is_error());
    Header zero{uint32_t(MessageType::transaction_start), 0, 0, 2};
    EXPECT_TRUE(parse_transaction_id(zero, "0").is_error());
    Header overflow{uint32_t(MessageType::transaction_start), 0, 0, 11};
    EXPECT_TRUE(parse_transaction_id(overflow, "9999999999").is_error());
}
