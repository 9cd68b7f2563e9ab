// How the balloon walks its ascending list of pfns: in units it hands to Xen
// together. A whole region (`region_frames` consecutive pfns from a multiple
// of `region_frames`: one L1 table's worth, arch::kFramesPerRegion) goes as
// one unit; runs of other pfns go in batches of at most `max_singles`.
#pragma once
#include <stddef.h>

namespace torpor::balloon {

struct ReleaseUnit {
    size_t first;        // index into the list
    size_t count;        // pfns in the unit (0 at the end of the list)
    bool whole_region;
};

// True when pfns[at, at + region_frames) is one whole region.
bool is_whole_region(const unsigned long* pfns, size_t count, size_t at, size_t region_frames);

ReleaseUnit next_release_unit(const unsigned long* pfns, size_t count, size_t at,
                              size_t region_frames, size_t max_singles);

}  // namespace torpor::balloon
