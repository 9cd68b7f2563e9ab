#include "apps/demo/memory_load.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/sched/scheduler.h"
#include "kernel/time/clock.h"

namespace torpor::demo {

namespace {

constexpr size_t kChunk = 1 << 20;
constexpr size_t kChunks = 16;
constexpr uint64_t kGapNs = 50'000'000ull;
constexpr uint64_t kReportPeriodNs = 1'000'000'000ull;
constexpr uint64_t kMaxNullsPrinted = 20;
// After round kRestAfter the load holds nothing for kRestNs: long enough for
// the kernel to give the idle memory back to Xen (main/idle_memory_reclaimer),
// after which the next round has it populated again. Once, early: a small
// long-lived allocation made later above the chunks (the heap is one sbrk
// arena) keeps malloc_trim from giving anything back, and a rest during a
// live migration would give pages back under its pre-copy.
constexpr uint64_t kRestAfter = 5;
constexpr uint64_t kRestNs = 8'000'000'000ull;

void memory_load(void*) {
    unsigned char* chunks[kChunks] = {};
    uint64_t rounds = 0, allocated = 0, nulls = 0, corrupt = 0;
    uint64_t next_report = clock::monotonic_ns() + kReportPeriodNs;
    size_t peak = 0;  // the most chunks live since the last report
    auto tick = [&](size_t live) {
        if (live > peak) peak = live;
        sched::this_scheduler().sleep_until(clock::monotonic_ns() + kGapNs);
        if (clock::monotonic_ns() < next_report) return;
        next_report += kReportPeriodNs;
        printf("memload: rounds=%" PRIu64 " chunks=%" PRIu64 " live_kib=%zu nulls=%" PRIu64
               " corrupt=%" PRIu64 " peak_kib=%zu\n", rounds, allocated, live * (kChunk / 1024),
               nulls, corrupt, peak * (kChunk / 1024));
        peak = live;
    };
    for (;;) {
        unsigned char fill = static_cast<unsigned char>(rounds * 7 + 1);
        size_t live = 0;
        for (; live < kChunks; ++live) {
            auto* p = static_cast<unsigned char*>(malloc(kChunk));
            if (!p) {
                if (++nulls <= kMaxNullsPrinted)
                    printf("memload: malloc(%zu) returned NULL (null #%" PRIu64 ", %zu chunks live)\n",
                           kChunk, nulls, live);
                break;
            }
            memset(p, fill, kChunk);
            chunks[live] = p;
            ++allocated;
            tick(live + 1);
        }
        for (size_t i = 0; i < live; ++i) {
            for (size_t off = 0; off < kChunk; off += 4096)
                if (chunks[i][off] != fill || chunks[i][kChunk - 1] != fill) {
                    ++corrupt;
                    break;
                }
        }
        while (live > 0) free(chunks[--live]);
        // Hand the freed top of the heap back (newlib keeps it otherwise), so
        // the next round asks the kernel again: after `xl mem-set` below what
        // is in use, the guest shrinks as the load lets go.
        malloc_trim(0);
        ++rounds;
        tick(0);
        if (rounds == kRestAfter) {
            printf("memload: resting %" PRIu64 " s with nothing allocated (round %" PRIu64 ")\n",
                   uint64_t(kRestNs / 1'000'000'000ull), rounds);
            sched::this_scheduler().sleep_until(clock::monotonic_ns() + kRestNs);
            next_report = clock::monotonic_ns();
        }
    }
}

}  // namespace

void start_memory_load() {
    Error e = sched::this_scheduler().spawn_detached("memload", memory_load, nullptr);
    if (e != Error::none) printf("memload: cannot start: %s\n", error_name(e));
}

}  // namespace torpor::demo
