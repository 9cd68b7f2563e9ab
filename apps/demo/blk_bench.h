// demo=blkbench: the guest's side of the bench's storage rows
// (tools/harness/scenarios/bench.sh), the same load the Linux baseline's
// blkload (tools/harness/guests/linux/blkload.c) puts on its disk, started
// instead of the record workload when xvda is present:
//   1. sequential writes for 3 s from sector 0 (wrapping at 32 MiB), 4 MiB at
//      a time, each 4 MiB submitted at once as I/Os of kMaxIoBytes (256 KiB: one
//      indirect request each, or cut to what the backend takes),
//      the next only after all completed (what dd bs=4M oflag=direct does);
//   2. 4 KiB reads at random 4 KiB-aligned offsets, one at a time, forever.
// dom0 measures both (and the longest stall across xl migrate --live) from
// blkback's counters; the lines printed here are the guest's own view.
#pragma once

namespace torpor::demo {

// Starts the load in its own thread if xvda is present; false otherwise.
bool start_block_bench();

}  // namespace torpor::demo
