// Bringing every other vCPU to a barrier: the caller gets them all parked in a
// handler with event delivery masked, does its work, then releases them.
// The suspend path uses the same barrier with a handler that saves the vCPU's
// registers and takes it down.
#pragma once
#include <stdint.h>

#include "base/error.h"

namespace torpor::smp {

// What a parked vCPU runs in its IPI handler, events masked. The default
// waits at the barrier until resume_cpus(); a replacement must eventually
// call wait_at_barrier() or never return (the vCPU goes down).
using ParkHandler = void (*)(unsigned cpu);
void set_park_handler(ParkHandler handler);  // null: the default
void wait_at_barrier(unsigned cpu);

struct PauseResult {
    unsigned expected;  // other vCPUs online when the pause began
    unsigned parked;    // of them, parked at the barrier when pause_cpus returned
};

// Thread context, one pause at a time. Bounded: vCPUs that do not arrive
// within the timeout make it fail with timed_out (they are released again).
ErrorOr<PauseResult> pause_cpus(uint64_t timeout_ns = 10'000'000'000ull);
Error resume_cpus(uint64_t timeout_ns = 10'000'000'000ull);
bool is_parked(unsigned cpu);
// Ends a pause whose park handler took the vCPUs away instead of waiting at
// the barrier (suspend): the next pause_cpus may start.
void end_pause_without_barrier();

}  // namespace torpor::smp
