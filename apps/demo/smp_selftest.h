#pragma once
#include <stdint.h>

namespace torpor::demo {

enum class Workload {
    selftest,  // counters paced at 1 ms per 64 counts, the IPI and pause tests
    quiet,     // counters tick every 100 ms, no tests: the bench's idle guest
};

// Per-vCPU counter threads; with Workload::selftest also an IPI ping-pong
// between every pair of vCPUs and 100 pause/resume rounds while every vCPU is
// busy. Prints its findings.
void run_smp_selftest(Workload workload);

// Copies every vCPU's counter (kMaxCpus entries).
void snapshot_counters(uint64_t* out);

}  // namespace torpor::demo
