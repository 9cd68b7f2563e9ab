// The demo's on-disk record (apps/demo/blk_record.h): CRC-32 as zlib computes
// it, the layout the offline checker (tools/harness/check_blk_image.py) reads,
// and every kind of damage caught.
#include <gtest/gtest.h>

#include <cstring>

#include "apps/demo/blk_record.h"

using namespace torpor::demo;

TEST(BlkRecord, Crc32IsZlibs) {
    const char* text = "123456789";
    EXPECT_EQ(crc32_ieee(reinterpret_cast<const uint8_t*>(text), 9), 0xcbf43926u);
    EXPECT_EQ(crc32_ieee(nullptr, 0), 0u);
}

TEST(BlkRecord, LayoutIsTheContract) {
    uint8_t r[kRecordSize];
    make_record(0x0102030405060708ull, r);
    EXPECT_EQ(std::memcmp(r, "TORPORLG", 8), 0);
    EXPECT_EQ(r[8], 0x08);
    EXPECT_EQ(r[15], 0x01);
    uint64_t i = 0x0102030405060708ull;
    EXPECT_EQ(r[16], uint8_t(((i * 31 + 16 * 7) ^ (i >> 8)) & 0xff));
    EXPECT_EQ(r[507], uint8_t(((i * 31 + 507 * 7) ^ (i >> 8)) & 0xff));
    EXPECT_EQ(r[16], 111) << "as tools/harness/blk_image.py computes it";
    EXPECT_EQ(r[507], 210);
    uint32_t crc = crc32_ieee(r, 508);
    EXPECT_EQ(crc, 0x08142a97u) << "zlib.crc32 of the same 508 bytes (blk_image.py)";
    EXPECT_EQ(r[508], uint8_t(crc));
    EXPECT_EQ(r[511], uint8_t(crc >> 24));
    EXPECT_EQ(record_problem(i, r), nullptr);
}

TEST(BlkRecord, EveryDamageIsNamed) {
    uint8_t r[kRecordSize];
    make_record(77, r);
    EXPECT_STREQ(record_problem(78, r), "wrong index");
    uint8_t bad[kRecordSize];
    std::memcpy(bad, r, sizeof(r));
    bad[0] = 'X';
    EXPECT_STREQ(record_problem(77, bad), "no TORPORLG magic");
    std::memcpy(bad, r, sizeof(r));
    bad[200] ^= 1;
    EXPECT_STREQ(record_problem(77, bad), "bad CRC");
    std::memcpy(bad, r, sizeof(r));
    bad[509] ^= 1;
    EXPECT_STREQ(record_problem(77, bad), "bad CRC");
    uint8_t zero[kRecordSize] = {};
    EXPECT_STREQ(record_problem(0, zero), "no TORPORLG magic");
}
