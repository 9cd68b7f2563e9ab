#include "apps/demo/blk_workload.h"

#include <inttypes.h>
#include <stdio.h>

#include "apps/demo/blk_record.h"
#include "drivers/blkfront/disk.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/mutex.h"
#include "kernel/time/clock.h"
#include "suspend/app_hooks.h"

namespace torpor::demo {

namespace {

using blkfront::Disk;
using blkfront::Io;

constexpr uint64_t kMs = 1'000'000ull;
constexpr unsigned kWindow = 48;        // record i uses slot i % kWindow
constexpr unsigned kSteadyInFlight = 8;  // the writer's own limit; a burst may go past it
constexpr unsigned kBurst = 24;          // writes submitted by the pre-suspend hook
constexpr uint64_t kWritePeriodNs = 20 * kMs;
constexpr uint64_t kFlushPeriodNs = 200 * kMs;
constexpr uint64_t kReadPeriodNs = 50 * kMs;
constexpr uint64_t kConnectDeadlineNs = 20'000 * kMs;
constexpr uint64_t kReadDeadlineNs = 60'000 * kMs;

struct Slot {
    Io io;
    uint8_t data[kRecordSize];
};

struct Workload {
    Mutex lock;
    Disk* disk = nullptr;
    Slot slots[kWindow];
    uint64_t capacity = 0;   // records the disk holds
    uint64_t next = 0;       // the next record to submit
    uint64_t written = 0;    // records [0, written) were written without error
    uint64_t acked = 0;      // records [0, acked) are acknowledged (written, then flushed)
    Io flush_io;
    bool flushing = false;
    uint64_t flush_covers = 0;
    uint64_t last_flush_ns = 0;
    bool stopped = false;
    uint64_t checked = 0, bad = 0;
    // Detach (xl block-detach) and re-attach: see pause_or_resume().
    bool paused = false;
    unsigned seen_closes = 0;  // the disk's closes() when last connected
    bool rewinding = false;    // a request failed across a detach: rewrite from `acked`
};

Workload* w = nullptr;

void stop(const char* why, uint64_t record, Error e) {
    printf("blk: %s (record %" PRIu64 "): %s; writer stops\n", why, record, error_name(e));
    w->stopped = true;
}

// Under w->lock. The disk was detached (its closes() moved): the writer
// pauses, with one line; what is queued or was on the ring waits in the driver
// (disk.h, "Detach") and goes out again at re-attach. Back connected: one
// line, and it carries on after the last acknowledged record.
void pause_or_resume() {
    unsigned closes = w->disk->closes();
    if (!w->paused && closes != w->seen_closes) {
        w->paused = true;
        printf("blk: xvda detached: writer pauses (%" PRIu64 " submitted, %" PRIu64
               " written, acked %" PRIu64 "; unanswered requests wait in the driver)\n",
               w->next, w->written, w->acked);
    }
    if (w->paused && w->disk->is_connected()) {
        w->paused = false;
        w->seen_closes = closes;
        printf("blk: xvda re-attached (connect #%u): writer resumes after acked record %" PRId64
               " (%" PRIu64 " submitted, %" PRIu64 " written)\n",
               w->disk->connects(), int64_t(w->acked) - 1, w->next, w->written);
    }
}

// Under w->lock: a request failed. Across a detach the writer rewinds to the
// last acknowledged record once nothing of its is left in the driver;
// otherwise it stops.
void failed(const char* what, uint64_t record, Error e) {
    if (w->disk->closes() == w->seen_closes && !w->paused) {
        stop(what, record, e);
        return;
    }
    if (!w->rewinding)
        printf("blk: %s (record %" PRIu64 ") across the detach: %s; rewriting from record %" PRIu64
               "\n", what, record, error_name(e), w->acked);
    w->rewinding = true;
}

// Under w->lock: when every write and the flush are back, start again at `acked`.
void rewind_if_idle() {
    if (!w->rewinding || w->flushing) return;
    for (uint64_t i = w->written; i < w->next; ++i)
        if (!w->slots[i % kWindow].io.done.is_complete()) return;
    w->next = w->written = w->acked;
    w->rewinding = false;
}

// Under w->lock.
void submit_next() {
    if (w->stopped || w->paused || w->rewinding || w->next >= w->capacity || w->next - w->written >= kWindow) return;
    uint64_t i = w->next;
    Slot& s = w->slots[i % kWindow];
    make_record(i, s.data);
    s.io.op = blkfront::Op::write;
    s.io.sector = i;
    s.io.buffer = s.data;
    s.io.length = kRecordSize;
    if (Error e = w->disk->submit(s.io); e != Error::none) {
        stop("cannot submit a write", i, e);
        return;
    }
    ++w->next;
    if (w->next == w->capacity) printf("blk: disk full at record %" PRIu64 "\n", w->next);
}

// Under w->lock: completed writes in order, then the flush.
void reap() {
    while (!w->stopped && w->written < w->next) {
        Slot& s = w->slots[w->written % kWindow];
        if (!s.io.done.is_complete()) break;
        if (s.io.result != Error::none) {
            failed("write failed", w->written, s.io.result);
            break;
        }
        ++w->written;
    }
    if (w->flushing && w->flush_io.done.is_complete()) {
        w->flushing = false;
        if (w->flush_io.result != Error::none) {
            failed("flush failed", w->flush_covers, w->flush_io.result);
        } else {
            w->acked = w->flush_covers;
            printf("blk: acked %" PRIu64 "\n", w->acked - 1);
        }
    }
    if (w->stopped) return;
    rewind_if_idle();
    uint64_t now = clock::monotonic_ns();
    if (!w->stopped && !w->paused && !w->rewinding && !w->flushing && w->written > w->acked &&
        now - w->last_flush_ns >= kFlushPeriodNs) {
        w->flush_io.op = blkfront::Op::flush;
        w->flush_io.length = 0;
        w->flush_covers = w->written;  // a flush covers the writes completed before it
        w->last_flush_ns = now;
        if (Error e = w->disk->submit(w->flush_io); e != Error::none) {
            stop("cannot submit a flush", w->written, e);
            return;
        }
        w->flushing = true;
    }
}

void writer(void*) {
    uint64_t last = clock::monotonic_ns();
    for (;;) {
        w->lock.lock();
        pause_or_resume();
        reap();
        if (w->next - w->written < kSteadyInFlight) submit_next();
        bool done = w->stopped || (w->next == w->capacity && w->written == w->next &&
                                   w->acked == w->written && !w->flushing);
        w->lock.unlock();
        if (done) return;
        sched::this_scheduler().sleep_until(last + kWritePeriodNs);
        last = clock::monotonic_ns();
    }
}

void reader(void*) {
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    static uint8_t buffer[kRecordSize];
    for (;;) {
        sched::this_scheduler().sleep_until(clock::monotonic_ns() + kReadPeriodNs);
        w->lock.lock();
        uint64_t acked = w->acked;
        bool paused = w->paused;
        unsigned closes = w->disk->closes();
        w->lock.unlock();
        if (acked == 0 || paused) continue;  // detached: no read would be answered
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        uint64_t i = rng % acked;
        Error e = w->disk->read(i, buffer, kRecordSize, clock::monotonic_ns() + kReadDeadlineNs);
        if (e != Error::none) {
            bool detached = w->disk->closes() != closes;
            printf("blk: reader: read of record %" PRIu64 " %s: %s\n", i,
                   detached ? "cut by a detach (not counted)" : "failed", error_name(e));
            if (!detached) ++w->bad;
            continue;
        }
        ++w->checked;
        if (const char* problem = record_problem(i, buffer)) {
            ++w->bad;
            printf("blk: reader: record %" PRIu64 " BAD: %s\n", i, problem);
        }
        if (w->checked % 100 == 0)
            printf("blk: reader checked %" PRIu64 " acknowledged records, %" PRIu64 " bad\n",
                   w->checked, w->bad);
    }
}

void before_suspend(const suspend::SuspendInfo& info, void*) {
    w->lock.lock();
    reap();
    uint64_t before = w->next;
    for (unsigned i = 0; i < kBurst; ++i) submit_next();
    printf("blk: burst of %" PRIu64 " writes before suspend #%u (records %" PRIu64 "..%" PRIu64
           " submitted, %" PRIu64 " written, acked %" PRIu64 ")\n",
           w->next - before, info.suspend_number, before, w->next, w->written, w->acked);
    w->lock.unlock();
}

void after_resume(const suspend::ResumeInfo& info, void*) {
    w->lock.lock();
    printf("blk: after resume #%u (%s): %" PRIu64 " submitted, %" PRIu64 " written, %" PRIu64
           " acknowledged, %u on the ring, %" PRIu64 " re-issued in all\n",
           info.suspend_number, info.cancelled ? "cancelled" : "new domain", w->next, w->written,
           w->acked, w->disk->in_flight(), w->disk->reissued_total());
    w->lock.unlock();
}

// Waits for the disk (in its own thread: app_main goes on), then writes.
void start(void* arg) {
    Disk* disk = static_cast<Disk*>(arg);
    if (Error e = disk->wait_connected(clock::monotonic_ns() + kConnectDeadlineNs);
        e != Error::none) {
        printf("blk: xvda did not connect: %s; storage workload off\n", error_name(e));
        return;
    }
    const blkfront::DiskGeometry& g = disk->geometry();
    if (g.sector_size != kRecordSize || g.read_only() || !g.flush_cache) {
        printf("blk: xvda has %u-byte sectors%s%s; the storage workload needs 512, writable, "
               "flush; off\n", g.sector_size, g.read_only() ? ", read-only" : "",
               g.flush_cache ? "" : ", no flush");
        return;
    }
    w = new Workload;
    w->disk = disk;
    w->capacity = g.bytes() / kRecordSize;
    w->seen_closes = disk->closes();
    printf("blk: xvda: %" PRIu64 " records of %zu bytes; writing from sector 0 every %" PRIu64
           " ms, flush every %" PRIu64 " ms\n", w->capacity, kRecordSize, kWritePeriodNs / kMs,
           kFlushPeriodNs / kMs);
    (void)suspend::on_suspend(before_suspend, nullptr);
    (void)suspend::on_resume(after_resume, nullptr);
    if (Error e = sched::this_scheduler().spawn_detached("blk-reader", reader, nullptr);
        e != Error::none)
        printf("blk: cannot start the reader: %s\n", error_name(e));
    writer(nullptr);
}

}  // namespace

void start_block_workload() {
    Disk* disk = Disk::find("xvda");
    if (!disk) return;
    if (Error e = sched::this_scheduler().spawn_detached("blk-writer", start, disk);
        e != Error::none)
        printf("blk: cannot start the writer: %s\n", error_name(e));
}

}  // namespace torpor::demo
