#include "kernel/mm/heap.h"

namespace torpor {

void Heap::init(PageAllocator& allocator, unsigned long base_frame, uintptr_t base,
               size_t page_size) {
    allocator_ = &allocator;
    base_frame_ = base_frame;
    base_ = brk_ = committed_end_ = base;
    page_size_ = page_size;
}

ErrorOr<uintptr_t> Heap::grow(ptrdiff_t delta) {
    uintptr_t old = brk_;
    if (delta < 0) {
        if (size_t(-delta) > brk_ - base_) return Error::invalid_argument;
        brk_ -= size_t(-delta);
        // newlib trims in large steps (M_TRIM_THRESHOLD): the whole pages above
        // the break go back to the allocator (and, whole regions, to Xen).
        uintptr_t keep_end = base_ + (brk_ - base_ + page_size_ - 1) / page_size_ * page_size_;
        if (keep_end < committed_end_) {
            unsigned long frame = base_frame_ + (keep_end - base_) / page_size_;
            size_t pages = (committed_end_ - keep_end) / page_size_;
            if (allocator_->free(frame, pages) == Error::none) committed_end_ = keep_end;
        }
        return old;
    }
    uintptr_t wanted = brk_ + size_t(delta);
    if (wanted < brk_) return Error::out_of_memory;
    if (wanted > committed_end_) {
        size_t bytes = wanted - committed_end_;
        size_t pages = (bytes + page_size_ - 1) / page_size_;
        unsigned long frame = base_frame_ + (committed_end_ - base_) / page_size_;
        if (allocator_->claim(frame, pages) != Error::none) return Error::out_of_memory;
        committed_end_ += pages * page_size_;
    }
    brk_ = wanted;
    return old;
}

}  // namespace torpor
