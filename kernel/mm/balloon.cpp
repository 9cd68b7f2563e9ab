#include "kernel/mm/balloon.h"

#include <string.h>

#include "arch/x86_64/direct_map.h"
#include "arch/x86_64/layout.h"
#include "kernel/device_hooks.h"
#include "kernel/log.h"
#include "kernel/memory.h"
#include "xen/hypercalls.h"
#include "xen/p2m.h"

namespace torpor::balloon {

namespace {

constexpr size_t kReserveFrames = 2048;  // 8 MiB left for the rest of the suspend path
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
    for (size_t done = 0; done < released_count; done += kBatch) {
        size_t n = released_count - done < kBatch ? released_count - done : kBatch;
        for (size_t i = 0; i < n; ++i) mfns[i] = xen::p2m().mfn(released[done + i]);
        // Nothing may map a frame we no longer own when the toolstack walks our page tables.
        if (Error e = arch::remap_direct_frames(released + done, nullptr, n); e != Error::none) {
            klog("balloon: cannot unmap frames: %s", error_name(e));
            return_to_allocator(done);
            released_count = done;
            return Error::none;
        }
        long given = xen::decrease_reservation(mfns, n);
        if (given != long(n)) {
            klog("balloon: Xen took %ld of %zu frames", given, n);
            (void)arch::remap_direct_frames(released + done, mfns, n);
            return_to_allocator(done);
            released_count = done;
            return Error::none;
        }
        for (size_t i = 0; i < n; ++i) xen::p2m().set(released[done + i], kInvalidMfn);
    }
    klog("balloon: gave %zu frames (%zu MiB) back to Xen for the suspend", released_count,
         released_count / 256);
    return Error::none;
}

// After a live migration the receiver may already back a ballooned frame with
// the page it received in the first pass, and wrote that MFN into our p2m.
// Adopting it only works if the frame is ours: mapping a frame we do not own
// fails in Xen, so a wrong guess costs nothing.
size_t adopt_frames_left_by_the_toolstack(size_t from) {
    size_t adopted = 0;
    for (size_t i = from; i < released_count; ++i) {
        unsigned long pfn = released[i];
        unsigned long mfn = xen::p2m().mfn(pfn);
        if (mfn == kInvalidMfn || xen::pfn_of_mfn(mfn) != pfn) continue;
        if (arch::remap_direct_frames(&pfn, &mfn, 1) != Error::none) {
            xen::p2m().set(pfn, kInvalidMfn);
            continue;
        }
        (void)memory::free_frames(pfn, 1);
        released[i] = kInvalidMfn;  // done
        ++adopted;
    }
    return adopted;
}

Error repopulate(bool) {
    if (!released) return Error::none;
    // Frames the restore already backed first, so that populating the rest
    // does not spend the domain's allowance on frames that have memory.
    size_t total = released_count;
    size_t adopted = adopt_frames_left_by_the_toolstack(0);
    size_t kept = 0;
    for (size_t i = 0; i < released_count; ++i)
        if (released[i] != kInvalidMfn) released[kept++] = released[i];
    released_count = kept;
    if (adopted) klog("balloon: adopted %zu frames the restore had already populated", adopted);
    unsigned long frames[kBatch];
    size_t restored = 0;
    Error result = Error::none;
    for (size_t done = 0; done < released_count; done += kBatch) {
        size_t n = released_count - done < kBatch ? released_count - done : kBatch;
        memcpy(frames, released + done, n * sizeof(unsigned long));
        long got = xen::populate_physmap(frames, n);
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
        for (size_t i = 0; i < ok; ++i) (void)memory::free_frames(released[done + i], 1);
        restored += ok;
        if (ok < n) break;  // the rest stay out of the allocator: they have no memory behind them
    }
    restored += adopted;
    if (restored == total)
        klog("balloon: %zu frames back (%zu adopted, %zu populated)", total, adopted,
             restored - adopted);
    else
        klog("balloon: only %zu of %zu frames back: Xen refused the rest; running with %zu MiB "
             "less", restored, total, (total - restored) / 256);
    give_back_storage();
    return result;
}

}  // namespace

bool is_enabled() { return enabled; }

Error init(const char* command_line) {
    enabled = strstr(command_line, "balloon=off") == nullptr;
    klog("balloon: suspend-time balloon %s", enabled ? "on" : "off");
    return devices::register_hooks({"balloon", release_free_memory, repopulate});
}

}  // namespace torpor::balloon
