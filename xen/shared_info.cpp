#include "xen/shared_info.h"

#include "arch/x86_64/layout.h"
#include "xen/hypercalls.h"
#include "xen/p2m.h"
#include "xen/page_flags.h"

namespace xen {

namespace {
alignas(4096) unsigned char shared_info_page[4096];
constexpr unsigned kBitsPerWord = sizeof(xen_ulong_t) * 8;
}  // namespace

shared_info* shared() { return reinterpret_cast<shared_info*>(shared_info_page); }

long map_shared_info(unsigned long machine_address) {
    return update_va_mapping(reinterpret_cast<unsigned long>(shared_info_page),
                             machine_address | kPageWritableFlags, UVMF_INVLPG);
}

long unmap_shared_info() {
    auto va = reinterpret_cast<unsigned long>(shared_info_page);
    unsigned long own_mfn = p2m().mfn(arch::pfn_of_virt(va));
    return update_va_mapping(va, (uint64_t(own_mfn) << 12) | kPageWritableFlags, UVMF_INVLPG);
}

void clear_pending(evtchn_port_t port) {
    __atomic_fetch_and(&shared()->evtchn_pending[port / kBitsPerWord],
                       ~(xen_ulong_t(1) << (port % kBitsPerWord)), __ATOMIC_SEQ_CST);
}

bool is_pending(evtchn_port_t port) {
    return (__atomic_load_n(&shared()->evtchn_pending[port / kBitsPerWord], __ATOMIC_ACQUIRE) >>
            (port % kBitsPerWord)) & 1;
}

}  // namespace xen
