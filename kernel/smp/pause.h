// Bringing every other vCPU to a barrier: the caller gets them all parked in
// their IPI handlers with event delivery masked, does its work, then releases
// them. The suspend path diverts them into a handler instead (save registers,
// go down). The protocol is kernel/smp/pause_barrier.h; this is its Xen side.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "kernel/smp/pause_barrier.h"

namespace torpor::smp {

// Thread context, one pause at a time. Bounded: if a vCPU does not arrive
// within the timeout the pause fails with timed_out and leaves nothing parked
// (the vCPUs that arrived are released, the late ones cancelled: each carries
// on and does nothing when it finally runs the order).
ErrorOr<PauseResult> pause_cpus(uint64_t timeout_ns = 10'000'000'000ull);
Error resume_cpus(uint64_t timeout_ns = 10'000'000'000ull);
bool is_parked(unsigned cpu);

// Sends every other online vCPU into `handler` (in its IPI handler, events
// masked); `entered` gets those that run it, whatever the result: the caller
// must bring each of them back. The others were cancelled and carry on.
// Holds the pause (whatever it returns) until end_divert().
Error divert_cpus(ParkHandler handler, uint64_t timeout_ns, CpuMask* entered);
void end_divert();

}  // namespace torpor::smp
