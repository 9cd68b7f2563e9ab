#include "xen/p2m_frame_list.h"

#include <string.h>

namespace xen {

torpor::ErrorOr<unsigned long> fill_p2m_frame_lists(
    const P2mFrameLists& l, unsigned long (*mfn_of_virtual)(const void*)) {
    if (reinterpret_cast<uintptr_t>(l.p2m) % 4096 != 0) return torpor::Error::invalid_argument;
    size_t p2m_pages = p2m_pages_for(l.nr_pages);
    size_t list_pages = frame_list_pages_for(l.nr_pages);
    if (list_pages > kMfnsPerPage) return torpor::Error::too_big;
    memset(l.frame_lists, 0xff, list_pages * 4096);  // unused slots: INVALID_MFN
    memset(l.list_of_lists, 0, 4096);
    for (size_t i = 0; i < p2m_pages; ++i)
        l.frame_lists[i] = mfn_of_virtual(reinterpret_cast<const char*>(l.p2m) + i * 4096);
    for (size_t i = 0; i < list_pages; ++i)
        l.list_of_lists[i] = mfn_of_virtual(reinterpret_cast<const char*>(l.frame_lists) + i * 4096);
    return mfn_of_virtual(l.list_of_lists);
}

}  // namespace xen
