#include "kernel/memory.h"

#include "arch/x86_64/direct_map.h"
#include "arch/x86_64/layout.h"
#include "base/log.h"
#include "base/spinlock.h"
#include "xen/event_mask.h"
#include "xen/p2m.h"

extern "C" char __image_end[];

namespace torpor::memory {

namespace {

PageAllocator allocator;
Heap c_heap;

unsigned long pfn_after(uintptr_t virtual_end) {
    return (virtual_end - arch::kVirtBase + arch::kPageSize - 1) >> arch::kPageShift;
}

unsigned long max_of(unsigned long a, unsigned long b) { return a > b ? a : b; }

// The domain builder lays out, in pfn order: the image, the p2m list, start_info,
// the xenstore and console pages, the bootstrap page tables and one stack page
// (libxenguest's PV x86 builder). Everything from here on is free.
unsigned long first_pfn_after_bootstrap(const start_info& si) {
    unsigned long end = pfn_after(reinterpret_cast<uintptr_t>(__image_end));
    end = max_of(end, pfn_after(si.mfn_list + si.nr_pages * sizeof(unsigned long)));
    end = max_of(end, pfn_after(reinterpret_cast<uintptr_t>(&si) + sizeof(si)));
    for (unsigned long mfn : {si.store_mfn, static_cast<unsigned long>(si.console.domU.mfn)}) {
        unsigned long pfn = xen::owned_pfn_of_mfn(mfn);  // kNoFrame: not ours, not reserved here
        if (pfn != xen::kNoFrame) end = max_of(end, pfn + 1);
    }
    if (si.mod_start && si.mod_len) end = max_of(end, pfn_after(si.mod_start + si.mod_len));
    end = max_of(end, arch::pfn_of_virt(si.pt_base) + si.nr_pt_frames);
    return end + 1;  // the bootstrap stack page follows the page tables
}

}  // namespace

namespace {
Spinlock allocator_lock;
}  // namespace

ErrorOr<unsigned long> allocate_frames(size_t count) {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    return allocator.allocate_run(count);
}

Error free_frames(unsigned long first, size_t count) {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    return allocator.free(first, count);
}

ErrorOr<uintptr_t> grow_heap(ptrdiff_t delta) {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    return c_heap.grow(delta);
}

size_t take_free_frames(unsigned long lowest, unsigned long* out, size_t max) {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    return allocator.take_free_frames(lowest, out, max);
}

size_t free_frame_count() {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    return allocator.free_count();
}

unsigned long heap_end_frame() {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    return allocator.first_frame() + c_heap.committed_bytes() / arch::kPageSize;
}


ErrorOr<Summary> init(const start_info& si) {
    xen::p2m().init(reinterpret_cast<unsigned long*>(si.mfn_list), si.nr_pages);
    auto map = arch::build_direct_map(si.pt_base, si.nr_pages, first_pfn_after_bootstrap(si));
    if (map.is_error()) return map.error();

    // The allocator's bitmap takes the first free frames; it manages the rest.
    unsigned long first = map.value().first_free_pfn;
    unsigned long end = map.value().mapped_pages;
    if (first >= end) return Error::out_of_memory;
    size_t bitmap_bytes = PageAllocator::bitmap_words_for(end - first) * sizeof(uint64_t);
    unsigned long bitmap_pages = (bitmap_bytes + arch::kPageSize - 1) / arch::kPageSize;
    if (first + bitmap_pages >= end) return Error::out_of_memory;
    allocator.init(first + bitmap_pages, end - first - bitmap_pages,
                   arch::ptr_of_pfn<uint64_t>(first));
    c_heap.init(allocator, arch::virt_of_pfn(allocator.first_frame()), arch::kPageSize);
    return Summary{si.nr_pages, end, allocator.first_frame(), allocator.free_count()};
}

}  // namespace torpor::memory
