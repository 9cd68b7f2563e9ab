// Physical memory at boot: the direct map of every frame, the frame allocator
// over the free frames and the C heap on top of it.
#pragma once
#include "kernel/lib/error.h"
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
PageAllocator& page_allocator();
Heap& heap();

}  // namespace torpor::memory
