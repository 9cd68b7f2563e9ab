// Frame allocator over a contiguous range of pseudo-physical frames, one bit per
// frame. Single pages and runs are taken from the top of the range so the heap
// can grow upwards contiguously from the bottom (see heap.h).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

namespace torpor {

class PageAllocator {
public:
    static constexpr size_t bitmap_words_for(size_t frames) { return (frames + 63) / 64; }

    // `bitmap` must hold bitmap_words_for(frame_count) words; all frames start free.
    void init(unsigned long first_frame, size_t frame_count, uint64_t* bitmap);

    ErrorOr<unsigned long> allocate() { return allocate_run(1); }
    // The highest run of `count` free contiguous frames.
    ErrorOr<unsigned long> allocate_run(size_t count) { return allocate_run_below(count, ~0ul); }
    // The highest run of `count` free contiguous frames that ends at or below `end`.
    ErrorOr<unsigned long> allocate_run_below(size_t count, unsigned long end);
    // Marks frames [frame, frame + count) used; fails without change if any is taken.
    Error claim(unsigned long frame, size_t count);
    // Marks up to `max` free frames at or above `lowest` used, highest first,
    // writing them to `out`, in one pass over the bitmap. Returns the count.
    size_t take_free_frames(unsigned long lowest, unsigned long* out, size_t max);
    // Frees frames that are allocated; a double free is reported, not ignored.
    Error free(unsigned long frame, size_t count = 1);

    bool is_free(unsigned long frame) const;
    size_t free_count() const { return free_count_; }
    unsigned long first_frame() const { return first_; }
    unsigned long end_frame() const { return first_ + count_; }

private:
    bool in_range(unsigned long frame, size_t count) const;
    bool bit(size_t index) const { return (bitmap_[index / 64] >> (index % 64)) & 1; }
    void set_bit(size_t index, bool used);

    unsigned long first_ = 0;
    size_t count_ = 0;
    size_t free_count_ = 0;
    uint64_t* bitmap_ = nullptr;  // bit set = frame in use
};

}  // namespace torpor
