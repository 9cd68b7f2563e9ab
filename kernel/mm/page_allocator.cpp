#include "kernel/mm/page_allocator.h"

namespace torpor {

void PageAllocator::init(unsigned long first_frame, size_t frame_count, uint64_t* bitmap) {
    first_ = first_frame;
    count_ = frame_count;
    bitmap_ = bitmap;
    free_count_ = frame_count;
    for (size_t i = 0; i < bitmap_words_for(frame_count); ++i) bitmap_[i] = 0;
}

bool PageAllocator::in_range(unsigned long frame, size_t count) const {
    return frame >= first_ && count <= count_ && frame - first_ <= count_ - count;
}

void PageAllocator::set_bit(size_t index, bool used) {
    uint64_t mask = uint64_t(1) << (index % 64);
    if (used)
        bitmap_[index / 64] |= mask;
    else
        bitmap_[index / 64] &= ~mask;
}

bool PageAllocator::is_free(unsigned long frame) const {
    return in_range(frame, 1) && !bit(frame - first_);
}

ErrorOr<unsigned long> PageAllocator::allocate_run_below(size_t count, unsigned long end) {
    if (count == 0) return Error::invalid_argument;
    if (count > free_count_) return Error::out_of_memory;
    size_t top = end <= first_ ? 0 : end - first_ < count_ ? end - first_ : count_;
    size_t run = 0;
    for (size_t i = top; i-- > 0;) {
        if (bit(i)) {
            run = 0;
            continue;
        }
        if (++run == count) {
            for (size_t j = i; j < i + count; ++j) set_bit(j, true);
            free_count_ -= count;
            return first_ + i;
        }
    }
    return Error::out_of_memory;
}

Error PageAllocator::claim(unsigned long frame, size_t count) {
    if (count == 0 || !in_range(frame, count)) return Error::invalid_argument;
    size_t base = frame - first_;
    for (size_t i = 0; i < count; ++i)
        if (bit(base + i)) return Error::busy;
    for (size_t i = 0; i < count; ++i) set_bit(base + i, true);
    free_count_ -= count;
    return Error::none;
}

size_t PageAllocator::take_free_frames(unsigned long lowest, unsigned long* out, size_t max) {
    size_t taken = 0;
    size_t floor = lowest > first_ ? lowest - first_ : 0;
    for (size_t i = count_; i-- > floor && taken < max;) {
        if (bit(i)) continue;
        set_bit(i, true);
        out[taken++] = first_ + i;
    }
    free_count_ -= taken;
    return taken;
}

Error PageAllocator::free(unsigned long frame, size_t count) {
    if (count == 0 || !in_range(frame, count)) return Error::invalid_argument;
    size_t base = frame - first_;
    for (size_t i = 0; i < count; ++i)
        if (!bit(base + i)) return Error::invalid_argument;
    for (size_t i = 0; i < count; ++i) set_bit(base + i, false);
    free_count_ += count;
    return Error::none;
}

}  // namespace torpor
