#include "apps/demo/blk_record.h"

#include <string.h>

namespace torpor::demo {

namespace {

constexpr char kMagic[8] = {'T', 'O', 'R', 'P', 'O', 'R', 'L', 'G'};

uint8_t payload_byte(uint64_t index, size_t k) {
    return uint8_t(((index * 31 + k * 7) ^ (index >> 8)) & 0xff);
}

}  // namespace

uint32_t crc32_ieee(const uint8_t* data, size_t length) {
    // Reflected polynomial 0xEDB88320, initial and final XOR ~0 (zlib's crc32).
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < length; ++i) {
        crc ^= data[i];
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

void make_record(uint64_t index, uint8_t* out) {
    memcpy(out, kMagic, 8);
    for (int b = 0; b < 8; ++b) out[8 + b] = uint8_t(index >> (8 * b));
    for (size_t k = 16; k < 508; ++k) out[k] = payload_byte(index, k);
    uint32_t crc = crc32_ieee(out, 508);
    for (int b = 0; b < 4; ++b) out[508 + b] = uint8_t(crc >> (8 * b));
}

const char* record_problem(uint64_t index, const uint8_t* record) {
    if (memcmp(record, kMagic, 8) != 0) return "no TORPORLG magic";
    uint64_t stored = 0;
    for (int b = 0; b < 8; ++b) stored |= uint64_t(record[8 + b]) << (8 * b);
    if (stored != index) return "wrong index";
    uint32_t crc = 0;
    for (int b = 0; b < 4; ++b) crc |= uint32_t(record[508 + b]) << (8 * b);
    if (crc != crc32_ieee(record, 508)) return "bad CRC";
    for (size_t k = 16; k < 508; ++k)
        if (record[k] != payload_byte(index, k)) return "wrong payload";
    return nullptr;
}

}  // namespace torpor::demo
