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

// Free memory lives in Xen (kernel/mm/backed_regions.h): from start_on_demand
// on, whole free 2 MiB regions beyond a 4 MiB reserve go back to Xen (at once,
// then through give_back_idle once they stayed free for a whole window, or at
// the next free while over the target), and allocate_frames / grow_heap
// populate regions when they need them (out_of_memory when Xen refuses or the
// limit is reached). `held`: the frames Xen counts against us now.
struct OnDemandReport {
    size_t given_frames;     // given back now
    size_t empty_regions, regions;
    size_t free_frames;      // still free in the allocator (the reserve)
    unsigned long held_frames;
    unsigned long p2m_max_pfn;  // where the published p2m ends now
};
OnDemandReport start_on_demand(unsigned long held);
bool on_demand_enabled();
// Gives back whole free regions beyond the reserve, as many frames as stayed
// free since the previous call (kernel/mm/free_low_water.h). Returns frames
// given back. Called every few seconds (main/idle_memory_reclaimer.cpp).
size_t give_back_idle();
unsigned long held_frames();
unsigned long frame_limit();  // BackedRegions::kNoLimit: none
// The most frames we may hold (xl mem-set's memory/target). Gives back whole
// free regions, reserve included, until we hold no more; returns frames given
// back (the caller logs what could not go).
size_t set_frame_limit(unsigned long frames);
// The end of the p2m to publish (xen::publish_p2m): all of it until free
// memory lives in Xen, then the populated frames plus slack, growing as they
// do (kernel/mm/p2m_coverage.h). In a new domain it starts afresh from what is
// populated now.
unsigned long p2m_max_pfn(bool new_domain);
// After a resume into a new domain: frames the toolstack backed in empty
// regions go back; `held` is what Xen counts now. Returns frames given back.
size_t after_new_domain(unsigned long held);

}  // namespace torpor::memory
