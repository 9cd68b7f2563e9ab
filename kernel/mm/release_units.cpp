#include "kernel/mm/release_units.h"

namespace torpor::balloon {

// The list is strictly ascending, so the last pfn being first + region_frames - 1
// means every pfn in between is there.
bool is_whole_region(const unsigned long* pfns, size_t count, size_t at, size_t region_frames) {
    return at + region_frames <= count && pfns[at] % region_frames == 0 &&
           pfns[at + region_frames - 1] == pfns[at] + region_frames - 1;
}

ReleaseUnit next_release_unit(const unsigned long* pfns, size_t count, size_t at,
                              size_t region_frames, size_t max_singles) {
    if (at >= count) return {at, 0, false};
    if (is_whole_region(pfns, count, at, region_frames)) return {at, region_frames, true};
    size_t n = 0;
    while (at + n < count && n < max_singles && !is_whole_region(pfns, count, at + n, region_frames))
        ++n;
    return {at, n, false};
}

}  // namespace torpor::balloon
