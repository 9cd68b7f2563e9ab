// Where the frame allocator's runs live: a zone at the bottom of its range,
// below the C heap (which grows upwards from the zone's end). Both stay at the
// low end of the pfn space, so the p2m published to the toolstack can end
// soon after what is populated (kernel/mm/p2m_coverage.h). Pure: host-tested.
#pragma once

namespace torpor {

// The zone's end for an allocator over [first, end): at most `zone_frames`
// and at most a quarter of the range, rounded down to a whole region of
// `region` frames (a region is given back to Xen whole; the heap's first one
// then holds no runs). `first` when the range is too small for a zone.
inline unsigned long run_zone_end_for(unsigned long first, unsigned long end,
                                      unsigned long zone_frames, unsigned long region) {
    if (end <= first) return first;
    unsigned long frames = (end - first) / 4;
    if (frames > zone_frames) frames = zone_frames;
    unsigned long zone_end = (first + frames) / region * region;
    return zone_end > first ? zone_end : first;
}

}  // namespace torpor
