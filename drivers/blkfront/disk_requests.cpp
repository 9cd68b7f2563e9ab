// The ring requests of an I/O (disk.h): cutting it into runs of pages, plain
// or BLKIF_OP_INDIRECT, lending them to the backend (lent_pages.h), and
// ending that when a request is answered or taken back.
#include <string.h>

#include "arch/x86_64/layout.h"
#include "base/log.h"
#include "drivers/blkfront/disk.h"
#include "drivers/blkfront/indirect_segments.h"

namespace torpor::blkfront {

namespace {

uint8_t blkif_operation(Op op) {
    switch (op) {
        case Op::read: return BLKIF_OP_READ;
        case Op::write: return BLKIF_OP_WRITE;
        case Op::flush: return BLKIF_OP_FLUSH_DISKCACHE;
    }
    return BLKIF_OP_READ;
}

uint32_t page_bytes(const Io* io, uint32_t i) {
    return io->length - i * kPageSize < kPageSize ? io->length - i * kPageSize : kPageSize;
}

}  // namespace

// ---- lent pages ---------------------------------------------------------------

Error Disk::lend_pages(Io* io, uint64_t mask) {
    bool readonly = io->op == Op::write;  // the backend only reads a write's data
    for (uint8_t i = 0; i < io->nr_pages; ++i) {
        if (!(mask >> i & 1)) continue;
        auto page = pages_.take(readonly);
        if (page.is_error()) {
            (void)end_pages(io, mask, /*copy_out=*/false);  // those lent so far: not posted
            return page.error();
        }
        io->lent[i] = page.value();
        io->lent_mask |= 1ull << i;
        if (io->op == Op::write)
            memcpy(arch::ptr_of_pfn<uint8_t>(page.value().pfn),
                   static_cast<const uint8_t*>(io->buffer) + i * kPageSize, page_bytes(io, i));
    }
    return Error::none;
}

// Every page is reclaimed before any is read: a request with one page the
// backend still holds copies nothing out.
bool Disk::end_pages(Io* io, uint64_t mask, bool copy_out) {
    mask &= io->lent_mask;
    uint64_t reclaimed = 0;
    for (uint8_t i = 0; i < io->nr_pages; ++i) {
        if (!(mask >> i & 1)) continue;
        if (pages_.reclaim(io->lent[i]))
            reclaimed |= 1ull << i;
        else
            io->lost = true;  // still the backend's: never read, never freed
    }
    io->lent_mask &= ~mask;
    bool all = reclaimed == mask;
    for (uint8_t i = 0; i < io->nr_pages; ++i) {
        if (!(reclaimed >> i & 1)) continue;
        if (all && copy_out && io->op == Op::read)
            memcpy(static_cast<uint8_t*>(io->buffer) + i * kPageSize,
                   arch::ptr_of_pfn<uint8_t>(io->lent[i].pfn), page_bytes(io, i));
        pages_.put(io->lent[i]);
    }
    return all;
}

// Ends one request's pages: its data pages and its indirect page (the
// backend only reads that one, but one it still maps is never reused either).
bool Disk::end_part(Io* io, Part part, bool copy_out) {
    bool all = end_pages(io, part.pages_mask(), copy_out);
    if (part.slot != Part::kNoSlot && (io->indirect_lent >> part.slot & 1)) {
        io->indirect_lent &= uint8_t(~(1u << part.slot));
        if (pages_.reclaim(io->indirect[part.slot]))
            pages_.put(io->indirect[part.slot]);
        else {
            all = false;
            io->lost = true;
        }
    }
    return all;
}

// One request for `io`: a flush, or the next run of unsent pages, direct up to
// kMaxSegments pages, indirect beyond (with one of the I/O's indirect pages).
Error Disk::post_part(Io* io) {
    Request r{};
    r.operation = blkif_operation(io->op);
    // A backend with feature-barrier but no feature-flush-cache gets an empty
    // barrier: it drains what came before and flushes (blk_ring.h).
    if (io->op == Op::flush && !geometry_.flush_cache) r.operation = BLKIF_OP_WRITE_BARRIER;
    r.handle = vdev_;
    r.cookie = reinterpret_cast<uint64_t>(io);
    Part part{0, 0, Part::kNoSlot};
    if (io->op != Op::flush) {
        part = next_part(io->unsent, max_request_pages());
        r.sector = io->sector + uint64_t(part.first) * kSectorsPerPage;
    }
    if (Error e = lend_pages(io, part.pages_mask()); e != Error::none) return e;
    Segment segments[kMaxIoPages];
    for (uint8_t k = 0; k < part.count; ++k) {
        uint32_t i = part.first + k;
        segments[k] = Segment{io->lent[i].ref, 0, uint8_t(page_bytes(io, i) / kSectorSize - 1)};
    }
    r.nr_segments = part.count;
    if (part.count > kMaxSegments) {
        // BLKIF_OP_INDIRECT: the segments go in a page of their own (the
        // backend only reads it), one per part on the ring.
        uint8_t slot = 0;
        while (slot < kMaxIndirectParts && (io->indirect_lent >> slot & 1)) ++slot;
        VERIFY(slot < kMaxIndirectParts);  // parts of > kMaxSegments pages: at most that many
        auto page = pages_.take(/*readonly=*/true);
        if (page.is_error()) {
            (void)end_pages(io, part.pages_mask(), /*copy_out=*/false);
            return page.error();
        }
        uint8_t* list = arch::ptr_of_pfn<uint8_t>(page.value().pfn);
        VERIFY(write_indirect_segments(&list, segments, part.count) == Error::none);
        io->indirect[slot] = page.value();
        io->indirect_lent |= uint8_t(1u << slot);
        part.slot = slot;
        r.indirect = true;
        r.indirect_grefs[0] = page.value().ref;
    } else {
        for (uint8_t k = 0; k < part.count; ++k) r.segments[k] = segments[k];
    }
    r.tag = part.tag();
    if (Error e = ring_.post(r); e != Error::none) {
        (void)end_part(io, part, /*copy_out=*/false);
        return e;
    }
    io->unsent &= ~part.pages_mask();
    io->flush_unsent = false;
    ++io->parts_in_flight;
    return Error::none;
}

// A response to one part: its pages end here (a read's data copied out once
// the backend no longer holds a transient grant); the I/O completes with its
// last part.
void Disk::part_done(Io* io, Part part, Error result) {
    --io->parts_in_flight;
    bool copy_out = result == Error::none && io->error == Error::none;
    if (!end_part(io, part, copy_out)) {
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
