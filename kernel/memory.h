// Physical memory at boot: the direct map of every frame, the frame allocator
// over the free frames and the C heap on top of it.
#pragma once
#include "base/error.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/page_allocator.h"
#include "xen/abi.h"

namespace torpor::memory {

struct Summary {
    unsigned long nr_pages;        // frames Xen gave the domain
    unsigned long mapped_pages;    // frames in the direct map
    unsigned long first_free_pfn;  // first frame the allocator manages
    unsigned long free_pages;      // frames free after boot
};

ErrorOr<Summary> init(const start_info& si);

// The frame allocator and heap are shared by every vCPU: these lock them
// (with events masked, so an event handler never finds them half-updated).
ErrorOr<unsigned long> allocate_frames(size_t count);
Error free_frames(unsigned long first, size_t count);
ErrorOr<uintptr_t> grow_heap(ptrdiff_t delta);
size_t free_frame_count();
// Takes up to `max` free frames at or above `lowest` (highest first) in one pass.
size_t take_free_frames(unsigned long lowest, unsigned long* out, size_t max);
// The lowest frame the heap has not claimed yet (it grows upwards from there).
unsigned long heap_end_frame();

}  // namespace torpor::memory
