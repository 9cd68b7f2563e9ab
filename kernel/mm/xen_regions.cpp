#include "kernel/mm/xen_regions.h"

#include "arch/x86_64/direct_map.h"
#include "xen/hypercalls.h"
#include "xen/p2m.h"

namespace torpor::memory {

namespace {

constexpr unsigned long kRegion = BackedRegions::kFrames;
constexpr unsigned kRegionOrder = 9;  // 2^9 frames: a region as one Xen extent
constexpr unsigned long kInvalidMfn = ~0ul;

void set_p2m(unsigned long first, const unsigned long* mfns) {
    for (size_t j = 0; j < kRegion; ++j) xen::p2m().set(first + j, mfns ? mfns[j] : kInvalidMfn);
}

// Frame by frame when Xen has no free 2 MiB extent; all or nothing.
bool populate_frames(unsigned long first) {
    unsigned long frames[kRegion];
    for (size_t j = 0; j < kRegion; ++j) frames[j] = first + j;
    long got = xen::populate_physmap(frames, kRegion);
    if (got == long(kRegion)) {
        set_p2m(first, frames);
        return true;
    }
    if (got > 0) (void)xen::decrease_reservation(frames, size_t(got));
    return false;
}

}  // namespace

size_t XenRegions::populate(const unsigned long* firsts, size_t n) {
    constexpr size_t kMax = 16;
    if (n > kMax) n = kMax;
    unsigned long extents[kMax];
    for (size_t i = 0; i < n; ++i) extents[i] = firsts[i];
    long done = xen::populate_physmap(extents, n, kRegionOrder);
    size_t as_extent = done > 0 ? size_t(done) : 0;
    size_t ok = 0;
    for (size_t i = 0; i < n; ++i) {
        unsigned long first = firsts[i];
        if (i < as_extent) {
            for (size_t j = 0; j < kRegion; ++j) xen::p2m().set(first + j, extents[i] + j);
            ++populated_as_extent;
        } else if (populate_frames(first)) {
            ++populated_frame_by_frame;
        } else {
            // Xen has no memory for us (host full or over our maximum). The
            // extents already populated past this one go back.
            for (size_t k = i + 1; k < as_extent; ++k) {
                unsigned long mfn = extents[k];
                (void)xen::decrease_reservation(&mfn, 1, kRegionOrder);
            }
            ++refused;
            break;
        }
        if (arch::hook_direct_region(first) != Error::none) {
            unsigned long mfn = xen::p2m().mfn(first);
            set_p2m(first, nullptr);
            (void)xen::decrease_reservation(&mfn, 1, kRegionOrder);
            ++refused;
            break;
        }
        ++ok;
    }
    // Nothing may still translate through an entry from before the region went.
    if (ok) (void)xen::flush_all_tlbs();
    return ok;
}

bool XenRegions::release(unsigned long first) {
    unsigned long mfns[kRegion];
    bool contiguous = true;
    for (size_t j = 0; j < kRegion; ++j) {
        mfns[j] = xen::p2m().mfn(first + j);
        if (mfns[j] == kInvalidMfn || mfns[j] != mfns[0] + j) contiguous = false;
    }
    for (size_t j = 0; j < kRegion; ++j)
        if (mfns[j] == kInvalidMfn) return false;  // not ours to give
    if (arch::unhook_direct_region(first) != Error::none) return false;
    // Every vCPU forgets the region's translations before the frames go.
    (void)xen::flush_all_tlbs();
    if (contiguous) {
        unsigned long extent = mfns[0];
        if (xen::decrease_reservation(&extent, 1, kRegionOrder) == 1) {
            set_p2m(first, nullptr);
            ++released;
            ++released_as_extent;
            return true;
        }
    }
    // Frame by frame; an extent Xen gave up on part way is reported as not
    // done, so the M2P says what it really freed (it unlinks them from their pfn).
    long given = xen::decrease_reservation(mfns, kRegion);
    if (given == long(kRegion)) {
        set_p2m(first, nullptr);
        ++released;
        return true;
    }
    // Some went: take them back so the region is whole and usable again.
    unsigned long pfns[kRegion];
    size_t missing = 0;
    for (size_t j = 0; j < kRegion; ++j)
        if (xen::pfn_of_mfn(mfns[j]) != first + j) pfns[missing++] = first + j;
    unsigned long frames[kRegion];
    for (size_t k = 0; k < missing; ++k) frames[k] = pfns[k];
    long got = missing ? xen::populate_physmap(frames, missing) : 0;
    if (got == long(missing)) {
        for (size_t k = 0; k < missing; ++k) xen::p2m().set(pfns[k], frames[k]);
        if (arch::hook_direct_region(first) == Error::none) return false;
    } else if (got > 0) {
        (void)xen::decrease_reservation(frames, size_t(got));
    }
    // Neither whole nor given back: give back what is still ours and count the
    // region as empty (its table stays parked; populate starts it afresh).
    size_t n = 0;
    for (size_t j = 0; j < kRegion; ++j) {
        unsigned long mfn = xen::p2m().mfn(first + j);
        if (mfn != kInvalidMfn && xen::pfn_of_mfn(mfn) == first + j) mfns[n++] = mfn;
        xen::p2m().set(first + j, kInvalidMfn);
    }
    if (n) (void)xen::decrease_reservation(mfns, n);
    ++released;
    return true;
}

size_t give_back_frames_in_empty_regions(const BackedRegions& regions) {
    size_t given = 0;
    for (size_t i = 0; i < regions.region_count(); ++i) {
        if (!regions.is_empty(i)) continue;
        unsigned long first = regions.first_pfn_of(i);
        unsigned long mfns[kRegion];
        size_t n = 0;
        for (size_t j = 0; j < kRegion; ++j) {
            unsigned long mfn = xen::p2m().mfn(first + j);
            if (mfn == kInvalidMfn) continue;
            // Only a frame that really is ours (the M2P agrees) is handed back.
            if (xen::owned_pfn_of_mfn(mfn) == first + j) mfns[n++] = mfn;
            xen::p2m().set(first + j, kInvalidMfn);
        }
        if (n) {
            long got = xen::decrease_reservation(mfns, n);
            given += got > 0 ? size_t(got) : 0;
        }
    }
    return given;
}

}  // namespace torpor::memory
