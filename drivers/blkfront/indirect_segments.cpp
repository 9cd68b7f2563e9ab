#include "drivers/blkfront/indirect_segments.h"

namespace torpor::blkfront {

Error write_indirect_segments(uint8_t* const pages[], const Segment* segments, uint32_t count) {
    if (count == 0 || count > kMaxIndirectSegments) return Error::invalid_argument;
    for (uint32_t i = 0; i < count; ++i)
        if (segments[i].first_sect > segments[i].last_sect || segments[i].last_sect >= kSectorsPerPage)
            return Error::invalid_argument;
    for (uint32_t i = 0; i < count; ++i) {
        auto* page = reinterpret_cast<blkif_request_segment*>(pages[i / kSegmentsPerIndirectPage]);
        blkif_request_segment& s = page[i % kSegmentsPerIndirectPage];
        s.gref = segments[i].gref;
        s.first_sect = segments[i].first_sect;
        s.last_sect = segments[i].last_sect;
    }
    return Error::none;
}

}  // namespace torpor::blkfront
