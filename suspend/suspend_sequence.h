// The suspend path as one readable sequence. Each step is a call into the
// subsystem that owns it (SuspendSteps); this file owns only the order, the
// unwinding when a step fails, what a failure on the way up means, and the
// timing of every step.
//
// A down-path step that fails has undone its own partial work (unmap leaves
// that to remap); the sequence then undoes the steps before it in reverse and
// the guest carries on as before (Outcome::aborted). On the way up there is
// nothing to fall back to: a failed remap, events, clocks, cpus or xenstore
// step leaves a guest that cannot work, so the resume stops there and the
// report says `fatal` (the caller panics naming the step). A failed devices
// step is not fatal: each driver contains its own failure (the console marks
// itself broken, the memory hook carries on with what it holds) and reports it.
#pragma once
#include <stdint.h>

#include "base/error.h"

namespace torpor::suspend {

class SuspendSteps {
public:
    // --- on the way down (each may fail; what succeeded is undone) ---
    virtual Error notify_application() = 0;        // pre-suspend callbacks
    virtual Error quiesce_xenstore() = 0;          // in-flight requests done, no new ones
    virtual Error suspend_devices() = 0;           // drivers' own hooks
    virtual Error park_secondary_cpus() = 0;       // registers saved, vCPUs down
    virtual Error stop_timers_and_events() = 0;    // vCPU 0: timer off, delivery masked
    virtual Error unmap_foreign_frames() = 0;      // start_info → PFNs, shared_info and grant frames unmapped
    // 0: resumed in a new domain; > 0: cancelled (same domain); < 0: Xen refused.
    virtual long suspend_hypercall() = 0;
    // --- on the way up; new_domain: restored or migrated ---
    virtual Error remap_foreign_frames(bool new_domain) = 0;  // shared_info, p2m lists, grants
    virtual Error rebuild_event_channels(bool new_domain) = 0;
    virtual Error restore_clocks_and_timers(bool new_domain) = 0;
    virtual Error restart_secondary_cpus(bool new_domain) = 0;
    virtual Error resume_xenstore(bool new_domain) = 0;
    virtual Error resume_devices(bool new_domain) = 0;
    virtual void notify_application_resumed(bool cancelled) = 0;
    // For step durations only; must work while shared_info is unmapped.
    virtual uint64_t now_ns() = 0;

protected:
    ~SuspendSteps() = default;
};

enum class Outcome {
    resumed_in_new_domain,  // the hypercall returned 0
    cancelled,              // it returned non-zero: same domain (checkpoint, failed migration)
    aborted,                // a step before the hypercall failed; everything was undone
};
const char* outcome_name(Outcome outcome);

struct StepTime {
    const char* name;
    uint64_t ns;
};

struct Report {
    Outcome outcome = Outcome::aborted;
    long hypercall_result = 0;
    Error first_error = Error::none;  // the down step that aborted, or the refused hypercall
    const char* failed_step = nullptr;
    Error resume_error = Error::none;  // the first resume step that failed
    const char* failed_resume_step = nullptr;
    // That resume step leaves the guest unable to work; the steps after it did
    // not run. The caller must panic.
    bool fatal = false;
    StepTime down[8];
    unsigned down_count = 0;
    StepTime up[8];
    unsigned up_count = 0;
};

Report run(SuspendSteps& steps);

}  // namespace torpor::suspend
