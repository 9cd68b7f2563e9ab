// Kernel half of xen/p2m_frame_list.h: where the list pages live (frames the
// caller's allocator gives), how an address becomes a MFN, and the shared_info
// fields the toolstack reads (arch-x86/xen.h, struct arch_shared_info).
#include "arch/x86_64/direct_map.h"
#include "arch/x86_64/layout.h"
#include "base/log.h"
#include "xen/p2m.h"
#include "xen/p2m_frame_list.h"
#include "xen/shared_info.h"

namespace xen {

namespace {

P2mFrameLists lists{};

unsigned long mfn_of_virtual(const void* p) {
    return p2m().mfn(arch::pfn_of_virt(reinterpret_cast<uintptr_t>(p)));
}

unsigned long capped(unsigned long max_pfn) {
    return max_pfn < p2m().nr_pages() ? max_pfn : p2m().nr_pages();
}

// The toolstack compares p2m_generation between its reads; an odd value says
// an update is under way. Ordered against the field writes for a reader on
// another CPU (x86 keeps stores in order; the compiler must too).
void generation_step() {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    ++shared()->arch.p2m_generation;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

}  // namespace

torpor::Error publish_p2m(AllocateFrames allocate, unsigned long max_pfn) {
    if (!lists.p2m) {
        size_t pages = frame_list_pages_for(p2m().nr_pages()) + 1;
        auto first = allocate(pages);
        if (first.is_error()) return first.error();
        lists.p2m = p2m().list();
        lists.nr_pages = p2m().nr_pages();
        lists.frame_lists = arch::ptr_of_pfn<unsigned long>(first.value());
        lists.list_of_lists = arch::ptr_of_pfn<unsigned long>(first.value() + pages - 1);
    }
    auto root = fill_p2m_frame_lists(lists, mfn_of_virtual);
    if (root.is_error()) {
        torpor::klog("p2m: cannot build the frame lists: %s", torpor::error_name(root.error()));
        return root.error();
    }
    // The linear p2m: our list at its address in the direct map, reached
    // through the L4 every vCPU shares (a 64-bit guest's cr3 format is the
    // MFN shifted by 12: xen_pfn_to_cr3).
    unsigned long l4_mfn = mfn_of_virtual(reinterpret_cast<const void*>(arch::page_table_root()));
    unsigned long cr3 = xen_pfn_to_cr3(l4_mfn);
    unsigned long vaddr = reinterpret_cast<unsigned long>(p2m().list());
    unsigned long end = capped(max_pfn);
    shared_info* s = shared();
    bool changed = s->arch.max_pfn != end || s->arch.p2m_cr3 != cr3 ||
                   s->arch.p2m_vaddr != vaddr ||
                   s->arch.pfn_to_mfn_frame_list_list != root.value();
    if (!changed) return torpor::Error::none;
    if (s->arch.p2m_generation & 1) ++s->arch.p2m_generation;  // never left odd
    generation_step();
    s->arch.max_pfn = end;
    s->arch.pfn_to_mfn_frame_list_list = root.value();
    s->arch.p2m_vaddr = vaddr;
    s->arch.p2m_cr3 = cr3;
    generation_step();
    return torpor::Error::none;
}

void set_p2m_max_pfn(unsigned long max_pfn) {
    unsigned long end = capped(max_pfn);
    shared_info* s = shared();
    if (s->arch.max_pfn == end) return;
    generation_step();
    s->arch.max_pfn = end;
    generation_step();
}

void bump_p2m_generation() {
    generation_step();
    generation_step();
}

unsigned long published_p2m_max_pfn() { return shared()->arch.max_pfn; }

}  // namespace xen
