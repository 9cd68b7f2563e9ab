#include "drivers/blkfront/disk_geometry.h"

#include <string.h>

#include "drivers/blkfront/blk_ring.h"
#include "xen/abi.h"
#include <xen/io/blkif.h>

namespace torpor::blkfront {

bool DiskGeometry::read_only() const { return (info & VDISK_READONLY) != 0; }

ErrorOr<uint64_t> parse_decimal(const char* text) {
    if (!text || !*text) return Error::protocol_error;
    if (text[0] == '0' && text[1] != '\0') return Error::protocol_error;
    uint64_t value = 0;
    for (const char* p = text; *p; ++p) {
        if (*p < '0' || *p > '9') return Error::protocol_error;
        uint64_t digit = uint64_t(*p - '0');
        if (value > (UINT64_MAX - digit) / 10) return Error::protocol_error;
        value = value * 10 + digit;
    }
    return value;
}

namespace {

ErrorOr<bool> parse_flag(const char* text) {
    if (!text) return false;
    auto v = parse_decimal(text);
    if (v.is_error() || v.value() > 1) return Error::protocol_error;
    return v.value() == 1;
}

}  // namespace

ErrorOr<uint32_t> choose_ring_order(const char* max_ring_page_order, uint32_t limit) {
    if (limit > kMaxRingOrder) limit = kMaxRingOrder;
    if (!max_ring_page_order) return 0u;
    auto offer = parse_decimal(max_ring_page_order);
    if (offer.is_error() || offer.value() > 31) return Error::protocol_error;
    return offer.value() < limit ? uint32_t(offer.value()) : limit;
}

ErrorOr<uint32_t> choose_indirect_segments(const char* max_indirect_segments, uint32_t limit) {
    if (limit > kMaxIndirectSegments) limit = kMaxIndirectSegments;
    if (!max_indirect_segments) return 0u;
    auto offer = parse_decimal(max_indirect_segments);
    if (offer.is_error()) return Error::protocol_error;
    uint64_t n = offer.value() < limit ? offer.value() : limit;
    return n <= kMaxSegments ? 0u : uint32_t(n);
}

uint32_t choose_persistent_pages(const char* feature_persistent, uint32_t limit) {
    if (!feature_persistent || strcmp(feature_persistent, "1") != 0) return 0;
    return limit;
}

ErrorOr<DiskGeometry> parse_geometry(const char* sectors, const char* sector_size,
                                     const char* info, const char* flush_cache,
                                     const char* barrier) {
    DiskGeometry g{};
    auto n = parse_decimal(sectors);
    if (n.is_error() || n.value() == 0) return Error::protocol_error;
    auto size = parse_decimal(sector_size);
    if (size.is_error()) return Error::protocol_error;
    uint64_t s = size.value();
    if (s < 512 || s > 4096 || (s & (s - 1)) != 0) return Error::protocol_error;
    if (n.value() > UINT64_MAX / s) return Error::protocol_error;
    g.sectors = n.value();
    g.sector_size = uint32_t(s);
    if (info) {
        auto i = parse_decimal(info);
        if (i.is_error() || i.value() > UINT32_MAX) return Error::protocol_error;
        g.info = uint32_t(i.value());
    }
    auto flush = parse_flag(flush_cache);
    auto bar = parse_flag(barrier);
    if (flush.is_error() || bar.is_error()) return Error::protocol_error;
    g.flush_cache = flush.value();
    g.barrier = bar.value();
    return g;
}

}  // namespace torpor::blkfront
