// Which machine frames have an M2P entry we may read. Xen maps its
// machine-to-phys table read-only into every PV guest at
// MACH2PHYS_VIRT_START (arch-x86/xen-x86_64.h), but only the 2 MiB pieces
// that describe RAM: reading an entry in a hole, or beyond the end of the
// table, faults. MFNs that come from another domain (start_info after a
// restore, p2m entries the toolstack wrote) are looked up only through this.
//
// XENMEM_machphys_mfn_list (memory.h) lists the MFN base of each 2 MiB piece
// up to the highest RAM frame (max_page); on x86_64 Xen reports a piece that
// is not mapped with the base of the previous one (0 when there is none), so
// a repeated base marks a hole. Pure (host-tested).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace xen {

class M2pCoverage {
public:
    static constexpr unsigned long kEntriesPerExtent = (2ul << 20) / sizeof(unsigned long);
    static constexpr unsigned kMaxExtents = 4096;  // 4 TiB of machine memory

    // `bases`: XENMEM_machphys_mfn_list's answer, `count` of them (at most
    // kMaxExtents are used).
    void init(const uint64_t* bases, unsigned count);
    // Without the list: entries below `mfn_limit` are taken as readable.
    void init_bound_only(unsigned long mfn_limit);

    bool readable(unsigned long mfn) const;
    // One past the highest MFN with an entry (Linux's machine_to_phys_nr).
    unsigned long limit() const { return limit_; }
    unsigned holes() const { return holes_; }

private:
    uint64_t present_[kMaxExtents / 64] = {};
    unsigned long limit_ = 0;
    unsigned holes_ = 0;
    bool bound_only_ = false;
};

}  // namespace xen
