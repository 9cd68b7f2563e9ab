// Adopting a whole ballooned region after a live migration, when the restore
// already backed (some of) its frames and wrote their MFNs into our p2m.
// Pure, header-only: the balloon supplies the hypervisor side (host-tested
// with a fake).
//
// The fast way hooks the region's L1 table rewritten from the p2m: Xen
// validates the whole table, so a single MFN that is not ours makes it refuse
// all 512. Then every frame the restore gave us would be lost to us while
// still counted against our allowance (populating the region afresh cannot
// reach them). So on a refusal the region is hooked empty and each frame is
// mapped on its own: the ones Xen accepts are adopted; one it refuses is
// handed back with decrease_reservation (a frame of ours goes back to Xen
// instead of leaking; Xen refuses one that is not ours, at no cost) and its
// pfn is populated later like any other.
#pragma once
#include <stddef.h>

namespace torpor::balloon {

inline constexpr unsigned long kNoMfn = ~0ul;

// Ops: the hypervisor and allocator side, for pfns of one region.
//   bool backed(pfn)              p2m names a frame the M2P says is that pfn's
//   unsigned long mfn(pfn)        our p2m entry
//   void set_mfn(pfn, mfn)        our p2m entry (kNoMfn: no frame)
//   bool hook(first)              hook the parked table, rewritten from the p2m
//   bool unhook(first)            park it again
//   bool map(pfn, mfn)            one direct-map entry (Xen checks ownership)
//   void give_back(mfn)           decrease_reservation of one frame
//   void adopt(index)             released[index] is ours again (to the allocator)
//   void adopt_region(first)      all of it is ours again, in one call
struct RegionAdoption {
    size_t adopted = 0;
    size_t refused = 0;     // frames Xen would not map (given back)
    bool frame_by_frame = false;
    bool still_parked = true;  // the region's table is unhooked (populate hooks it)
};

// `first`: the region's first pfn; `index`: its first entry in the released
// list; `kFrames`: frames per region.
template <size_t kFrames, typename Ops>
RegionAdoption adopt_region(unsigned long first, size_t index, Ops& ops) {
    constexpr size_t frames = kFrames;
    RegionAdoption r;
    size_t backed = 0;
    for (size_t j = 0; j < frames; ++j) {
        if (ops.backed(first + j))
            ++backed;
        else
            ops.set_mfn(first + j, kNoMfn);
    }
    if (backed == 0) return r;
    if (ops.hook(first)) {
        r.still_parked = false;
        if (backed == frames) {  // the usual case after a live migration
            ops.adopt_region(first);
            r.adopted = frames;
            return r;
        }
        for (size_t j = 0; j < frames; ++j)
            if (ops.mfn(first + j) != kNoMfn) ops.adopt(index + j);
        r.adopted = backed;
        return r;
    }
    // Xen refused the table: at least one MFN is not ours. Frame by frame.
    r.frame_by_frame = true;
    unsigned long candidates[kFrames];
    for (size_t j = 0; j < frames; ++j) {
        candidates[j] = ops.mfn(first + j);
        ops.set_mfn(first + j, kNoMfn);
    }
    bool hooked = ops.hook(first);  // an empty table: nothing for Xen to refuse
    for (size_t j = 0; j < frames; ++j) {
        unsigned long mfn = candidates[j];
        if (mfn == kNoMfn) continue;
        if (hooked && ops.map(first + j, mfn)) {
            ops.set_mfn(first + j, mfn);
            ops.adopt(index + j);
            ++r.adopted;
        } else {
            ops.give_back(mfn);
            ++r.refused;
        }
    }
    r.still_parked = !hooked;
    // Nothing adopted: the region is whole in the list again and populate
    // expects its table parked.
    if (hooked && r.adopted == 0) r.still_parked = ops.unhook(first);
    return r;
}

}  // namespace torpor::balloon
