#include "base/byte_ring.h"

#include <gtest/gtest.h>

#include <string>

using torpor::ByteRing;
using torpor::Error;

namespace {
using Ring8 = ByteRing<8>;
}

TEST(ByteRing, WritesUpToFreeSpaceAndWrapsAround) {
    char ring[8] = {};
    // 6 bytes in flight (prod 0xfffffffe + 6 wraps the 32-bit index).
    uint32_t cons = 0xfffffffa, prod = 0x00000000;
    auto n = Ring8::write(ring, prod, cons, "abcdef", 6);
    ASSERT_FALSE(n.is_error());
    EXPECT_EQ(n.value(), 2u);  // only 8 - 6 free
    EXPECT_EQ(ring[0], 'a');
    EXPECT_EQ(ring[1], 'b');
}

TEST(ByteRing, ReadReturnsBytesInOrderAcrossTheEnd) {
    char ring[8];
    memcpy(ring, "EFGH..CD", 8);
    char out[8] = {};
    auto n = Ring8::read(ring, /*prod=*/12, /*cons=*/6, out, sizeof(out));
    ASSERT_FALSE(n.is_error());
    EXPECT_EQ(std::string(out, n.value()), "CDEFGH");
}

TEST(ByteRing, ReadStopsAtCallerCapacity) {
    char ring[8] = {'x', 'y', 'z'};
    char out[2];
    auto n = Ring8::read(ring, 3, 0, out, sizeof(out));
    ASSERT_FALSE(n.is_error());
    EXPECT_EQ(n.value(), 2u);
}

TEST(ByteRing, ImpossiblePeerIndexIsAProtocolError) {
    char ring[8] = {};
    char out[8];
    // The peer claims 9 bytes in an 8-byte ring.
    auto r = Ring8::read(ring, 9, 0, out, sizeof(out));
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error(), Error::protocol_error);
    // A consumer index "ahead" of the producer is just as impossible.
    auto w = Ring8::write(ring, 0, 5, "a", 1);
    ASSERT_TRUE(w.is_error());
    EXPECT_EQ(w.error(), Error::protocol_error);
}

TEST(ByteRing, FullRingAcceptsNothing) {
    char ring[8] = {};
    auto n = Ring8::write(ring, 8, 0, "a", 1);
    ASSERT_FALSE(n.is_error());
    EXPECT_EQ(n.value(), 0u);
}
