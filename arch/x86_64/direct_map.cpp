#include "arch/x86_64/direct_map.h"

#include <string.h>

#include "arch/x86_64/layout.h"
#include "kernel/log.h"
#include "xen/hypercalls.h"
#include "xen/p2m.h"
#include "xen/page_flags.h"

namespace arch {

namespace {

using torpor::Error;
using torpor::ErrorOr;

// A PV guest may not write its page tables directly: every entry goes through
// HYPERVISOR_mmu_update (ptr = machine address of the entry | MMU_NORMAL_PT_UPDATE,
// xen/xen.h), and a frame can become a page table only once no writable mapping
// of it remains.
class DirectMapBuilder {
public:
    DirectMapBuilder(uint64_t* l4, unsigned long first_free_pfn)
        : l4_(l4), next_free_pfn_(first_free_pfn) {}

    Error map(unsigned long pfn) {
        uintptr_t va = virt_of_pfn(pfn);
        auto l3 = child_table(l4_, (va >> 39) & 511, pfn);
        if (l3.is_error()) return l3.error();
        auto l2 = child_table(l3.value(), (va >> 30) & 511, pfn);
        if (l2.is_error()) return l2.error();
        auto l1 = child_table(l2.value(), (va >> 21) & 511, pfn);
        if (l1.is_error()) return l1.error();
        unsigned index = (va >> 12) & 511;
        if (l1.value()[index] & xen::kPagePresent) return Error::none;
        uint64_t entry = (uint64_t(xen::p2m().mfn(pfn)) << kPageShift) | xen::kPageWritableFlags;
        return queue(entry_machine_address(l1.value(), index), entry);
    }

    Error flush() {
        if (queued_ == 0) return Error::none;
        unsigned done = 0;
        long rc = xen::mmu_update(batch_, queued_, &done);
        queued_ = 0;
        if (rc) {
            torpor::klog("direct map: mmu_update failed rc=%ld after %u entries", rc, done);
            return Error::hypercall_failed;
        }
        return Error::none;
    }

    unsigned long next_free_pfn() const { return next_free_pfn_; }

private:
    static uint64_t* table_of_entry(uint64_t entry) {
        unsigned long mfn = (entry & xen::kPageAddressMask) >> kPageShift;
        return ptr_of_pfn<uint64_t>(xen::pfn_of_mfn(mfn));
    }

    static uint64_t entry_machine_address(uint64_t* table, unsigned index) {
        unsigned long mfn = xen::p2m().mfn(pfn_of_virt(reinterpret_cast<uintptr_t>(table)));
        return (uint64_t(mfn) << kPageShift) + index * sizeof(uint64_t);
    }

    Error queue(uint64_t ptr, uint64_t val) {
        batch_[queued_].ptr = ptr | MMU_NORMAL_PT_UPDATE;
        batch_[queued_].val = val;
        if (++queued_ == kBatch) return flush();
        return Error::none;
    }

    // Returns the table under parent[index], creating it from the next free
    // frame (which is already mapped, below the frame being mapped) if absent.
    ErrorOr<uint64_t*> child_table(uint64_t* parent, unsigned index, unsigned long mapping_pfn) {
        if (parent[index] & xen::kPagePresent) return table_of_entry(parent[index]);
        unsigned long frame = next_free_pfn_++;
        if (frame >= mapping_pfn) return Error::out_of_memory;  // would not be mapped yet
        Error e = flush();
        if (e != Error::none) return e;
        uint64_t* table = ptr_of_pfn<uint64_t>(frame);
        memset(table, 0, kPageSize);
        uint64_t mfn = xen::p2m().mfn(frame);
        if (xen::update_va_mapping(virt_of_pfn(frame), (mfn << kPageShift) | xen::kPageReadOnlyFlags,
                                   UVMF_INVLPG))
            return Error::hypercall_failed;
        e = queue(entry_machine_address(parent, index), (mfn << kPageShift) | xen::kPageTableFlags);
        if (e == Error::none) e = flush();
        if (e != Error::none) return e;
        return table;
    }

    static constexpr unsigned kBatch = 256;
    uint64_t* l4_;
    unsigned long next_free_pfn_;
    mmu_update_t batch_[kBatch];
    unsigned queued_ = 0;
};

uintptr_t l4_root = 0;

}  // namespace

uintptr_t page_table_root() { return l4_root; }

Error remap_direct_frames(const unsigned long* pfns, const unsigned long* mfns, size_t count) {
    constexpr size_t kBatch = 128;
    mmu_update_t batch[kBatch];
    size_t queued = 0;
    auto flush = [&]() -> Error {
        unsigned done = 0;
        if (queued && xen::mmu_update(batch, unsigned(queued), &done)) return Error::hypercall_failed;
        queued = 0;
        return Error::none;
    };
    for (size_t i = 0; i < count; ++i) {
        uintptr_t va = virt_of_pfn(pfns[i]);
        auto* table = reinterpret_cast<uint64_t*>(l4_root);
        for (int shift = 39; shift > 12; shift -= 9) {
            uint64_t entry = table[(va >> shift) & 511];
            if (!(entry & xen::kPagePresent)) return Error::not_found;
            unsigned long table_mfn = (entry & xen::kPageAddressMask) >> kPageShift;
            table = ptr_of_pfn<uint64_t>(xen::pfn_of_mfn(table_mfn));
        }
        unsigned long l1_mfn = xen::p2m().mfn(pfn_of_virt(reinterpret_cast<uintptr_t>(table)));
        batch[queued].ptr = ((uint64_t(l1_mfn) << kPageShift) + ((va >> 12) & 511) * 8) |
                            MMU_NORMAL_PT_UPDATE;
        batch[queued].val = mfns ? (uint64_t(mfns[i]) << kPageShift) | xen::kPageWritableFlags : 0;
        if (++queued == kBatch) {
            if (Error e = flush(); e != Error::none) return e;
        }
    }
    return flush();
}

ErrorOr<DirectMap> build_direct_map(unsigned long l4_virtual, unsigned long nr_pages,
                                    unsigned long first_free_pfn) {
    l4_root = l4_virtual;
    unsigned long limit = nr_pages < kMaxDirectMappedPages ? nr_pages : kMaxDirectMappedPages;
    if (limit < nr_pages)
        torpor::klog("direct map: only the first %lu of %lu pages fit below 2 GiB", limit,
                     nr_pages);
    // Static: the mmu_update batch is too large for the boot stack.
    static DirectMapBuilder builder(reinterpret_cast<uint64_t*>(l4_virtual), first_free_pfn);
    for (unsigned long pfn = 0; pfn < limit; ++pfn) {
        Error e = builder.map(pfn);
        if (e != Error::none) {
            torpor::klog("direct map: mapping pfn %#lx failed: %s", pfn, torpor::error_name(e));
            return e;
        }
    }
    Error e = builder.flush();
    if (e != Error::none) return e;
    return DirectMap{limit, builder.next_free_pfn()};
}

}  // namespace arch
