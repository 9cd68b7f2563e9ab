#include "apps/demo/blk_bench.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "drivers/blkfront/disk.h"
#include "kernel/sched/scheduler.h"
#include "kernel/time/clock.h"

namespace torpor::demo {

namespace {

using blkfront::Disk;
using blkfront::Io;

constexpr uint64_t kMs = 1'000'000ull;
constexpr uint64_t kWritePhaseNs = 3'000 * kMs;
constexpr uint32_t kChunkBytes = 4u << 20;   // one "dd block"
constexpr uint64_t kWriteSpanBytes = 32u << 20;  // written over and over
constexpr uint32_t kReadBytes = 4096;
constexpr uint64_t kIoDeadlineNs = 60'000 * kMs;
constexpr uint64_t kConnectDeadlineNs = 20'000 * kMs;
constexpr uint32_t kIosPerChunk = (kChunkBytes + blkfront::kMaxIoBytes - 1) / blkfront::kMaxIoBytes;

// One 4 MiB chunk at `offset`: every request submitted, then all waited for.
Error write_chunk(Disk& disk, Io* ios, const uint8_t* data, uint64_t offset) {
    uint32_t submitted = 0;
    Error result = Error::none;
    for (uint32_t done = 0; done < kChunkBytes; done += blkfront::kMaxIoBytes) {
        uint32_t length = kChunkBytes - done < blkfront::kMaxIoBytes ? kChunkBytes - done
                                                                     : blkfront::kMaxIoBytes;
        Io& io = ios[submitted];
        io.op = blkfront::Op::write;
        io.sector = (offset + done) / blkfront::kSectorSize;
        io.buffer = const_cast<uint8_t*>(data);
        io.length = length;
        result = disk.submit(io);
        if (result != Error::none) break;
        ++submitted;
    }
    for (uint32_t i = 0; i < submitted; ++i) {
        Error e = ios[i].done.wait(clock::monotonic_ns() + kIoDeadlineNs);
        if (e == Error::none) e = ios[i].result;
        if (e == Error::timed_out) return e;  // the Io stays the driver's: never reused
        if (result == Error::none) result = e;
    }
    return result;
}

void bench(void* arg) {
    Disk& disk = *static_cast<Disk*>(arg);
    if (Error e = disk.wait_connected(clock::monotonic_ns() + kConnectDeadlineNs); e != Error::none) {
        printf("blkbench: xvda did not connect: %s\n", error_name(e));
        return;
    }
    const blkfront::DiskGeometry& g = disk.geometry();
    if (g.read_only() || g.bytes() < kWriteSpanBytes || g.sector_size > kReadBytes) {
        printf("blkbench: xvda must be writable, >= 32 MiB, sectors <= 4 KiB; off\n");
        return;
    }
    printf("blkbench: xvda %" PRIu64 " MiB, ring-page-order %u (%u slots), %u segments a "
           "request; writing for %" PRIu64 " ms\n", g.bytes() >> 20, disk.ring_order(),
           disk.ring_slots(), disk.max_request_pages(), kWritePhaseNs / kMs);
    auto* ios = new Io[kIosPerChunk];
    auto* data = new uint8_t[blkfront::kMaxIoBytes];
    for (uint32_t i = 0; i < blkfront::kMaxIoBytes; ++i) data[i] = uint8_t(i * 7 + 1);
    uint64_t t0 = clock::monotonic_ns(), offset = 0, bytes = 0;
    while (clock::monotonic_ns() - t0 < kWritePhaseNs) {
        if (Error e = write_chunk(disk, ios, data, offset); e != Error::none) {
            printf("blkbench: write at %" PRIu64 " failed: %s; stops\n", offset, error_name(e));
            return;
        }
        bytes += kChunkBytes;
        offset = (offset + kChunkBytes) % kWriteSpanBytes;
    }
    uint64_t ms = (clock::monotonic_ns() - t0) / kMs;
    printf("blkbench: wrote %" PRIu64 " MiB in %" PRIu64 " ms (%" PRIu64 " KiB/s, guest clock); "
           "now random 4 KiB reads\n", bytes >> 20, ms, ms ? (bytes >> 10) * 1000 / ms : 0);
    static uint8_t buffer[kReadBytes];
    uint64_t rng = 0x2545f4914f6cdd1dull, reads = 0, blocks = g.bytes() / kReadBytes;
    t0 = clock::monotonic_ns();
    for (;;) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        uint64_t block = rng % blocks;
        Error e = disk.read(block * (kReadBytes / blkfront::kSectorSize), buffer, kReadBytes,
                            clock::monotonic_ns() + kIoDeadlineNs);
        if (e != Error::none) {
            printf("blkbench: read of block %" PRIu64 " failed: %s; stops\n", block, error_name(e));
            return;
        }
        if (++reads % 2000 == 0) {
            ms = (clock::monotonic_ns() - t0) / kMs;
            printf("blkbench: %" PRIu64 " reads in %" PRIu64 " ms\n", reads, ms);
        }
    }
}

}  // namespace

bool start_block_bench() {
    Disk* disk = Disk::find("xvda");
    if (!disk) return false;
    if (Error e = sched::this_scheduler().spawn_detached("blk-bench", bench, disk); e != Error::none)
        printf("blkbench: cannot start: %s\n", error_name(e));
    return true;
}

}  // namespace torpor::demo
