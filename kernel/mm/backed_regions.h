// Which 2 MiB regions of the frame allocator's range have memory behind them.
// Free memory lives in Xen: a region (512 frames, one L1 table's worth,
// aligned) whose frames are all free is given back whole once the allocator
// keeps more than a reserve free, and a region is populated again when an
// allocation needs it. An empty region's frames stay marked in use in the
// allocator, so nothing allocates them until they are populated. Never holds
// more than the limit (xl mem-set's memory/target).
//
// Pure logic over the real PageAllocator; the hypervisor side is `Ops`
// (kernel/mm/xen_regions.cpp), a fake in the host tests.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "kernel/mm/page_allocator.h"

namespace torpor {

struct RegionOps {
    // Populates the regions starting at firsts[0, n) and maps them. Returns how
    // many (the first ones) now have memory; a refused one is left empty.
    virtual size_t populate(const unsigned long* firsts, size_t n) = 0;
    // Unmaps region `first` (every frame free) and gives it back to Xen;
    // false: Xen kept nothing of it, it is mapped and usable as before.
    virtual bool release(unsigned long first) = 0;

protected:
    ~RegionOps() = default;
};

class BackedRegions {
public:
    static constexpr size_t kFrames = 512;
    static constexpr size_t kMaxRegions = 16384;  // 32 GiB of pseudo-physical space
    static constexpr unsigned long kNoLimit = ~0ul;

    // Every region wholly inside the allocator's range starts backed.
    // `held_frames`: what Xen counts against the domain now.
    void init(PageAllocator& allocator, RegionOps& ops, unsigned long held_frames);

    // Gives back whole free regions, highest first (populated memory stays
    // compact at the bottom: kernel/mm/p2m_coverage.h), while at least
    // `keep_free` frames stay free in the allocator. Returns frames given back.
    size_t give_back_free(size_t keep_free);
    // As give_back_free, for the regions overlapping [frame, frame + count)
    // only (what a free just made whole). Cheap when nothing qualifies.
    size_t give_back_around(unsigned long frame, size_t count, size_t keep_free);
    // Populates up to `regions` empty regions, highest first, in one batch,
    // within the limit. Returns how many got memory.
    size_t populate(size_t regions);
    // As populate, for the empty regions wholly inside [from, to) only,
    // lowest first.
    size_t populate_within(size_t regions, unsigned long from, unsigned long to);
    // One past the last frame of the highest region that has memory (the
    // frames below the first region always have memory); the allocator's
    // end when a partial region at its top (never given back) exists.
    unsigned long populated_end() const;
    // Populates the empty regions overlapping [frame, frame + count) (the heap
    // grows into them). out_of_memory: Xen refused or over the limit.
    Error populate_range(unsigned long frame, size_t count);

    // Frames the domain may hold at most; populate never goes past it.
    void set_limit(unsigned long frames) { limit_ = frames; }
    unsigned long limit() const { return limit_; }
    unsigned long held_frames() const { return held_; }
    // After a resume into a new domain the toolstack may have changed it.
    void set_held_frames(unsigned long frames) { held_ = frames; }
    size_t empty_regions() const { return empty_count_; }
    size_t region_count() const { return count_; }
    bool is_empty(size_t index) const { return (empty_[index / 64] >> (index % 64)) & 1; }
    unsigned long first_pfn_of(size_t index) const { return (first_region_ + index) * kFrames; }

private:
    bool region_free(size_t index) const;
    size_t populate_indexes(const size_t* index, size_t n);
    size_t batch_within_limit(size_t regions) const;
    bool try_give_back(size_t index, size_t keep_free);
    void set_empty(size_t index, bool empty);

    PageAllocator* allocator_ = nullptr;
    RegionOps* ops_ = nullptr;
    unsigned long first_region_ = 0;  // pfn / kFrames of region 0
    size_t count_ = 0;
    size_t empty_count_ = 0;
    unsigned long held_ = 0;
    unsigned long limit_ = kNoLimit;
    uint64_t empty_[kMaxRegions / 64] = {};
};

}  // namespace torpor
