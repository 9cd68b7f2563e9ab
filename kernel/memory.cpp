#include "kernel/memory.h"

#include "arch/x86_64/direct_map.h"
#include "arch/x86_64/layout.h"
#include "base/log.h"
#include "base/spinlock.h"
#include "kernel/mm/backed_regions.h"
#include "kernel/mm/free_low_water.h"
#include "kernel/mm/p2m_coverage.h"
#include "kernel/mm/run_zone.h"
#include "kernel/mm/xen_regions.h"
#include "xen/event_mask.h"
#include "xen/p2m.h"
#include "xen/p2m_frame_list.h"

extern "C" char __image_end[];

namespace torpor::memory {

namespace {

PageAllocator allocator;
Heap c_heap;

unsigned long pfn_after(uintptr_t virtual_end) {
    return (virtual_end - arch::kVirtBase + arch::kPageSize - 1) >> arch::kPageShift;
}

unsigned long max_of(unsigned long a, unsigned long b) { return a > b ? a : b; }

// The domain builder lays out, in pfn order: the image, the p2m list, start_info,
// the xenstore and console pages, the bootstrap page tables and one stack page
// (libxenguest's PV x86 builder). Everything from here on is free.
unsigned long first_pfn_after_bootstrap(const start_info& si) {
    unsigned long end = pfn_after(reinterpret_cast<uintptr_t>(__image_end));
    end = max_of(end, pfn_after(si.mfn_list + si.nr_pages * sizeof(unsigned long)));
    end = max_of(end, pfn_after(reinterpret_cast<uintptr_t>(&si) + sizeof(si)));
    for (unsigned long mfn : {si.store_mfn, static_cast<unsigned long>(si.console.domU.mfn)}) {
        unsigned long pfn = xen::owned_pfn_of_mfn(mfn);  // kNoFrame: not ours, not reserved here
        if (pfn != xen::kNoFrame) end = max_of(end, pfn + 1);
    }
    if (si.mod_start && si.mod_len) end = max_of(end, pfn_after(si.mod_start + si.mod_len));
    end = max_of(end, arch::pfn_of_virt(si.pt_base) + si.nr_pt_frames);
    return end + 1;  // the bootstrap stack page follows the page tables
}

}  // namespace

namespace {
Spinlock allocator_lock;
BackedRegions backing;
XenRegions xen_regions;
bool on_demand = false;           // free memory lives in Xen (see memory.h)
size_t refusals = 0;              // allocations Xen could not back
FreeLowWater low_water;           // what stayed free since give_back_idle last ran
P2mCoverage coverage;             // the end of the p2m the toolstack sees
// Runs (allocate_frames) come from the zone [allocator start, run_zone_end),
// highest first; the C heap grows upwards from run_zone_end. So populated
// memory stays at the bottom of the pfn space and the published p2m ends soon
// after it. Runs that do not fit in the zone come from the top of memory
// (as before the zone existed: the p2m then covers all of it).
unsigned long run_zone_end = 0;
bool zone_overflow_logged = false;

// Beyond this many free frames whole free regions go back to Xen; below the
// low mark the next regions are populated ahead of need, a batch at a time.
constexpr size_t kReserveFrames = 1024;  // 4 MiB
constexpr size_t kLowFrames = 256;
constexpr size_t kAheadRegions = 2;
constexpr size_t kRegion = BackedRegions::kFrames;
constexpr unsigned long kRunZoneFrames = 4096;  // 16 MiB, at most a quarter of memory
// The published p2m ends this far above the highest populated frame: a load
// may grow by up to half of it before a running save sees the end move.
constexpr unsigned long kCoverageSlack = 8192;  // 32 MiB

// With the allocator lock held, after frames were populated and before they
// are used (kernel/mm/p2m_coverage.h). Returns the new end when it moved.
unsigned long cover_populated() {
    if (!on_demand) return 0;
    auto step = coverage.after_populate(backing.populated_end());
    if (step.publish) xen::set_p2m_max_pfn(step.max_pfn);
    if (step.bump) xen::bump_p2m_generation();
    return step.publish ? step.max_pfn : 0;
}

void log_coverage(unsigned long max_pfn) {
    if (max_pfn)
        klog("p2m: the published p2m now ends at pfn %#lx (%lu MiB): memory was populated "
             "near its end", max_pfn, max_pfn / 256);
}

void note_refusal(const char* what, size_t frames) {
    size_t n = __atomic_add_fetch(&refusals, 1, __ATOMIC_RELAXED);
    if (n <= 8 || n % 256 == 0)
        klog("memory: Xen has no memory for %s of %zu frames (refusal #%zu, holding %lu of at "
             "most %lu frames): the allocation fails", what, frames, n, held_frames(),
             frame_limit());
}

// With the allocator lock held, after frames were freed. Within the target
// the regions wait for give_back_idle: a load that frees and allocates again
// keeps them instead of churning populate/decrease hypercalls, and a live
// migration's pre-copy does not see pages vanish under it (libxenguest's
// write_batch fails the whole save when a page it found in the p2m can no
// longer be mapped: tools/libs/guest/xg_sr_save.c). Over the target (xl
// mem-set down while the memory was in use) every region that becomes free
// goes at once, no reserve kept.
void give_back_if_over_target(unsigned long first, size_t count) {
    if (backing.held_frames() > backing.limit()) (void)backing.give_back_around(first, count, 0);
}

// With the allocator lock held: runs stay fast, their zone populated ahead.
void populate_ahead() {
    if (on_demand && allocator.free_count() < kLowFrames)
        (void)backing.populate_within(kAheadRegions, allocator.first_frame(), run_zone_end);
}
}  // namespace

ErrorOr<unsigned long> allocate_frames(size_t count) {
    ErrorOr<unsigned long> got = Error::out_of_memory;
    unsigned long covered = 0;
    bool overflow = false;
    {
        xen::EventMaskGuard masked;
        LockGuard guard(allocator_lock);
        size_t want = (count + kRegion - 1) / kRegion + kAheadRegions - 1;
        got = allocator.allocate_run_below(count, run_zone_end);
        for (size_t tries = 0; got.is_error() && on_demand && tries < 8; ++tries) {
            if (backing.populate_within(want, allocator.first_frame(), run_zone_end) == 0) break;
            got = allocator.allocate_run_below(count, run_zone_end);
        }
        // The zone is full: from the top of memory, populated highest first
        // (so the run lands there, clear of the heap's way up).
        if (got.is_error()) {
            overflow = !zone_overflow_logged;
            zone_overflow_logged = true;
            if (on_demand) (void)backing.populate(want);
            got = allocator.allocate_run(count);
            for (size_t tries = 0; got.is_error() && on_demand && tries < 8; ++tries) {
                if (backing.populate(want) == 0) break;
                got = allocator.allocate_run(count);
            }
        }
        low_water.note(allocator.free_count());
        if (!got.is_error()) populate_ahead();
        covered = cover_populated();
    }
    if (overflow)
        klog("memory: the runs' zone (below pfn %#lx) is full: runs now also come from the top "
             "of memory", run_zone_end);
    log_coverage(covered);
    if (got.is_error() && on_demand) note_refusal("a run", count);
    return got;
}

Error free_frames(unsigned long first, size_t count) {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    Error e = allocator.free(first, count);
    if (e == Error::none && on_demand) give_back_if_over_target(first, count);
    return e;
}

ErrorOr<uintptr_t> grow_heap(ptrdiff_t delta) {
    ErrorOr<uintptr_t> got = Error::out_of_memory;
    size_t pages = 0;
    unsigned long covered = 0;
    {
        xen::EventMaskGuard masked;
        LockGuard guard(allocator_lock);
        unsigned long base = c_heap.base_frame();
        uintptr_t committed_end = arch::virt_of_pfn(base) + c_heap.committed_bytes();
        uintptr_t wanted = c_heap.break_address() + size_t(delta);
        if (on_demand && delta > 0 && wanted > committed_end && wanted > c_heap.break_address()) {
            pages = (wanted - committed_end + arch::kPageSize - 1) / arch::kPageSize;
            unsigned long frame = base + c_heap.committed_bytes() / arch::kPageSize;
            if (backing.populate_range(frame, pages) != Error::none) {
                got = Error::out_of_memory;
            } else {
                covered = cover_populated();
                got = c_heap.grow(delta);
            }
        } else {
            size_t committed = c_heap.committed_bytes();
            got = c_heap.grow(delta);
            if (on_demand && c_heap.committed_bytes() < committed) {  // trimmed
                unsigned long from = base + c_heap.committed_bytes() / arch::kPageSize;
                give_back_if_over_target(from, (committed - c_heap.committed_bytes()) / arch::kPageSize);
            }
        }
        low_water.note(allocator.free_count());
        if (!got.is_error()) populate_ahead();
        unsigned long more = cover_populated();
        if (more) covered = more;
    }
    log_coverage(covered);
    if (got.is_error() && pages) note_refusal("the heap", pages);
    return got;
}

size_t free_frame_count() {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    return allocator.free_count();
}

OnDemandReport start_on_demand(unsigned long held) {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    backing.init(allocator, xen_regions, held);
    on_demand = true;
    size_t given = backing.give_back_free(kReserveFrames);
    // No save can have started yet: the published end may shrink.
    xen::set_p2m_max_pfn(coverage.reset(backing.populated_end()));
    return {given, backing.empty_regions(), backing.region_count(), allocator.free_count(),
            backing.held_frames(), coverage.published()};
}

bool on_demand_enabled() { return on_demand; }

size_t give_back_idle() {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    size_t now = allocator.free_count();
    size_t idle = low_water.end_window(now);
    if (!on_demand || idle < kReserveFrames + kRegion) return 0;
    // give_back_free stops once fewer than keep + one region stay free: at
    // most `idle - reserve` frames go, and the reserve stays.
    return backing.give_back_free(now - (idle - kReserveFrames));
}

unsigned long held_frames() {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    return backing.held_frames();
}

unsigned long frame_limit() {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    return backing.limit();
}

size_t set_frame_limit(unsigned long frames) {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    backing.set_limit(frames);
    if (!on_demand || backing.held_frames() <= frames) return 0;
    // Shrink toward the limit: every whole free region may go, reserve or not.
    size_t given = 0;
    for (size_t i = backing.region_count(); i-- > 0 && backing.held_frames() > frames;) {
        size_t one = backing.give_back_around(backing.first_pfn_of(i), 1, 0);
        given += one;
    }
    return given;
}

unsigned long p2m_max_pfn(bool new_domain) {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    // A new domain: no save holds an older view (the one that brought us
    // here is over), so the end may shrink to what is populated now.
    if (new_domain && on_demand) return coverage.reset(backing.populated_end());
    return coverage.published();
}

size_t after_new_domain(unsigned long held) {
    xen::EventMaskGuard masked;
    LockGuard guard(allocator_lock);
    if (!on_demand) return 0;
    size_t given = give_back_frames_in_empty_regions(backing);
    backing.set_held_frames(held > given ? held - given : 0);
    return given;
}

ErrorOr<Summary> init(const start_info& si) {
    xen::p2m().init(reinterpret_cast<unsigned long*>(si.mfn_list), si.nr_pages);
    auto map = arch::build_direct_map(si.pt_base, si.nr_pages, first_pfn_after_bootstrap(si));
    if (map.is_error()) return map.error();

    // The allocator's bitmap takes the first free frames; it manages the rest.
    unsigned long first = map.value().first_free_pfn;
    unsigned long end = map.value().mapped_pages;
    if (first >= end) return Error::out_of_memory;
    size_t bitmap_bytes = PageAllocator::bitmap_words_for(end - first) * sizeof(uint64_t);
    unsigned long bitmap_pages = (bitmap_bytes + arch::kPageSize - 1) / arch::kPageSize;
    if (first + bitmap_pages >= end) return Error::out_of_memory;
    allocator.init(first + bitmap_pages, end - first - bitmap_pages,
                   arch::ptr_of_pfn<uint64_t>(first));
    run_zone_end = run_zone_end_for(allocator.first_frame(), allocator.end_frame(), kRunZoneFrames,
                                    kRegion);
    c_heap.init(allocator, run_zone_end, arch::virt_of_pfn(run_zone_end), arch::kPageSize);
    coverage.init(si.nr_pages, kCoverageSlack);
    return Summary{si.nr_pages, end, allocator.first_frame(), allocator.free_count()};
}

}  // namespace torpor::memory
