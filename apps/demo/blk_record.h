// The demo's on-disk record (the storage workload's contract, README "Storage
// workload"): 512 bytes, record i at sector i.
//   bytes 0-7     ASCII "TORPORLG"
//   bytes 8-15    i, little-endian 64-bit
//   bytes 16-507  payload: byte k = ((i * 31 + k * 7) ^ (i >> 8)) & 0xff
//   bytes 508-511 CRC-32 (IEEE, as zlib's crc32) of bytes 0-507, little-endian
// Pure logic, host-tested; tools/harness/check_blk_image.py checks the same.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace torpor::demo {

inline constexpr size_t kRecordSize = 512;

uint32_t crc32_ieee(const uint8_t* data, size_t length);
void make_record(uint64_t index, uint8_t* out);
// Why `record` is not record `index` (a short text), or null when it is.
const char* record_problem(uint64_t index, const uint8_t* record);

}  // namespace torpor::demo
