#include "arch/x86_64/direct_map.h"

#include <string.h>

#include "arch/x86_64/layout.h"
#include "base/log.h"
#include "xen/hypercalls.h"
#include "xen/p2m.h"
#include "xen/page_flags.h"

// linker.ld's segment boundaries.
extern "C" char __text_start[], __text_end[], __rodata_end[], __image_end[];

namespace arch {

namespace {

using torpor::Error;
using torpor::ErrorOr;

// The no-execute bit for data mappings: kPageNoExecute when the CPU has NX
// (CPUID 0x80000001 EDX bit 20; a PV guest sees the host's), else 0.
uint64_t no_execute = 0;

void detect_no_execute() {
    uint32_t eax = 0x80000000, ebx, ecx, edx;
    asm volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
    if (eax < 0x80000001) return;
    eax = 0x80000001;
    asm volatile("cpuid" : "+a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx));
    if (edx & (1u << 20)) no_execute = xen::kPageNoExecute;
}

// A leaf entry for a data frame (everything in the direct map but the image's text).
uint64_t data_entry(unsigned long mfn) {
    return (uint64_t(mfn) << kPageShift) | xen::kPageWritableFlags | no_execute;
}

// The table a present entry points at, through the direct map.
uint64_t* table_of_entry(uint64_t entry) {
    unsigned long mfn = (entry & xen::kPageAddressMask) >> kPageShift;
    return ptr_of_pfn<uint64_t>(xen::pfn_of_mfn(mfn));
}

// Machine address of table[index], for an MMU_NORMAL_PT_UPDATE.
uint64_t entry_machine_address(const uint64_t* table, unsigned index) {
    unsigned long mfn = xen::p2m().mfn(pfn_of_virt(reinterpret_cast<uintptr_t>(table)));
    return (uint64_t(mfn) << kPageShift) + index * sizeof(uint64_t);
}

// A PV guest may not write its page tables directly: every entry goes through
// HYPERVISOR_mmu_update (ptr = machine address of the entry | MMU_NORMAL_PT_UPDATE,
// xen/xen.h), and a frame can become a page table only once no writable mapping
// of it remains.
class DirectMapBuilder {
public:
    DirectMapBuilder(uint64_t* l4, unsigned long first_free_pfn, unsigned long limit)
        : l4_(l4), next_free_pfn_(first_free_pfn), limit_(limit) {}

    Error map(unsigned long pfn) {
        uintptr_t va = virt_of_pfn(pfn);
        auto l3 = child_table(l4_, (va >> 39) & 511, pfn);
        if (l3.is_error()) return l3.error();
        auto l2 = child_table(l3.value(), (va >> 30) & 511, pfn);
        if (l2.is_error()) return l2.error();
        auto l1 = child_table(l2.value(), (va >> 21) & 511, pfn, /*fill_l1=*/true);
        if (l1.is_error()) return l1.error();
        unsigned index = (va >> 12) & 511;
        if (l1.value()[index] & xen::kPagePresent) return Error::none;
        return queue(entry_machine_address(l1.value(), index), data_entry(xen::p2m().mfn(pfn)));
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
    Error queue(uint64_t ptr, uint64_t val) {
        batch_[queued_].ptr = ptr | MMU_NORMAL_PT_UPDATE;
        batch_[queued_].val = val;
        if (++queued_ == kBatch) return flush();
        return Error::none;
    }

    // Returns the table under parent[index], creating it from the next free
    // frame (which is already mapped, below the frame being mapped) if absent.
    // A new L1 table is filled while it is still a plain writable page, from
    // `mapping_pfn` to the end of its 2 MiB or of memory: Xen then validates
    // it once when it is hooked, far cheaper than an mmu_update per entry.
    // None of those frames is a page table yet (tables come from below
    // mapping_pfn); one that becomes a table later is remapped read-only then.
    ErrorOr<uint64_t*> child_table(uint64_t* parent, unsigned index, unsigned long mapping_pfn,
                                   bool fill_l1 = false) {
        if (parent[index] & xen::kPagePresent) return table_of_entry(parent[index]);
        unsigned long frame = next_free_pfn_++;
        if (frame >= mapping_pfn) return Error::out_of_memory;  // would not be mapped yet
        Error e = flush();
        if (e != Error::none) return e;
        uint64_t* table = ptr_of_pfn<uint64_t>(frame);
        memset(table, 0, kPageSize);
        if (fill_l1) {
            unsigned long region_end = (mapping_pfn | 511) + 1;
            unsigned long end = region_end < limit_ ? region_end : limit_;
            for (unsigned long pfn = mapping_pfn; pfn < end; ++pfn)
                table[pfn & 511] = data_entry(xen::p2m().mfn(pfn));
        }
        uint64_t mfn = xen::p2m().mfn(frame);
        if (xen::update_va_mapping(virt_of_pfn(frame),
                                   (mfn << kPageShift) | xen::kPageReadOnlyFlags | no_execute,
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
    unsigned long limit_;  // frames [0, limit_) get mapped
    mmu_update_t batch_[kBatch];
    unsigned queued_ = 0;
};

uintptr_t l4_root = 0;

// The table that holds `va`'s entry at `level` (1: the L1 table, 2: the L2 table).
ErrorOr<uint64_t*> table_holding(uintptr_t va, int level) {
    auto* table = reinterpret_cast<uint64_t*>(l4_root);
    for (int shift = 39; shift > int(kPageShift) + 9 * (level - 1); shift -= 9) {
        uint64_t entry = table[(va >> shift) & 511];
        if (!(entry & xen::kPagePresent)) return Error::not_found;
        table = table_of_entry(entry);
    }
    return table;
}

// Machine address of `va`'s entry at `level`, for an MMU_NORMAL_PT_UPDATE.
ErrorOr<uint64_t> entry_machine_address(uintptr_t va, int level) {
    auto table = table_holding(va, level);
    if (table.is_error()) return table.error();
    return entry_machine_address(table.value(), (va >> (kPageShift + 9 * (level - 1))) & 511);
}

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
        auto entry = entry_machine_address(virt_of_pfn(pfns[i]), 1);
        if (entry.is_error()) return entry.error();
        batch[queued].ptr = entry.value() | MMU_NORMAL_PT_UPDATE;
        batch[queued].val = mfns ? data_entry(mfns[i]) : 0;
        if (++queued == kBatch) {
            if (Error e = flush(); e != Error::none) return e;
        }
    }
    return flush();
}

Error unmap_direct_page(unsigned long pfn) {
    if (pfn >= kMaxDirectMappedPages) return Error::invalid_argument;
    // UVMF_INVLPG | UVMF_ALL: drop the entry from every vCPU's TLB, or another
    // vCPU that touched the page could keep using it (xen/xen.h).
    if (xen::update_va_mapping(virt_of_pfn(pfn), 0, UVMF_INVLPG | UVMF_ALL))
        return Error::hypercall_failed;
    return Error::none;
}

Error map_direct_page(unsigned long pfn) {
    if (pfn >= kMaxDirectMappedPages) return Error::invalid_argument;
    // A not-present entry is never cached in a TLB: no flush needed.
    if (xen::update_va_mapping(virt_of_pfn(pfn), data_entry(xen::p2m().mfn(pfn)), UVMF_NONE))
        return Error::hypercall_failed;
    return Error::none;
}

bool direct_page_mapped(unsigned long pfn) {
    uintptr_t va = virt_of_pfn(pfn);
    auto l1 = table_holding(va, 1);
    return !l1.is_error() && (l1.value()[(va >> kPageShift) & 511] & xen::kPagePresent);
}

namespace {

// The L1 table of each unhooked region, by region number (0: none).
constexpr unsigned long kMaxRegions = (kMaxDirectMappedPages + kFramesPerRegion - 1) / kFramesPerRegion;
unsigned long parked_table_pfn[kMaxRegions];

ErrorOr<unsigned long> region_of(unsigned long first_pfn) {
    unsigned long region = first_pfn / kFramesPerRegion;
    if (first_pfn % kFramesPerRegion || region >= kMaxRegions) return Error::invalid_argument;
    return region;
}

mmu_update_t pt_update(uint64_t entry_address, uint64_t value) {
    return {entry_address | MMU_NORMAL_PT_UPDATE, value};
}

// Hooking and unhooking a region are two entries that must change together:
// the L2 slot naming the region's table, and the table's own direct-map entry.
struct RegionEntries {
    uint64_t l2_slot;    // machine address of the L2 entry
    uint64_t table_pte;  // machine address of the table's L1 entry
};

ErrorOr<RegionEntries> region_entries(unsigned long first_pfn, unsigned long table_pfn) {
    auto l2_slot = entry_machine_address(virt_of_pfn(first_pfn), 2);
    auto table_pte = entry_machine_address(virt_of_pfn(table_pfn), 1);
    if (l2_slot.is_error() || table_pte.is_error()) return Error::not_found;
    return RegionEntries{l2_slot.value(), table_pte.value()};
}

// Applies `first` then `second` in one hypercall; if only `first` took, puts
// it back with `undo_first`, so a failure leaves the region as it was.
Error apply_both_or_neither(mmu_update_t first, mmu_update_t second, mmu_update_t undo_first) {
    mmu_update_t reqs[2] = {first, second};
    unsigned done = 0;
    if (xen::mmu_update(reqs, 2, &done) == 0) return Error::none;
    if (done == 1) (void)xen::mmu_update(&undo_first, 1, &done);
    return Error::hypercall_failed;
}

}  // namespace

// Clearing the L2 entry drops the table's page-table type; Xen then releases
// the references its 512 entries held, in one pass. Remapping the table
// writable makes it a plain data page: the toolstack canonicalises every
// frame typed as a page table on save, and this one still names the old MFNs.
Error unhook_direct_region(unsigned long first_pfn) {
    auto region = region_of(first_pfn);
    if (region.is_error()) return region.error();
    if (parked_table_pfn[region.value()]) return Error::invalid_argument;
    uintptr_t va = virt_of_pfn(first_pfn);
    auto l2 = table_holding(va, 2);
    if (l2.is_error()) return l2.error();
    uint64_t l2_entry = l2.value()[(va >> 21) & 511];
    if (!(l2_entry & xen::kPagePresent)) return Error::not_found;
    unsigned long table_mfn = (l2_entry & xen::kPageAddressMask) >> kPageShift;
    unsigned long table_pfn = xen::pfn_of_mfn(table_mfn);
    auto at = region_entries(first_pfn, table_pfn);
    if (at.is_error()) return at.error();
    Error e = apply_both_or_neither(
        pt_update(at.value().l2_slot, 0),
        pt_update(at.value().table_pte, data_entry(table_mfn)),
        pt_update(at.value().l2_slot, l2_entry));
    if (e == Error::none) parked_table_pfn[region.value()] = table_pfn;
    return e;
}

// Xen validates the whole table when the L2 entry takes it (every entry must
// name a frame we own); it must no longer be mapped writable anywhere.
Error hook_direct_region(unsigned long first_pfn) {
    auto region = region_of(first_pfn);
    if (region.is_error()) return region.error();
    unsigned long table_pfn = parked_table_pfn[region.value()];
    if (!table_pfn) return Error::invalid_argument;
    auto at = region_entries(first_pfn, table_pfn);
    if (at.is_error()) return at.error();
    auto* table = ptr_of_pfn<uint64_t>(table_pfn);
    for (unsigned i = 0; i < kFramesPerRegion; ++i) {
        unsigned long mfn = xen::p2m().mfn(first_pfn + i);
        table[i] = mfn == ~0ul ? 0 : data_entry(mfn);
    }
    uint64_t table_frame = uint64_t(xen::p2m().mfn(table_pfn)) << kPageShift;
    // If Xen refuses the table it stays parked, writable again: still a data page.
    Error e = apply_both_or_neither(
        pt_update(at.value().table_pte, table_frame | xen::kPageReadOnlyFlags | no_execute),
        pt_update(at.value().l2_slot, table_frame | xen::kPageTableFlags),
        pt_update(at.value().table_pte, table_frame | xen::kPageWritableFlags | no_execute));
    if (e == Error::none) parked_table_pfn[region.value()] = 0;
    return e;
}

bool no_execute_enforced() { return no_execute != 0; }

Error protect_kernel_image() {
    auto text_end = reinterpret_cast<uintptr_t>(__text_end);
    auto rodata_end = reinterpret_cast<uintptr_t>(__rodata_end);
    constexpr unsigned kBatch = 64;
    mmu_update_t batch[kBatch];
    unsigned queued = 0;
    auto flush = [&]() -> Error {
        unsigned done = 0;
        if (queued && xen::mmu_update(batch, queued, &done)) {
            torpor::klog("image protection: mmu_update failed after %u of %u entries", done, queued);
            return Error::hypercall_failed;
        }
        queued = 0;
        return Error::none;
    };
    for (auto va = reinterpret_cast<uintptr_t>(__text_start);
         va < reinterpret_cast<uintptr_t>(__image_end); va += kPageSize) {
        auto l1 = TRY(table_holding(va, 1));
        unsigned index = (va >> kPageShift) & 511;
        uint64_t entry = l1[index];
        if (!(entry & xen::kPagePresent)) continue;  // a guard page
        uint64_t flags = va < text_end     ? xen::kPageReadOnlyFlags
                         : va < rodata_end ? xen::kPageReadOnlyFlags | no_execute
                                           : xen::kPageWritableFlags | no_execute;
        batch[queued].ptr = entry_machine_address(l1, index) | MMU_NORMAL_PT_UPDATE;
        batch[queued].val = (entry & xen::kPageAddressMask) | flags;
        if (++queued == kBatch) TRY(flush());
    }
    TRY(flush());
    // Xen does not flush for us: stale writable/executable entries must go.
    if (xen::flush_all_tlbs()) return Error::hypercall_failed;
    return Error::none;
}

ErrorOr<DirectMap> build_direct_map(unsigned long l4_virtual, unsigned long nr_pages,
                                    unsigned long first_free_pfn) {
    l4_root = l4_virtual;
    detect_no_execute();
    unsigned long limit = nr_pages < kMaxDirectMappedPages ? nr_pages : kMaxDirectMappedPages;
    if (limit < nr_pages)
        torpor::klog("direct map: only the first %lu of %lu pages fit below 2 GiB", limit,
                     nr_pages);
    // Static: the mmu_update batch is too large for the boot stack.
    static DirectMapBuilder builder(reinterpret_cast<uint64_t*>(l4_virtual), first_free_pfn, limit);
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
