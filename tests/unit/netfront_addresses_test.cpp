#include "drivers/netfront/addresses.h"

#include <gtest/gtest.h>
#include <string.h>

using namespace torpor::netfront;

namespace {
bool mac(const char* s, MacAddress* m) { return parse_mac(s, strlen(s), m); }
bool ip(const char* s, uint32_t* a) { return parse_ipv4(s, strlen(s), a); }
bool cidr(const char* s, Ipv4Cidr* c) { return parse_cidr(s, strlen(s), 24, c); }
}  // namespace

TEST(NetfrontAddresses, ParsesAMac) {
    MacAddress m;
    ASSERT_TRUE(mac("00:16:3e:77:00:03", &m));
    const uint8_t want[6] = {0x00, 0x16, 0x3e, 0x77, 0x00, 0x03};
    EXPECT_EQ(0, memcmp(m.bytes, want, 6));
    ASSERT_TRUE(mac("AA:bb:Cc:dD:ee:FF", &m));
    EXPECT_EQ(0xff, m.bytes[5]);
}

TEST(NetfrontAddresses, RejectsMalformedMacs) {
    MacAddress m;
    for (const char* bad : {"", "00:16:3e:77:00", "00:16:3e:77:00:03:", "00-16-3e-77-00-03",
                            "00:16:3e:77:00:0g", "0:16:3e:77:00:003", "00:16:3e:77:00:03 ",
                            "garbage-garbage-xx"})
        EXPECT_FALSE(mac(bad, &m)) << bad;
}

TEST(NetfrontAddresses, ParsesIpv4AndCidr) {
    uint32_t a;
    ASSERT_TRUE(ip("10.77.0.3", &a));
    EXPECT_EQ(0x0a4d0003u, a);
    ASSERT_TRUE(ip("255.255.255.255", &a));
    EXPECT_EQ(0xffffffffu, a);
    Ipv4Cidr c;
    ASSERT_TRUE(cidr("10.77.0.3/16", &c));
    EXPECT_EQ(0x0a4d0003u, c.address);
    EXPECT_EQ(16, c.prefix);
    ASSERT_TRUE(cidr("10.77.0.3", &c));
    EXPECT_EQ(24, c.prefix);
    ASSERT_TRUE(parse_first_cidr(" 10.77.0.9 10.1.1.1", 19, 24, &c));
    EXPECT_EQ(0x0a4d0009u, c.address);
}

TEST(NetfrontAddresses, RejectsMalformedAddresses) {
    uint32_t a;
    for (const char* bad : {"", "10.77.0", "10.77.0.3.4", "256.1.1.1", "10.77.0.3 ", "-1.2.3.4",
                            "1..2.3", "1.2.3.0004", "a.b.c.d"})
        EXPECT_FALSE(ip(bad, &a)) << bad;
    Ipv4Cidr c;
    for (const char* bad : {"10.77.0.3/", "10.77.0.3/33", "10.77.0.3/2x", "/24", "10.77.0.3//24"})
        EXPECT_FALSE(cidr(bad, &c)) << bad;
}

TEST(NetfrontAddresses, Netmasks) {
    EXPECT_EQ(0u, netmask_of(0));
    EXPECT_EQ(0xffffff00u, netmask_of(24));
    EXPECT_EQ(0xffffffffu, netmask_of(32));
    EXPECT_EQ(0x80000000u, netmask_of(1));
}
