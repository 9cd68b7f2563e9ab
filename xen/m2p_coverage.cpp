#include "xen/m2p_coverage.h"

namespace xen {

void M2pCoverage::init(const uint64_t* bases, unsigned count) {
    if (count > kMaxExtents) count = kMaxExtents;
    for (auto& word : present_) word = 0;
    holes_ = 0;
    bound_only_ = false;
    for (unsigned i = 0; i < count; ++i) {
        bool hole = bases[i] == 0 || (i > 0 && bases[i] == bases[i - 1]);
        if (hole)
            ++holes_;
        else
            present_[i / 64] |= uint64_t(1) << (i % 64);
    }
    limit_ = count * kEntriesPerExtent;
}

void M2pCoverage::init_bound_only(unsigned long mfn_limit) {
    bound_only_ = true;
    holes_ = 0;
    limit_ = mfn_limit;
}

bool M2pCoverage::readable(unsigned long mfn) const {
    if (mfn >= limit_) return false;
    if (bound_only_) return true;
    unsigned long extent = mfn / kEntriesPerExtent;
    return (present_[extent / 64] >> (extent % 64)) & 1;
}

}  // namespace xen
