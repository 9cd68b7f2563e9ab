// Per-vCPU one-shot timers driven by Xen's single-shot timer and VIRQ_TIMER.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "kernel/time/timer_queue.h"

namespace torpor::timers {

// Stops Xen's default periodic tick and binds this vCPU's VIRQ_TIMER.
Error init_this_cpu();
// Fires `timer` on this vCPU once monotonic time reaches `deadline_ns`
// (never earlier: Xen may deliver VIRQ_TIMER a little early, and we re-arm).
void arm(Timer* timer, uint64_t deadline_ns);
void cancel(Timer* timer);
// Programs Xen for this vCPU's earliest deadline again.
void reprogram_this_cpu();
// Suspend: stops this vCPU's one-shot timer (deadlines stay queued).
void suspend_this_cpu();
// Resume: in a new domain the VIRQ binding is gone and is made again; then
// the earliest deadline is programmed (expired ones fire at once).
Error resume_this_cpu(bool new_domain);

}  // namespace torpor::timers
