#include "kernel/mm/backed_regions.h"

namespace torpor {

void BackedRegions::init(PageAllocator& allocator, RegionOps& ops, unsigned long held_frames) {
    allocator_ = &allocator;
    ops_ = &ops;
    held_ = held_frames;
    limit_ = kNoLimit;
    first_region_ = (allocator.first_frame() + kFrames - 1) / kFrames;
    unsigned long end_region = allocator.end_frame() / kFrames;
    count_ = end_region > first_region_ ? end_region - first_region_ : 0;
    if (count_ > kMaxRegions) count_ = kMaxRegions;
    empty_count_ = 0;
    for (auto& w : empty_) w = 0;
}

void BackedRegions::set_empty(size_t index, bool empty) {
    uint64_t mask = uint64_t(1) << (index % 64);
    if (empty)
        empty_[index / 64] |= mask;
    else
        empty_[index / 64] &= ~mask;
}

bool BackedRegions::region_free(size_t index) const {
    unsigned long first = first_pfn_of(index);
    for (size_t j = 0; j < kFrames; ++j)
        if (!allocator_->is_free(first + j)) return false;
    return true;
}

bool BackedRegions::try_give_back(size_t index, size_t keep_free) {
    if (is_empty(index) || allocator_->free_count() < keep_free + kFrames) return false;
    if (!region_free(index)) return false;
    unsigned long first = first_pfn_of(index);
    if (allocator_->claim(first, kFrames) != Error::none) return false;
    if (!ops_->release(first)) {
        (void)allocator_->free(first, kFrames);
        return false;
    }
    set_empty(index, true);
    ++empty_count_;
    held_ = held_ > kFrames ? held_ - kFrames : 0;
    return true;
}

// Highest first: what stays populated is at the bottom, so the p2m we publish
// can end soon after it (the reserve stays low too, in the runs' zone).
size_t BackedRegions::give_back_free(size_t keep_free) {
    size_t given = 0;
    for (size_t i = count_; i-- > 0;) {
        if (allocator_->free_count() < keep_free + kFrames) break;
        if (try_give_back(i, keep_free)) given += kFrames;
    }
    return given;
}

size_t BackedRegions::give_back_around(unsigned long frame, size_t count, size_t keep_free) {
    if (count == 0 || allocator_->free_count() < keep_free + kFrames) return 0;
    unsigned long lo = frame / kFrames, hi = (frame + count - 1) / kFrames;
    size_t given = 0;
    for (unsigned long r = hi + 1; r-- > lo;) {
        if (r < first_region_ || r - first_region_ >= count_) continue;
        if (try_give_back(r - first_region_, keep_free)) given += kFrames;
    }
    return given;
}

namespace {
constexpr size_t kBatch = 16;
}

size_t BackedRegions::populate_indexes(const size_t* index, size_t n) {
    if (n == 0) return 0;
    unsigned long firsts[kBatch] = {};
    for (size_t k = 0; k < n; ++k) firsts[k] = first_pfn_of(index[k]);
    size_t got = ops_->populate(firsts, n);
    if (got > n) got = n;
    for (size_t k = 0; k < got; ++k) {
        set_empty(index[k], false);
        --empty_count_;
        held_ += kFrames;
        (void)allocator_->free(firsts[k], kFrames);
    }
    return got;
}

// How many of `regions` may be populated in one batch within the limit.
size_t BackedRegions::batch_within_limit(size_t regions) const {
    size_t room = limit_ == kNoLimit ? regions
                  : limit_ > held_    ? (limit_ - held_) / kFrames
                                      : 0;
    if (regions > room) regions = room;
    return regions > kBatch ? kBatch : regions;
}

size_t BackedRegions::populate(size_t regions) {
    size_t index[kBatch];
    regions = batch_within_limit(regions);
    size_t n = 0;
    for (size_t i = count_; i-- > 0 && n < regions;)
        if (is_empty(i)) index[n++] = i;
    return populate_indexes(index, n);
}

size_t BackedRegions::populate_within(size_t regions, unsigned long from, unsigned long to) {
    size_t index[kBatch];
    regions = batch_within_limit(regions);
    size_t n = 0;
    for (size_t i = 0; i < count_ && n < regions; ++i) {
        unsigned long first = first_pfn_of(i);
        if (first < from || first + kFrames > to) continue;
        if (is_empty(i)) index[n++] = i;
    }
    return populate_indexes(index, n);
}

unsigned long BackedRegions::populated_end() const {
    unsigned long top = allocator_->end_frame();
    if (top > (first_region_ + count_) * kFrames) return top;  // a partial region on top
    for (size_t i = count_; i-- > 0;)
        if (!is_empty(i)) return first_pfn_of(i) + kFrames;
    return first_region_ * kFrames;
}

Error BackedRegions::populate_range(unsigned long frame, size_t count) {
    if (count == 0) return Error::none;
    unsigned long lo = frame / kFrames, hi = (frame + count - 1) / kFrames;
    for (unsigned long r = lo; r <= hi; ++r) {
        if (r < first_region_ || r - first_region_ >= count_) continue;
        size_t i = r - first_region_;
        if (!is_empty(i)) continue;
        if (limit_ != kNoLimit && held_ + kFrames > limit_) return Error::out_of_memory;
        unsigned long first = first_pfn_of(i);
        if (ops_->populate(&first, 1) != 1) return Error::out_of_memory;
        set_empty(i, false);
        --empty_count_;
        held_ += kFrames;
        (void)allocator_->free(first, kFrames);
    }
    return Error::none;
}

}  // namespace torpor
