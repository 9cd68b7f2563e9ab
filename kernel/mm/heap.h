// The C library's heap: a break pointer that grows upwards over frames claimed
// from the page allocator, starting at a frame of its range (newlib's _sbrk).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "kernel/mm/page_allocator.h"

namespace torpor {

class Heap {
public:
    // `base` is the address of frame `allocator.first_frame()` in the direct map.
    void init(PageAllocator& allocator, uintptr_t base, size_t page_size) {
        init(allocator, allocator.first_frame(), base, page_size);
    }
    // The heap starts at `base_frame` (inside the allocator's range), mapped at `base`.
    void init(PageAllocator& allocator, unsigned long base_frame, uintptr_t base, size_t page_size);
    unsigned long base_frame() const { return base_frame_; }
    // Moves the break by `delta` bytes (may be negative) and returns the old
    // break, claiming the frames it grows into (out_of_memory leaves it as it
    // was) and freeing the whole pages it shrinks out of.
    ErrorOr<uintptr_t> grow(ptrdiff_t delta);
    uintptr_t break_address() const { return brk_; }
    size_t committed_bytes() const { return committed_end_ - base_; }

private:
    PageAllocator* allocator_ = nullptr;
    unsigned long base_frame_ = 0;
    uintptr_t base_ = 0;
    uintptr_t brk_ = 0;
    uintptr_t committed_end_ = 0;  // end of the frames claimed so far
    size_t page_size_ = 4096;
};

}  // namespace torpor
