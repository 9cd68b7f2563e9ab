#pragma once
#include <stdint.h>

namespace torpor::demo {

// Per-vCPU counter threads, an IPI ping-pong between every pair of vCPUs and
// 100 pause/resume rounds while every vCPU is busy; prints its findings.
void run_smp_selftest();

// Copies every vCPU's counter (kMaxCpus entries).
void snapshot_counters(uint64_t* out);

}  // namespace torpor::demo
