// Kernel half of xen/p2m_frame_list.h: where the list pages live (frames the
// caller's allocator gives) and how an address becomes a MFN.
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

}  // namespace

torpor::Error publish_p2m(AllocateFrames allocate) {
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
    shared_info* s = shared();
    s->arch.max_pfn = lists.nr_pages;
    s->arch.pfn_to_mfn_frame_list_list = root.value();
    s->arch.p2m_vaddr = 0;  // no linear p2m: the toolstack uses the lists
    return torpor::Error::none;
}

}  // namespace xen
