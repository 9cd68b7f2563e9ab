#include "drivers/blkfront/disk.h"

#include <stdio.h>
#include <string.h>

#include "arch/x86_64/layout.h"
#include "base/log.h"
#include "kernel/device_hooks.h"
#include "kernel/events/event_channels.h"
#include "kernel/memory.h"
#include "kernel/sched/scheduler.h"
#include "kernel/time/clock.h"
#include "xen/grants.h"
#include "xen/p2m.h"

namespace torpor::blkfront {

namespace {

namespace gt = xen::grant_table;

Disk* disks[Disk::kMaxDisks];
unsigned disk_count = 0;
bool hooks_registered = false;

constexpr uint64_t kWorkerPollNs = 1'000'000'000ull;  // a backstop for a lost event

struct IoLock {
    explicit IoLock(Mutex& m) : m_(m) { m_.lock(); }
    ~IoLock() { m_.unlock(); }
    Mutex& m_;
};


}  // namespace

Disk::Disk(const char* name, blkif_vdev_t vdev) : name_(name), vdev_(vdev), ring_(ring_name_) {
    snprintf(ring_name_, sizeof(ring_name_), "blkfront %s", name);
}

Disk* Disk::find(const char* name) {
    for (unsigned i = 0; i < disk_count; ++i)
        if (strcmp(disks[i]->name_, name) == 0) return disks[i];
    return nullptr;
}

Error Disk::init(Bus& bus) {
    if (disk_count >= kMaxDisks) return Error::too_big;
    bus_ = &bus;
    if (!hooks_registered) {
        TRY(devices::register_hooks({"blkfront", &Disk::suspend_all, &Disk::resume_all}));
        hooks_registered = true;
    }
    char thread_name[24];
    snprintf(thread_name, sizeof(thread_name), "blkfront-%s", name_);
    TRY(sched::this_scheduler().spawn_detached(thread_name, &Disk::completion_thread, this));
    disks[disk_count++] = this;
    return Error::none;
}

// ---- the handshake's side ------------------------------------------------------

Error Disk::setup_rings(domid_t backend_id, uint32_t order) {
    IoLock lock(io_lock_);
    if (broken_) return Error::protocol_error;
    VERIFY(order <= kMaxRingOrder);
    uint32_t pages = ring_pages_for_order(order);
    if (ring_pfn_ != 0 && ring_allocated_ != pages) {
        (void)memory::free_frames(ring_pfn_, ring_allocated_);
        ring_pfn_ = 0;
    }
    if (ring_pfn_ == 0) {
        auto pfn = memory::allocate_frames(pages);  // contiguous: one virtual range
        if (pfn.is_error()) return pfn.error();
        ring_pfn_ = pfn.value();
        ring_allocated_ = pages;
    }
    for (uint32_t i = 0; i < pages; ++i) {
        auto ref = gt::grant_access(backend_id, xen::p2m().mfn(ring_pfn_ + i), /*readonly=*/false);
        if (ref.is_error()) {
            for (uint32_t j = 0; j < i; ++j) (void)gt::revoke_access(ring_refs_[j]);
            return ref.error();
        }
        ring_refs_[i] = ref.value();
    }
    auto port = events::alloc_unbound(backend_id, &Disk::on_event, this);
    if (port.is_error()) {
        for (uint32_t i = 0; i < pages; ++i) (void)gt::revoke_access(ring_refs_[i]);
        return port.error();
    }
    ring_order_ = order;
    ring_granted_ = true;
    event_ = port.value();
    backend_id_ = backend_id;
    ring_.attach(arch::ptr_of_pfn<blkif_sring>(ring_pfn_), pages);
    klog("blkfront: %s: ring of %u page%s (ring-page-order %u), %u request slots", name_, pages,
         pages == 1 ? "" : "s", order, ring_.size());
    return Error::none;
}

// Revokes every page of the ring; false if the backend still maps one (the
// frames are then never reused).
bool Disk::revoke_ring() {
    bool all = true;
    for (uint32_t i = 0; i < ring_pages(); ++i)
        if (gt::revoke_access(ring_refs_[i]) == Error::busy) all = false;
    return all;
}

Error Disk::connect(const DiskGeometry& g, uint32_t indirect_segments, uint32_t persistent_limit) {
    IoLock lock(io_lock_);
    if (broken_) return Error::protocol_error;
    if (has_geometry_ && (g.sectors != geometry_.sectors || g.sector_size != geometry_.sector_size))
        klog("blkfront: %s: the backend now offers %llu sectors of %u bytes (was %llu of %u)",
             name_, (unsigned long long)g.sectors, g.sector_size,
             (unsigned long long)geometry_.sectors, geometry_.sector_size);
    geometry_ = g;
    has_geometry_ = true;
    VERIFY(indirect_segments == 0 || (indirect_segments > kMaxSegments &&
                                      indirect_segments <= kMaxIndirectSegments));
    indirect_segments_ = indirect_segments;
    // At least two of the largest requests fit in a persistent pool.
    VERIFY(persistent_limit == 0 || persistent_limit >= 2 * (kMaxIoPages + 1));
    pages_.start(backend_id_, persistent_limit);
    ++connects_;
    klog("blkfront: %s: connected to backend domain %u (connect #%u): %llu sectors of %u bytes "
         "(%llu MiB)%s, flush: %s, %u ring slots, indirect: %u segments a request%s, "
         "grants: %s",
         name_, unsigned(backend_id_), connects_, (unsigned long long)g.sectors, g.sector_size,
         (unsigned long long)(g.bytes() >> 20), g.read_only() ? ", read-only" : "",
         g.flush_cache ? "flush-cache" : g.barrier ? "barrier" : "none", ring_.size(),
         max_request_pages(), indirect_segments_ ? "" : " (off: plain requests)",
         persistent_grants() ? "persistent" : "transient");
    if (reissue_batch_ > 0 || connects_ > 1) {
        unsigned queued = 0;
        for (Io* io = queue_head_; io; io = io->next) ++queued;
        klog("blkfront: %s: re-issuing %u requests that had no response, in their original "
             "order (%u more were queued)", name_, reissue_batch_, queued - reissue_batch_);
        reissue_batch_ = 0;
    }
    connected_ = true;
    suspended_ = false;
    pump();
    return Error::none;
}

// The requests on `ring_` that have no response go back in front of the queue,
// oldest first (an I/O by its oldest unanswered part); their pages go back
// and are marked unsent, to be cut again for the next backend, and every page
// of the pool is released (revoked: after a resume into a new domain the
// table is new and the entry empty, so this only frees the ref). The queue's head may have parts on the
// ring too: it stays where it is (it was the last one started).
void Disk::forget_rings() {
    IoLock lock(io_lock_);
    connected_ = false;
    ring_.detach();
    Io* first = nullptr;
    Io* last = nullptr;
    ring_.take_unanswered([&](const Request& r) {
        Io* io = reinterpret_cast<Io*>(r.cookie);
        Part part = Part::of_tag(r.tag);
        --io->parts_in_flight;
        if (!end_part(io, part, /*copy_out=*/false)) {
            // Only a backend that closed without unmapping gets here (in a new
            // domain the table is empty): that request cannot go again.
            klog("blkfront: %s: the backend closed with a %s's page still mapped; that request "
                 "fails", name_, op_name(io->op));
            if (io->error == Error::none) io->error = Error::io_error;
        }
        io->unsent |= part.pages_mask();
        if (io->op == Op::flush) io->flush_unsent = true;
        if (io->queued) return;  // the head, or already kept for an earlier part
        io->queued = true;
        io->started = false;
        io->next = nullptr;
        if (last)
            last->next = io;
        else
            first = io;
        last = io;
    });
    // Those that failed complete now; the rest go in front of the queue.
    Io* keep_first = nullptr;
    Io* keep_last = nullptr;
    unsigned count = 0;
    for (Io* io = first; io;) {
        Io* next = io->next;
        io->next = nullptr;
        if (io->error != Error::none) {
            io->queued = false;
            finish(io, io->error);
        } else {
            if (keep_last)
                keep_last->next = io;
            else
                keep_first = io;
            keep_last = io;
            ++count;
        }
        io = next;
    }
    if (count) queue_front(keep_first, keep_last, count);
    if (uint32_t kept = pages_.release_all(); kept > 0)
        klog("blkfront: %s: the backend closed with %u persistently granted pages still "
             "mapped; they are left alone", name_, unsigned(kept));
    if (ring_granted_) (void)revoke_ring();
    ring_granted_ = false;
    event_ = EventHandle{};  // the binding went with the old domain: not unbound
}

void Disk::closing() {
    IoLock lock(io_lock_);
    connected_ = false;  // pump() posts nothing; process_responses() still runs
}

void Disk::disconnect() {
    EventHandle old = event_;
    bool had_ring = ring_granted_;
    unsigned kept_before;
    {
        IoLock lock(io_lock_);
        connected_ = false;     // post nothing more
        process_responses();    // what the backend answered before it closed
        ring_granted_ = false;  // forget_rings() must not revoke it: done below
        kept_before = pending_reissue_;
    }
    forget_rings();
    if (!old.is_null()) (void)events::unbind(old);
    IoLock lock(io_lock_);
    bool ring_kept = had_ring && !revoke_ring();
    if (ring_kept) ring_pfn_ = 0;  // the backend still maps it: never reuse those pages
    unsigned queued = 0;
    for (Io* io = queue_head_; io; io = io->next) ++queued;
    ++closes_;
    klog("blkfront: %s: closed (#%u): %s, event channel %u unbound; %u requests without "
         "a response kept for re-attach, %u queued in all", name_, closes_,
         !had_ring ? "no ring" : ring_kept ? "ring still mapped by the backend (page left alone)"
                                           : "ring and request grants revoked",
         unsigned(old.port), pending_reissue_ - kept_before, queued);
}

void Disk::queue_front(Io* first, Io* last, unsigned count) {
    last->next = queue_head_;
    queue_head_ = first;
    if (!queue_tail_) queue_tail_ = last;
    reissue_batch_ += count;
    pending_reissue_ += count;
}

// ---- submitting ----------------------------------------------------------------

Error Disk::submit(Io& io) {
    uint32_t unit = has_geometry_ ? geometry_.sector_size : kSectorSize;
    if (io.op == Op::flush) {
        if (io.length != 0) return Error::invalid_argument;
    } else {
        if (io.length == 0 || io.length > kMaxIoBytes || io.length % unit != 0 ||
            (io.sector * kSectorSize) % unit != 0 || !io.buffer)
            return Error::invalid_argument;
    }
    io.result = Error::none;
    io.done.reset();
    io.next = nullptr;
    io.unsent = 0;
    io.parts_in_flight = 0;
    io.flush_unsent = io.op == Op::flush;
    io.queued = false;
    io.started = false;
    io.error = Error::none;
    io.lent_mask = 0;
    io.indirect_lent = 0;
    io.lost = false;
    io.abandoned = false;
    io.times_issued = 0;
    io.nr_pages = uint8_t((io.length + kPageSize - 1) / kPageSize);
    io.unsent = all_pages_mask(io.nr_pages);
    IoLock lock(io_lock_);
    if (broken_) return Error::protocol_error;
    if (queue_tail_)
        queue_tail_->next = &io;
    else
        queue_head_ = &io;
    queue_tail_ = &io;
    io.queued = true;
    pump();
    return Error::none;
}

void Disk::unqueue_head() {
    Io* io = queue_head_;
    queue_head_ = io->next;
    if (!queue_head_) queue_tail_ = nullptr;
    io->next = nullptr;
    io->queued = false;
}

// Posts queued I/O in order, each cut into as many requests as it takes; an
// I/O leaves the queue once every page is on the ring (the head may be half
// posted when the ring fills up).
void Disk::pump() {
    if (suspended_ || !connected_ || broken_) return;
    bool posted = false;
    while (queue_head_ && ring_.free_slots() > 0) {
        Io* io = queue_head_;
        if (!io->started && io->error == Error::none) {
            // Checked here: a request queued before the first connect had no geometry yet.
            uint64_t end = io->sector + io->length / kSectorSize;
            uint64_t capacity = geometry_.bytes() / kSectorSize;
            if (io->op != Op::flush && (end > capacity || end < io->sector)) {
                io->error = Error::invalid_argument;
            } else if ((io->op == Op::write && geometry_.read_only()) ||
                       (io->op == Op::flush && !geometry_.flush_cache && !geometry_.barrier)) {
                io->error = Error::not_supported;
            }
        }
        if (io->error != Error::none) {
            // Nothing more of it goes; it completes with its last response.
            unqueue_head();
            if (io->parts_in_flight == 0) finish(io, io->error);
            continue;
        }
        if (!io->started) {
            io->started = true;
            if (pending_reissue_ > 0) --pending_reissue_;
            ++io->times_issued;
            if (io->times_issued > 1) ++reissued_total_;
        }
        if (Error e = post_part(io); e != Error::none) {
            // Out of grant refs or frames while requests are on the ring: it
            // waits at the head until their responses give some back. With
            // nothing on the ring nothing would, so it fails.
            if (e == Error::out_of_memory && ring_.outstanding() > 0) break;
            klog("blkfront: %s: cannot post a %s (%s)", name_, op_name(io->op), error_name(e));
            io->error = e;
            continue;
        }
        posted = true;
        if (io->unsent == 0 && !io->flush_unsent) unqueue_head();
    }
    if (posted && ring_.push()) (void)events::notify(event_);
}

// ---- completing ----------------------------------------------------------------

// Completes `io`: every page ended (they all are, unless it never reached the
// ring whole); a read's data was copied out part by part.
void Disk::finish(Io* io, Error result) {
    bool all = end_pages(io, ~0ull, /*copy_out=*/false);
    for (uint8_t s = 0; s < kMaxIndirectParts; ++s)
        if (!end_part(io, Part{0, 0, s}, /*copy_out=*/false)) all = false;
    if (!all) {
        // "Reads never complete with data from a grant the backend still holds."
        if (!broken_)
            klog("blkfront: %s: the backend answered a %s but still maps its page; device "
                 "marked broken", name_, op_name(io->op));
        broken_ = true;
        if (result == Error::none) result = Error::protocol_error;
    }
    if (io->lost && result == Error::none) result = Error::protocol_error;
    io->result = result;
    if (io->abandoned) {
        delete io;
        return;
    }
    io->done.complete();  // the caller may free it from here on
}

void Disk::break_disk(const char* why) {
    if (why && !broken_) klog("blkfront: %s: %s; device marked broken", name_, why);
    broken_ = true;
    connected_ = false;
    // In flight: the backend may still write into those pages, so each is
    // freed only if its grant can be revoked (finish() checks).
    ring_.detach();
    ring_.take_unanswered([&](const Request& r) {
        Io* io = reinterpret_cast<Io*>(r.cookie);
        --io->parts_in_flight;
        (void)end_part(io, Part::of_tag(r.tag), false);  // one still mapped: io->lost, never read
        io->error = Error::io_error;
        if (!io->queued && io->parts_in_flight == 0) finish(io, Error::io_error);
    });
    while (queue_head_) {
        Io* io = queue_head_;
        unqueue_head();
        finish(io, Error::io_error);  // every part was taken off the ring above
    }
}

void Disk::process_responses() {
    if (suspended_ || broken_ || !ring_.is_attached()) return;
    ring_.consume([&](const Response& c) {
        Io* io = reinterpret_cast<Io*>(c.cookie);
        Error result = c.status == BLKIF_RSP_OKAY        ? Error::none
                       : c.status == BLKIF_RSP_EOPNOTSUPP ? Error::not_supported
                                                          : Error::io_error;
        part_done(io, Part::of_tag(c.tag), result);
    });
    if (ring_.is_broken() || broken_)
        break_disk(nullptr);  // the ring (or finish) said why, in one line
    else
        pump();
}

void Disk::on_event(uint32_t, void* context) { static_cast<Disk*>(context)->kick_.signal(); }

void Disk::handle_events() {
    IoLock lock(io_lock_);
    process_responses();
}

void Disk::completion_thread(void* context) {
    Disk* d = static_cast<Disk*>(context);
    for (;;) {
        (void)d->kick_.wait(clock::monotonic_ns() + kWorkerPollNs);
        d->handle_events();
    }
}

// ---- synchronous wrappers ------------------------------------------------------

Error Disk::sync_io(Io* io, uint64_t deadline_ns) {
    if (Error e = submit(*io); e != Error::none) {
        delete io;
        return e;
    }
    Error e = io->done.wait(deadline_ns);
    if (e == Error::timed_out) {
        IoLock lock(io_lock_);
        if (!io->done.is_complete()) {
            io->abandoned = true;  // finish() frees it
            return Error::timed_out;
        }
        e = Error::none;
    }
    Error result = io->result;
    delete io;
    return result;
}

Error Disk::read(uint64_t sector, void* buffer, uint32_t length, uint64_t deadline_ns) {
    Io* io = new Io;
    if (!io) return Error::out_of_memory;
    io->op = Op::read;
    io->sector = sector;
    io->buffer = buffer;
    io->length = length;
    return sync_io(io, deadline_ns);
}

Error Disk::write(uint64_t sector, const void* buffer, uint32_t length, uint64_t deadline_ns) {
    Io* io = new Io;
    if (!io) return Error::out_of_memory;
    io->op = Op::write;
    io->sector = sector;
    io->buffer = const_cast<void*>(buffer);
    io->length = length;
    return sync_io(io, deadline_ns);
}

Error Disk::flush(uint64_t deadline_ns) {
    Io* io = new Io;
    if (!io) return Error::out_of_memory;
    io->op = Op::flush;
    return sync_io(io, deadline_ns);
}

Error Disk::wait_connected(uint64_t deadline_ns) {
    for (;;) {
        if (broken_) return Error::protocol_error;
        if (connected_) return Error::none;
        if (clock::monotonic_ns() >= deadline_ns) return Error::timed_out;
        sched::this_scheduler().sleep_until(clock::monotonic_ns() + 10'000'000ull);
    }
}

// ---- suspend and resume (kernel/device_hooks.h) --------------------------------

Error Disk::suspend_all() {
    for (unsigned i = 0; i < disk_count; ++i) {
        Disk* d = disks[i];
        IoLock lock(d->io_lock_);
        d->suspended_ = true;  // nothing is drained: in flight stays in flight
        unsigned queued = 0;
        for (Io* io = d->queue_head_; io; io = io->next) ++queued;
        klog("blkfront: %s: suspending with %u requests in flight, %u queued (kept, not drained)",
             d->name_, d->ring_.outstanding(), queued);
    }
    for (unsigned i = 0; i < disk_count; ++i) disks[i]->bus_->suspending();  // outside io_lock_
    return Error::none;
}

Error Disk::resume_all(bool new_domain) {
    Error first = Error::none;
    for (unsigned i = 0; i < disk_count; ++i) {
        Disk* d = disks[i];
        if (!new_domain) {
            {
                IoLock lock(d->io_lock_);
                d->suspended_ = false;
                d->pump();
            }
            d->bus_->suspend_cancelled();
            d->kick_.signal();  // responses may have arrived meanwhile
            klog("blkfront: %s: suspend cancelled; same ring, %u requests in flight, nothing "
                 "re-issued", d->name_, d->ring_.outstanding());
            continue;
        }
        // Stays suspended (not posting) until the new backend connects.
        Error e = d->bus_->resumed_in_new_domain();
        if (e != Error::none) {
            klog("blkfront: %s: cannot restart the handshake after resume: %s", d->name_,
                 error_name(e));
            if (first == Error::none) first = e;
        }
    }
    return first;
}

}  // namespace torpor::blkfront
