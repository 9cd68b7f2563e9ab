// A PV block device (blkfront): one ring to a blkback, asynchronous read,
// write and flush requests each with a Completion, and a synchronous wrapper.
// A flush is BLKIF_OP_FLUSH_DISKCACHE, or an empty BLKIF_OP_WRITE_BARRIER
// when the backend offers only feature-barrier.
//
// The xenstore handshake is not here: drivers never include each other, so
// the composition root (main/blkfront_devices.cpp) runs a xenbus Frontend
// whose Device calls setup_rings / connect / disconnect / forget_rings below,
// and gives the disk a Bus to reach that Frontend from its suspend hooks.
//
// Data goes through pages the driver lends the backend (lent_pages.h), one
// per 4 KiB of a request on the ring: a write's data is copied in when its
// request is posted (again after a resume), a read's copied out when its
// response came. With transient grants (the default when either side lacks
// feature-persistent) the grant is revoked before the copy out, and a backend
// still holding it is a protocol violation: the disk is broken and the page
// never reused. With persistent grants (both offer feature-persistent) the
// pages keep their grants in a pool until the backend goes, so blkback maps
// each once instead of map + unmap for every request.
//
// An I/O of up to kMaxIoBytes goes to the ring as one or more requests
// (io_parts.h): runs of at most what the backend takes in one request, 11
// pages as plain requests or, when it offers feature-max-indirect-segments
// (read at every connect, blkindirect=N lowers our limit, 0: off), up to that
// many as BLKIF_OP_INDIRECT with an indirect page granted read-only. Each
// response ends the grants of its own pages (and its indirect page); the I/O
// completes once every page got one. After a resume into a new domain only
// the pages without a response go again, cut for the new backend.
//
// Suspend does not drain. The driver's own hooks (kernel/device_hooks.h):
//   suspend:             stop posting; everything in flight stays as it is.
//   resume, cancelled:   post again; nothing is re-issued (same ring, same
//                        backend, the responses still arrive).
//   resume, new domain:  the Bus restarts the handshake; forget_rings takes
//                        every request without a response off the old ring
//                        (oldest first) and puts it in front of the queue;
//                        on connect each is granted again and re-issued in
//                        that order, and one line says how many.
// Detach (xl block-detach) and re-attach while running. Policy: requests wait.
//   backend Closing:     closing(): stop posting; responses still taken.
//   backend Closed/gone: disconnect(): every request on the ring without a
//                        response goes back in front of the queue (oldest
//                        first), the ring and page grants are revoked, the
//                        event channel unbound; one line. New requests queue.
//   re-attached:         a new handshake; connect() re-issues them in order.
//   A page the backend still maps at disconnect (it went away without
//   unmapping) cannot be reused: that request fails with io_error. Callers
//   bound their waits (the sync wrappers' deadlines).
// A backend that breaks the protocol (ring.h) breaks the disk: every request
// in flight or queued completes with io_error, later ones are refused, the
// guest carries on.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "drivers/blkfront/blk_ring.h"
#include "drivers/blkfront/disk_geometry.h"
#include "drivers/blkfront/io_parts.h"
#include "drivers/blkfront/lent_pages.h"
#include "kernel/events/event_handle.h"
#include "kernel/sync/completion.h"
#include "kernel/sync/mutex.h"
#include "kernel/sync/semaphore.h"

namespace torpor::blkfront {

inline constexpr uint32_t kMaxIoBytes = kMaxIoPages * kPageSize;  // 256 KiB

enum class Op : uint8_t { read, write, flush };
inline const char* op_name(Op op) {
    return op == Op::read ? "read" : op == Op::write ? "write" : "flush";
}

// One request, owned by the caller from submit() until `done` completes (the
// caller may free it as soon as done.wait() returned Error::none).
struct Io {
    Op op = Op::read;
    uint64_t sector = 0;       // in 512-byte units (blkif's), aligned to the sector size
    // read/write: `length` bytes, the caller's until `done` (a write's are
    // copied when its requests are posted, which after a resume is again).
    void* buffer = nullptr;
    uint32_t length = 0;       // a multiple of the sector size, 1..kMaxIoBytes (0 for flush)
    Error result = Error::none;  // set before done completes
    Completion done;

    // The driver's own, from submit() to completion.
    Io* next = nullptr;
    uint8_t nr_pages = 0;
    LentPage lent[kMaxIoPages] = {};  // page i, while a request carries it
    uint64_t lent_mask = 0;           // bit i: lent[i] is the backend's
    uint64_t unsent = 0;   // bit i: page i is not on the ring and has no response yet
    uint8_t parts_in_flight = 0;  // requests on the ring (a flush: one, no pages)
    bool flush_unsent = false;
    bool queued = false;     // in the driver's queue (the head may have parts on the ring too)
    bool started = false;    // a part was posted since it was last queued
    Error error = Error::none;  // the first part that failed
    // The indirect page of each indirect part on the ring.
    LentPage indirect[kMaxIndirectParts] = {};
    uint8_t indirect_lent = 0;  // bit s: indirect[s] is the backend's
    bool lost = false;       // a page the backend kept mapped: never read, never freed
    bool abandoned = false;  // the sync wrapper timed out: the driver frees it
    uint32_t times_issued = 0;
};

// How the disk reaches its xenbus Frontend (implemented by the composition
// root, serialised there with the Frontend's other calls).
class Bus {
public:
    virtual void suspending() = 0;
    virtual void suspend_cancelled() = 0;
    virtual Error resumed_in_new_domain() = 0;

protected:
    ~Bus() = default;
};

class Disk {
public:
    static constexpr unsigned kMaxDisks = 4;

    // `name` ("xvda") must outlive the disk; `vdev` is blkif's handle.
    Disk(const char* name, blkif_vdev_t vdev);
    Disk(const Disk&) = delete;
    Disk& operator=(const Disk&) = delete;

    // Registers the disk (find()), its suspend/resume hooks (once for all
    // disks) and starts its completion thread.
    Error init(Bus& bus);
    static Disk* find(const char* name);

    // ---- for the xenbus Frontend's Device (main/) ----
    // A ring of 2^order pages (choose_ring_order: what the backend offers,
    // re-read at every handshake, so a resume onto a backend offering less
    // gets a smaller ring); requests kept from an earlier ring are re-issued
    // on this one.
    Error setup_rings(domid_t backend_id, uint32_t order);
    uint32_t ring_order() const { return ring_order_; }
    uint32_t ring_pages() const { return ring_pages_for_order(ring_order_); }
    grant_ref_t ring_ref(uint32_t page) const { return ring_refs_[page]; }
    uint32_t ring_slots() const { return ring_.size(); }
    uint32_t event_port() const { return event_.port; }
    // The backend's offers are parsed by the caller (disk_geometry.h);
    // `indirect_segments` from choose_indirect_segments (0: plain requests).
    // `persistent_limit`: the persistent pool's size when both sides offer
    // feature-persistent (0: transient grants).
    Error connect(const DiskGeometry& geometry, uint32_t indirect_segments = 0,
                  uint32_t persistent_limit = 0);
    // Pages one request carries now: the indirect segments, or kMaxSegments.
    uint32_t max_request_pages() const {
        return indirect_segments_ > 0 ? indirect_segments_ : kMaxSegments;
    }
    uint32_t indirect_segments() const { return indirect_segments_; }
    bool persistent_grants() const { return pages_.persistent(); }
    uint32_t pooled_pages() const { return pages_.pooled(); }
    uint32_t lent_pages() const { return pages_.lent(); }
    // The backend is closing (detach): post nothing more; responses to what is
    // on the ring are still taken until disconnect().
    void closing();
    void disconnect();
    void forget_rings();

    // ---- I/O ----
    // Queues `io`; invalid_argument for a request outside the disk or not
    // aligned, not_supported for a write to a read-only disk or a flush to a
    // backend offering neither flush-cache nor barrier, protocol_error once broken; out_of_memory when
    // no page can be lent with nothing on the ring to give one back. Submitting before the first connect is allowed:
    // it waits in the queue (bounds are then checked at connect).
    Error submit(Io& io);
    // submit + wait until `deadline_ns` (timed_out: the request stays with the
    // driver, which frees it when it completes).
    Error read(uint64_t sector, void* buffer, uint32_t length, uint64_t deadline_ns);
    Error write(uint64_t sector, const void* buffer, uint32_t length, uint64_t deadline_ns);
    Error flush(uint64_t deadline_ns);
    // Waits (polling every 10 ms) for the first connect: none, broken
    // (protocol_error) or timed_out.
    Error wait_connected(uint64_t deadline_ns);

    const char* name() const { return name_; }
    bool is_connected() const { return connected_; }
    bool is_broken() const { return broken_; }
    bool has_geometry() const { return has_geometry_; }
    const DiskGeometry& geometry() const { return geometry_; }
    uint64_t reissued_total() const { return reissued_total_; }
    unsigned connects() const { return connects_; }
    unsigned closes() const { return closes_; }
    uint32_t in_flight() const { return ring_.outstanding(); }
    // What the completion thread does at each event: takes the responses,
    // completes what they finish, posts what is queued. Public so that host
    // tests (tests/unit/blkfront_disk_test.cpp) drive the disk without it.
    void handle_events();

private:
    static void on_event(uint32_t port, void* context);
    static void completion_thread(void* context);
    static Error suspend_all();
    static Error resume_all(bool new_domain);

    void process_responses();         // io lock held
    void pump();                      // io lock held: post queued requests
    Error post_part(Io* io);          // io lock held: the next part of the queue's head
    void part_done(Io* io, Part part, Error result);  // io lock held: a response
    void finish(Io* io, Error result);  // io lock held: end what is still lent, complete
    Error lend_pages(Io* io, uint64_t mask);  // and copy a write's data in
    // Ends the lending of `part`'s pages (and indirect page), copying a
    // read's data out first when `copy_out`; false: the backend still holds one.
    bool end_part(Io* io, Part part, bool copy_out);
    bool end_pages(Io* io, uint64_t mask, bool copy_out);
    void unqueue_head();
    bool revoke_ring();               // false: the backend still maps a ring page
    void break_disk(const char* why);  // io lock held
    void queue_front(Io* first, Io* last, unsigned count);
    Error sync_io(Io* io, uint64_t deadline_ns);

    const char* name_;
    blkif_vdev_t vdev_;
    Bus* bus_ = nullptr;
    char ring_name_[32] = {};
    Ring ring_;
    Mutex io_lock_;
    Semaphore kick_;
    domid_t backend_id_ = 0;
    unsigned long ring_pfn_ = 0;     // the first of ring_allocated_ contiguous frames
    uint32_t ring_allocated_ = 0;
    uint32_t ring_order_ = 0;        // of the ring set up last
    grant_ref_t ring_refs_[kMaxRingPages] = {};
    bool ring_granted_ = false;      // all ring_pages() of ring_refs_
    EventHandle event_;
    bool connected_ = false;
    bool suspended_ = false;
    bool broken_ = false;
    bool has_geometry_ = false;
    DiskGeometry geometry_{};
    uint32_t indirect_segments_ = 0;  // of the current connect; 0: plain requests
    LentPages pages_;
    Io* queue_head_ = nullptr;  // not yet on the ring, in submit order
    Io* queue_tail_ = nullptr;
    unsigned pending_reissue_ = 0;  // taken off a dead ring, not yet re-posted
    unsigned reissue_batch_ = 0;    // of those, how many the next connect logs
    uint64_t reissued_total_ = 0;
    unsigned connects_ = 0;
    unsigned closes_ = 0;  // disconnect()s (detaches), not resumes
};

}  // namespace torpor::blkfront
