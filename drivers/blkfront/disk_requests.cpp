// The ring requests of an I/O (disk.h): cutting it into runs of pages, plain
// or BLKIF_OP_INDIRECT, granting them, and ending those grants when a request
// is answered or taken back.
#include "arch/x86_64/layout.h"
#include "base/log.h"
#include "drivers/blkfront/disk.h"
#include "drivers/blkfront/indirect_segments.h"
#include "kernel/memory.h"
#include "xen/grants.h"
#include "xen/p2m.h"

namespace torpor::blkfront {

namespace {

namespace gt = xen::grant_table;

uint8_t blkif_operation(Op op) {
    switch (op) {
        case Op::read: return BLKIF_OP_READ;
        case Op::write: return BLKIF_OP_WRITE;
        case Op::flush: return BLKIF_OP_FLUSH_DISKCACHE;
    }
    return BLKIF_OP_READ;
}

}  // namespace

// ---- grants and bounce pages ---------------------------------------------------

Error Disk::grant_pages(Io* io, uint64_t mask) {
    bool readonly = io->op == Op::write;  // the backend only reads a write's data
    for (uint8_t i = 0; i < io->nr_pages; ++i) {
        if (!(mask >> i & 1)) continue;
        auto ref = gt::grant_access(backend_id_, xen::p2m().mfn(io->pages[i]), readonly);
        if (ref.is_error()) {
            (void)ungrant_pages(io, mask);  // those granted so far: nothing posted yet
            return ref.error();
        }
        io->grefs[i] = ref.value();
        io->granted |= 1ull << i;
    }
    return Error::none;
}

bool Disk::ungrant_pages(Io* io, uint64_t mask) {
    bool all = true;
    for (uint8_t i = 0; i < io->nr_pages; ++i) {
        if (!(mask & io->granted & (1ull << i))) continue;
        Error e = gt::revoke_access(io->grefs[i]);
        if (e == Error::busy) {
            all = false;
            io->lost = true;
            io->pages[i] = 0;  // still the backend's: never freed, never read
        }
        io->granted &= ~(1ull << i);
    }
    return all;
}

// Ends every grant of one request: its data pages and its indirect page (the
// backend only reads that one, but one it still maps is never reused either).
bool Disk::end_part(Io* io, Part part) {
    bool all = ungrant_pages(io, part.pages_mask());
    if (part.slot != Part::kNoSlot && (io->indirect_granted >> part.slot & 1)) {
        if (gt::revoke_access(io->indirect_grefs[part.slot]) == Error::busy) {
            all = false;
            io->lost = true;
            io->indirect_pfns[part.slot] = 0;  // never freed
        }
        io->indirect_granted &= uint8_t(~(1u << part.slot));
    }
    return all;
}

void Disk::free_pages(Io* io) {
    for (uint8_t i = 0; i < io->nr_pages; ++i)
        if (io->pages[i]) (void)memory::free_frames(io->pages[i], 1);
    io->nr_pages = 0;
    for (uint32_t s = 0; s < kMaxIndirectParts; ++s) {
        if (io->indirect_pfns[s]) (void)memory::free_frames(io->indirect_pfns[s], 1);
        io->indirect_pfns[s] = 0;
    }
}

// One request for `io`: a flush, or the next run of unsent pages, direct up to
// kMaxSegments pages, indirect beyond (with one of the I/O's indirect pages).
Error Disk::post_part(Io* io) {
    Request r{};
    r.operation = blkif_operation(io->op);
    r.handle = vdev_;
    r.cookie = reinterpret_cast<uint64_t>(io);
    Part part{0, 0, Part::kNoSlot};
    if (io->op != Op::flush) {
        part = next_part(io->unsent, max_request_pages());
        r.sector = io->sector + uint64_t(part.first) * kSectorsPerPage;
    }
    if (Error e = grant_pages(io, part.pages_mask()); e != Error::none) return e;
    Segment segments[kMaxIoPages];
    for (uint8_t k = 0; k < part.count; ++k) {
        uint32_t i = part.first + k;
        uint32_t bytes = io->length - i * kPageSize < kPageSize ? io->length - i * kPageSize : kPageSize;
        segments[k] = Segment{io->grefs[i], 0, uint8_t(bytes / kSectorSize - 1)};
    }
    r.nr_segments = part.count;
    if (part.count > kMaxSegments) {
        // BLKIF_OP_INDIRECT: the segments go in a page of their own, granted
        // read-only (the backend only reads it), one per part on the ring.
        uint8_t slot = 0;
        while (slot < kMaxIndirectParts && (io->indirect_granted >> slot & 1)) ++slot;
        VERIFY(slot < kMaxIndirectParts);  // parts of > kMaxSegments pages: at most that many
        if (io->indirect_pfns[slot] == 0) {
            auto pfn = memory::allocate_frames(1);
            if (pfn.is_error()) {
                (void)ungrant_pages(io, part.pages_mask());
                return Error::out_of_memory;
            }
            io->indirect_pfns[slot] = pfn.value();
        }
        uint8_t* page = arch::ptr_of_pfn<uint8_t>(io->indirect_pfns[slot]);
        VERIFY(write_indirect_segments(&page, segments, part.count) == Error::none);
        auto ref = gt::grant_access(backend_id_, xen::p2m().mfn(io->indirect_pfns[slot]),
                                    /*readonly=*/true);
        if (ref.is_error()) {
            (void)ungrant_pages(io, part.pages_mask());
            return ref.error();
        }
        io->indirect_grefs[slot] = ref.value();
        io->indirect_granted |= uint8_t(1u << slot);
        part.slot = slot;
        r.indirect = true;
        r.indirect_grefs[0] = ref.value();
    } else {
        for (uint8_t k = 0; k < part.count; ++k) r.segments[k] = segments[k];
    }
    r.tag = part.tag();
    if (Error e = ring_.post(r); e != Error::none) {
        (void)end_part(io, part);
        return e;
    }
    io->unsent &= ~part.pages_mask();
    io->flush_unsent = false;
    ++io->parts_in_flight;
    return Error::none;
}

// A response to one part: its grants end here, so that nothing the backend
// may still hold is read; the I/O completes with its last part.
void Disk::part_done(Io* io, Part part, Error result) {
    --io->parts_in_flight;
    if (!end_part(io, part)) {
        if (!broken_)
            klog("blkfront: %s: the backend answered a %s but still maps its page; device "
                 "marked broken", name_, op_name(io->op));
        broken_ = true;
        if (result == Error::none) result = Error::protocol_error;
    }
    if (result != Error::none && io->error == Error::none) io->error = result;
    // Still queued: the head, with pages to send (or failed: pump() finishes it).
    if (!io->queued && io->parts_in_flight == 0) finish(io, io->error);
}

}  // namespace torpor::blkfront
