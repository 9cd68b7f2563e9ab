#include "kernel/mm/balloon.h"

#include <string.h>

#include "arch/x86_64/direct_map.h"
#include "arch/x86_64/layout.h"
#include "kernel/boot_options.h"
#include "kernel/device_hooks.h"
#include "kernel/log.h"
#include "kernel/memory.h"
#include "kernel/time/clock.h"
#include "xen/hypercalls.h"
#include "xen/p2m.h"

namespace torpor::balloon {

namespace {

constexpr size_t kReserveFrames = 512;  // 2 MiB left for the rest of the suspend path and the
                                        // resume path until the balloon has repopulated
constexpr size_t kBatch = 256;
constexpr unsigned long kInvalidMfn = ~0ul;

bool enabled = true;
unsigned long* released = nullptr;  // pfns given back, in frames we keep
size_t released_count = 0;
unsigned long storage_first = 0;
size_t storage_frames = 0;

void give_back_storage() {
    if (storage_frames) (void)memory::free_frames(storage_first, storage_frames);
    storage_frames = 0;
    released = nullptr;
    released_count = 0;
}

// Returns the frames in released[from, released_count) to the allocator.
void return_to_allocator(size_t from) {
    for (size_t i = from; i < released_count; ++i) (void)memory::free_frames(released[i], 1);
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
    released_count = memory::take_free_frames(lowest, released, wanted - storage_frames);
    unsigned long mfns[kBatch];
    uint64_t unmap_ns = 0, xen_ns = 0;
    for (size_t done = 0; done < released_count; done += kBatch) {
        size_t n = released_count - done < kBatch ? released_count - done : kBatch;
        for (size_t i = 0; i < n; ++i) mfns[i] = xen::p2m().mfn(released[done + i]);
        uint64_t t0 = clock::monotonic_ns();
        // Nothing may map a frame we no longer own when the toolstack walks our page tables.
        if (Error e = arch::remap_direct_frames(released + done, nullptr, n); e != Error::none) {
            klog("balloon: cannot unmap frames: %s", error_name(e));
            return_to_allocator(done);
            released_count = done;
            return Error::none;
        }
        uint64_t t1 = clock::monotonic_ns();
        long given = xen::decrease_reservation(mfns, n);
        uint64_t t2 = clock::monotonic_ns();
        unmap_ns += t1 - t0;
        xen_ns += t2 - t1;
        if (given != long(n)) {
            klog("balloon: Xen took %ld of %zu frames", given, n);
            (void)arch::remap_direct_frames(released + done, mfns, n);
            return_to_allocator(done);
            released_count = done;
            return Error::none;
        }
        for (size_t i = 0; i < n; ++i) xen::p2m().set(released[done + i], kInvalidMfn);
    }
    klog("balloon: gave %zu frames (%zu MiB) back to Xen for the suspend (unmap %llu us, "
         "decrease_reservation %llu us)",
         released_count, released_count / 256, (unsigned long long)(unmap_ns / 1000),
         (unsigned long long)(xen_ns / 1000));
    return Error::none;
}

// After a live migration the receiver may already back a ballooned frame with
// the page it received in the first pass, and wrote that MFN into our p2m.
// Adopting it only works if the frame is ours: mapping a frame we do not own
// fails in Xen, so a wrong guess costs nothing. Mapped in batches; a batch
// that fails is retried frame by frame to find the frames that are not ours.
size_t adopt_frames_left_by_the_toolstack() {
    size_t adopted = 0;
    size_t index[kBatch];
    unsigned long pfns[kBatch], mfns[kBatch];
    size_t queued = 0;
    auto adopt = [&](size_t k) {
        (void)memory::free_frames(pfns[k], 1);
        released[index[k]] = kInvalidMfn;  // done
        ++adopted;
    };
    auto flush = [&] {
        if (arch::remap_direct_frames(pfns, mfns, queued) == Error::none) {
            for (size_t k = 0; k < queued; ++k) adopt(k);
        } else {
            for (size_t k = 0; k < queued; ++k) {
                if (arch::remap_direct_frames(&pfns[k], &mfns[k], 1) == Error::none)
                    adopt(k);
                else
                    xen::p2m().set(pfns[k], kInvalidMfn);
            }
        }
        queued = 0;
    };
    for (size_t i = 0; i < released_count; ++i) {
        unsigned long pfn = released[i];
        unsigned long mfn = xen::p2m().mfn(pfn);
        if (mfn == kInvalidMfn || xen::pfn_of_mfn(mfn) != pfn) continue;
        index[queued] = i;
        pfns[queued] = pfn;
        mfns[queued] = mfn;
        if (++queued == kBatch) flush();
    }
    if (queued) flush();
    return adopted;
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
    unsigned long frames[kBatch];
    size_t restored = 0;
    Error result = Error::none;
    uint64_t xen_ns = 0, map_ns = 0;
    for (size_t done = 0; done < released_count; done += kBatch) {
        size_t n = released_count - done < kBatch ? released_count - done : kBatch;
        memcpy(frames, released + done, n * sizeof(unsigned long));
        uint64_t t0 = clock::monotonic_ns();
        long got = xen::populate_physmap(frames, n);
        uint64_t t1 = clock::monotonic_ns();
        xen_ns += t1 - t0;
        if (got != long(n)) {
            klog("balloon: Xen gave %ld of %zu frames back", got, n);
            result = Error::out_of_memory;
        }
        size_t ok = got > 0 ? size_t(got) : 0;
        for (size_t i = 0; i < ok; ++i) xen::p2m().set(released[done + i], frames[i]);
        if (ok && arch::remap_direct_frames(released + done, frames, ok) != Error::none) {
            result = Error::hypercall_failed;
            break;
        }
        map_ns += clock::monotonic_ns() - t1;
        for (size_t i = 0; i < ok; ++i) (void)memory::free_frames(released[done + i], 1);
        restored += ok;
        if (ok < n) break;  // the rest stay out of the allocator: they have no memory behind them
    }
    restored += adopted;
    if (restored == total)
        klog("balloon: %zu frames back (%zu adopted, %zu populated; populate_physmap %llu us, "
             "map %llu us)",
             total, adopted, restored - adopted, (unsigned long long)(xen_ns / 1000),
             (unsigned long long)(map_ns / 1000));
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
    enabled = !boot_options::is_set_to("balloon", "off");
    if (option.found && enabled && !boot_options::is_set_to("balloon", "on"))
        klog("balloon: unknown setting \"balloon=%.*s\" (want on or off); leaving it on",
             int(option.length), option.text);
    klog("balloon: suspend-time balloon %s", enabled ? "on" : "off");
    return devices::register_hooks({"balloon", release_free_memory, repopulate});
}

}  // namespace torpor::balloon
