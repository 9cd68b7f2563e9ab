#include "kernel/mm/guarded_stack.h"

#include "arch/x86_64/direct_map.h"
#include "arch/x86_64/layout.h"
#include "base/assert.h"
#include "base/log.h"
#include "kernel/memory.h"

namespace torpor::memory {

namespace {

size_t pages_for(size_t size) { return (size + arch::kPageSize - 1) / arch::kPageSize; }

}  // namespace

ErrorOr<void*> allocate_guarded_stack(size_t size) {
    if (size == 0) return Error::invalid_argument;
    size_t frames = pages_for(size) + 1;
    unsigned long guard = TRY(allocate_frames(frames));
    if (Error e = arch::unmap_direct_page(guard); e != Error::none) {
        (void)free_frames(guard, frames);
        return e;
    }
    return arch::ptr_of_pfn<void>(guard + 1);
}

void free_guarded_stack(void* bottom, size_t size) {
    if (!bottom) return;
    unsigned long guard = arch::pfn_of_virt(reinterpret_cast<uintptr_t>(bottom)) - 1;
    if (arch::map_direct_page(guard) != Error::none) {
        // An unmapped frame must never go back to the allocator: keep all of them.
        klog("stack: cannot map the guard page at pfn %#lx back; %zu KiB not reused", guard,
             (pages_for(size) + 1) * 4);
        return;
    }
    Error e = free_frames(guard, pages_for(size) + 1);
    VERIFY(e == Error::none);  // a stack freed twice, or never ours
}

void verify_guard_page(const void* bottom) {
    if (!bottom) return;
    unsigned long guard = arch::pfn_of_virt(reinterpret_cast<uintptr_t>(bottom)) - 1;
    VERIFY(!arch::direct_page_mapped(guard));
}

}  // namespace torpor::memory
