#include "kernel/mm/balloon.h"

#include <string.h>

#include "arch/x86_64/direct_map.h"
#include "arch/x86_64/layout.h"
#include "base/log.h"
#include "kernel/boot_options.h"
#include "kernel/device_hooks.h"
#include "kernel/memory.h"
#include "kernel/mm/region_adoption.h"
#include "kernel/mm/release_units.h"
#include "kernel/time/clock.h"
#include "xen/hypercalls.h"
#include "xen/p2m.h"

namespace torpor::balloon {

namespace {

constexpr size_t kReserveFrames = 512;  // 2 MiB left for the rest of the suspend path and the
                                        // resume path until the balloon has repopulated
constexpr size_t kBatch = 256;          // single frames per hypercall
constexpr unsigned long kRegion = arch::kFramesPerRegion;
constexpr unsigned kRegionOrder = 9;    // 2^9 frames: a region as one Xen extent
constexpr unsigned long kInvalidMfn = ~0ul;

bool enabled = true;
// The pfns given back, ascending, kept in frames of our own. A whole region
// (kRegion aligned, consecutive pfns) in this list has its L1 table unhooked;
// any other frame in it has a cleared direct-map entry.
unsigned long* released = nullptr;
size_t released_count = 0;
unsigned long storage_first = 0;
size_t storage_frames = 0;

struct Timing {
    uint64_t unmap_ns = 0, xen_ns = 0;  // page-table work, memory hypercalls
    size_t region_count = 0;
    size_t extent_count = 0;  // regions that went as one 2 MiB extent
};

uint64_t since(uint64_t start_ns) { return clock::monotonic_ns() - start_ns; }

void give_back_storage() {
    if (storage_frames) (void)memory::free_frames(storage_first, storage_frames);
    storage_frames = 0;
    released = nullptr;
    released_count = 0;
}

ReleaseUnit unit_at(size_t i) {
    return next_release_unit(released, released_count, i, kRegion, kBatch);
}

void reverse(unsigned long* a, size_t n) {
    for (size_t i = 0; i < n / 2; ++i) {
        unsigned long t = a[i];
        a[i] = a[n - 1 - i];
        a[n - 1 - i] = t;
    }
}

// Gives back the region at released[i]. Returns how many of its frames Xen
// took: kRegion, or fewer if it refused some. Then the frames it took are
// moved to the front of the region's entries and the others are mapped again.
size_t give_back_region(size_t i, Timing& t) {
    unsigned long first = released[i];
    unsigned long mfns[kRegion];
    bool contiguous = true;
    for (size_t j = 0; j < kRegion; ++j) {
        mfns[j] = xen::p2m().mfn(first + j);
        if (mfns[j] != mfns[0] + j) contiguous = false;
    }
    uint64_t t0 = clock::monotonic_ns();
    if (arch::unhook_direct_region(first) != Error::none) return 0;
    t.unmap_ns += since(t0);
    t0 = clock::monotonic_ns();
    bool all_taken;
    if (contiguous) {
        unsigned long extent = mfns[0];
        all_taken = xen::decrease_reservation(&extent, 1, kRegionOrder) == 1;
        t.extent_count += all_taken;
    } else {
        all_taken = xen::decrease_reservation(mfns, kRegion) == long(kRegion);
    }
    t.xen_ns += since(t0);
    ++t.region_count;
    if (all_taken) {
        for (size_t j = 0; j < kRegion; ++j) xen::p2m().set(first + j, kInvalidMfn);
        return kRegion;
    }
    // An extent Xen gave up on part way is reported as not done: the M2P says
    // which frames it really freed (it unlinks them from their pfn).
    size_t taken = 0;
    for (size_t j = 0; j < kRegion; ++j) {
        if (xen::pfn_of_mfn(mfns[j]) == first + j) continue;
        xen::p2m().set(first + j, kInvalidMfn);
        released[i + taken++] = first + j;
    }
    for (size_t j = 0, k = taken; j < kRegion; ++j)
        if (xen::p2m().mfn(first + j) != kInvalidMfn) released[i + k++] = first + j;
    if (arch::hook_direct_region(first) != Error::none) {
        // Unmapped, so not usable: keep all of them out of the allocator.
        klog("balloon: cannot map pfns %#lx.. again after Xen refused them; %zu KiB lost",
             first, (kRegion - taken) * 4);
        return kRegion;
    }
    return taken;
}

// Gives back released[i, i + n), frames outside whole regions. Returns how
// many Xen took (the first ones); the rest are mapped again.
size_t give_back_singles(size_t i, size_t n, Timing& t) {
    unsigned long mfns[kBatch];
    for (size_t j = 0; j < n; ++j) mfns[j] = xen::p2m().mfn(released[i + j]);
    uint64_t t0 = clock::monotonic_ns();
    // Nothing may map a frame we no longer own when the toolstack walks our page tables.
    if (arch::remap_direct_frames(released + i, nullptr, n) != Error::none) {
        (void)arch::remap_direct_frames(released + i, mfns, n);
        return 0;
    }
    t.unmap_ns += since(t0);
    t0 = clock::monotonic_ns();
    long given = xen::decrease_reservation(mfns, n);
    t.xen_ns += since(t0);
    size_t taken = given > 0 ? size_t(given) : 0;
    for (size_t j = 0; j < taken; ++j) xen::p2m().set(released[i + j], kInvalidMfn);
    if (taken < n) (void)arch::remap_direct_frames(released + i + taken, mfns + taken, n - taken);
    return taken;
}

Error release_free_memory() {
    if (!enabled) return Error::none;
    size_t free_now = memory::free_frame_count();
    if (free_now <= kReserveFrames + 16) return Error::none;
    size_t wanted = free_now - kReserveFrames;
    storage_frames = (wanted * sizeof(unsigned long) + arch::kPageSize - 1) / arch::kPageSize;
    auto storage = memory::allocate_frames(storage_frames);
    if (storage.is_error()) {
        storage_frames = 0;
        return Error::none;  // nothing to gain; not a reason to refuse the suspend
    }
    storage_first = storage.value();
    released = arch::ptr_of_pfn<unsigned long>(storage_first);
    // Highest frames first, leaving room above the heap, which grows upwards.
    unsigned long lowest = memory::heap_end_frame() + kReserveFrames / 4;
    size_t taken = memory::take_free_frames(lowest, released, wanted - storage_frames);
    reverse(released, taken);
    released_count = taken;
    Timing t;
    size_t done = 0;
    while (done < released_count) {
        ReleaseUnit u = unit_at(done);
        size_t unit = u.count;
        size_t given = u.whole_region ? give_back_region(done, t) : give_back_singles(done, unit, t);
        if (given < unit) {
            klog("balloon: Xen took %zu of %zu frames; keeping the rest", given, unit);
            // What Xen took stays listed, to be repopulated; the rest is ours again.
            for (size_t j = done + given; j < released_count; ++j)
                (void)memory::free_frames(released[j], 1);
            released_count = done + given;
            break;
        }
        done += unit;
    }
    (void)xen::flush_all_tlbs();
    klog("balloon: gave %zu frames (%zu MiB; %zu whole 2 MiB regions, %zu of them as one "
         "extent) back to Xen for the suspend (unmap %llu us, decrease_reservation %llu us)",
         released_count, released_count / 256, t.region_count, t.extent_count,
         (unsigned long long)(t.unmap_ns / 1000), (unsigned long long)(t.xen_ns / 1000));
    return Error::none;
}

// After a live migration the receiver may already back a ballooned frame with
// the page it received in the first pass, and wrote that MFN into our p2m.
// Adopting it only works if the frame is ours: Xen refuses to map a frame we
// do not own, so a wrong guess costs nothing. The M2P check picks the likely
// ones first.
bool left_by_the_toolstack(unsigned long pfn) {
    unsigned long mfn = xen::p2m().mfn(pfn);
    return mfn != kInvalidMfn && xen::pfn_of_mfn(mfn) == pfn;
}

void adopt(size_t index) {
    (void)memory::free_frames(released[index], 1);
    released[index] = kInvalidMfn;  // done
}

// The hypervisor side of kernel/mm/region_adoption.h.
struct RegionOps {
    bool backed(unsigned long pfn) { return left_by_the_toolstack(pfn); }
    unsigned long mfn(unsigned long pfn) { return xen::p2m().mfn(pfn); }
    void set_mfn(unsigned long pfn, unsigned long mfn) { xen::p2m().set(pfn, mfn); }
    bool hook(unsigned long first) { return arch::hook_direct_region(first) == Error::none; }
    bool unhook(unsigned long first) { return arch::unhook_direct_region(first) == Error::none; }
    bool map(unsigned long pfn, unsigned long mfn) {
        return arch::remap_direct_frames(&pfn, &mfn, 1) == Error::none;
    }
    void give_back(unsigned long mfn) { (void)xen::decrease_reservation(&mfn, 1); }
    void adopt(size_t index) { balloon::adopt(index); }
    void adopt_region(unsigned long first) {
        (void)memory::free_frames(first, kRegion);
        for (size_t j = 0; j < kRegion; ++j) released[index + j] = kInvalidMfn;
    }
    size_t index;  // the region's first entry in `released`
};

// A region is adopted whole when it can be: its table is rewritten from the
// p2m and hooked. Frames the toolstack did not back stay for populate (the
// region, no longer whole in the list, is then handled frame by frame).
size_t adopt_region_at(size_t i) {
    unsigned long first = released[i];
    RegionOps ops{i};
    RegionAdoption r = balloon::adopt_region<kRegion>(first, i, ops);
    if (r.frame_by_frame)
        klog("balloon: Xen refused the region at pfn %#lx whole; adopted %zu of its frames one "
             "by one, handed %zu back", first, r.adopted, r.refused);
    if (r.adopted == 0 && !r.still_parked) {
        // Hooked but empty and it cannot be parked again: populate would not
        // find it parked. Its frames stay out (the guest runs that much smaller).
        klog("balloon: the region at pfn %#lx cannot be parked again; 2 MiB lost", first);
        for (size_t j = 0; j < kRegion; ++j) released[i + j] = kInvalidMfn;
    }
    return r.adopted;
}

// Single frames, mapped in batches; a batch that fails is retried frame by
// frame to find the frames that are not ours.
size_t adopt_singles(size_t i, size_t n) {
    size_t index[kBatch];
    unsigned long pfns[kBatch], mfns[kBatch];
    size_t queued = 0, adopted = 0;
    for (size_t j = i; j < i + n; ++j) {
        if (!left_by_the_toolstack(released[j])) {
            xen::p2m().set(released[j], kInvalidMfn);
            continue;
        }
        index[queued] = j;
        pfns[queued] = released[j];
        mfns[queued] = xen::p2m().mfn(released[j]);
        ++queued;
    }
    if (queued == 0) return 0;
    if (arch::remap_direct_frames(pfns, mfns, queued) == Error::none) {
        for (size_t k = 0; k < queued; ++k) adopt(index[k]);
        return queued;
    }
    for (size_t k = 0; k < queued; ++k) {
        if (arch::remap_direct_frames(&pfns[k], &mfns[k], 1) == Error::none) {
            adopt(index[k]);
            ++adopted;
        } else {
            // Not mappable: if the frame is ours after all it goes back to Xen
            // rather than staying counted against us (Xen refuses it otherwise).
            xen::p2m().set(pfns[k], kInvalidMfn);
            (void)xen::decrease_reservation(&mfns[k], 1);
        }
    }
    return adopted;
}

size_t adopt_frames_left_by_the_toolstack() {
    size_t adopted = 0;
    for (size_t i = 0; i < released_count;) {
        ReleaseUnit u = unit_at(i);
        adopted += u.whole_region ? adopt_region_at(i) : adopt_singles(i, u.count);
        i += u.count;
    }
    return adopted;
}

// Populates the region at released[i] (one 2 MiB extent if Xen has one, else
// frame by frame) and hooks its table. Returns how many frames came back; they
// are the first ones and go to the allocator.
size_t populate_region(size_t i, Timing& t) {
    unsigned long first = released[i];
    uint64_t t0 = clock::monotonic_ns();
    size_t got = 0;
    unsigned long extent = first;
    if (xen::populate_physmap(&extent, 1, kRegionOrder) == 1) {
        for (size_t j = 0; j < kRegion; ++j) xen::p2m().set(first + j, extent + j);
        got = kRegion;
        ++t.extent_count;
    } else {
        unsigned long frames[kRegion];
        for (size_t j = 0; j < kRegion; ++j) frames[j] = first + j;
        long n = xen::populate_physmap(frames, kRegion);
        got = n > 0 ? size_t(n) : 0;
        for (size_t j = 0; j < got; ++j) xen::p2m().set(first + j, frames[j]);
    }
    t.xen_ns += since(t0);
    t0 = clock::monotonic_ns();
    if (arch::hook_direct_region(first) != Error::none) {
        klog("balloon: cannot map the region at pfn %#lx again", first);
        return 0;
    }
    t.unmap_ns += since(t0);
    ++t.region_count;
    if (got) (void)memory::free_frames(first, got);
    return got;
}

size_t populate_singles(size_t i, size_t n, Timing& t) {
    unsigned long frames[kBatch];
    memcpy(frames, released + i, n * sizeof(unsigned long));
    uint64_t t0 = clock::monotonic_ns();
    long got = xen::populate_physmap(frames, n);
    t.xen_ns += since(t0);
    size_t ok = got > 0 ? size_t(got) : 0;
    for (size_t j = 0; j < ok; ++j) xen::p2m().set(released[i + j], frames[j]);
    t0 = clock::monotonic_ns();
    if (ok && arch::remap_direct_frames(released + i, frames, ok) != Error::none) return 0;
    t.unmap_ns += since(t0);
    for (size_t j = 0; j < ok; ++j) (void)memory::free_frames(released[i + j], 1);
    return ok;
}

Error repopulate(bool) {
    if (!released) return Error::none;
    // Frames the restore already backed first, so that populating the rest
    // does not spend the domain's allowance on frames that have memory.
    size_t total = released_count;
    size_t adopted = adopt_frames_left_by_the_toolstack();
    size_t kept = 0;
    for (size_t i = 0; i < released_count; ++i)
        if (released[i] != kInvalidMfn) released[kept++] = released[i];
    released_count = kept;
    if (adopted) klog("balloon: adopted %zu frames the restore had already populated", adopted);
    Timing t;
    size_t restored = 0;
    Error result = Error::none;
    for (size_t i = 0; i < released_count;) {
        ReleaseUnit u = unit_at(i);
        size_t unit = u.count;
        size_t got = u.whole_region ? populate_region(i, t) : populate_singles(i, unit, t);
        restored += got;
        if (got < unit) {
            // The rest stay out of the allocator: they have no memory behind them.
            result = Error::out_of_memory;
            break;
        }
        i += unit;
    }
    // Nothing may still translate through an entry from before the suspend.
    (void)xen::flush_all_tlbs();
    restored += adopted;
    if (restored == total)
        klog("balloon: %zu frames back (%zu adopted, %zu populated; %zu whole 2 MiB regions, "
             "%zu of them as one extent; populate_physmap %llu us, map %llu us)",
             total, adopted, restored - adopted, t.region_count, t.extent_count,
             (unsigned long long)(t.xen_ns / 1000), (unsigned long long)(t.unmap_ns / 1000));
    else
        klog("balloon: only %zu of %zu frames back: Xen refused the rest; running with %zu MiB "
             "less", restored, total, (total - restored) / 256);
    give_back_storage();
    return result;
}

}  // namespace

bool is_enabled() { return enabled; }

Error init() {
    auto option = boot_options::find(boot_options::command_line(), "balloon");
    enabled = !option.is("off");
    if (option.found && enabled && !option.is("on"))
        klog("balloon: unknown setting \"balloon=%.*s\" (want on or off); leaving it on",
             int(option.length), option.text);
    klog("balloon: suspend-time balloon %s", enabled ? "on" : "off");
    return devices::register_hooks({"balloon", release_free_memory, repopulate});
}

}  // namespace torpor::balloon
