// The `fault=` guest option: which suspend step fails on which suspend, for
// testing every error path on the real hypervisor. Pure (host-tested).
//
//   fault=STEP[:N][,STEP[:N]]...    N counts suspends from 1 (default 1)
//
// Down-path steps: app, xenstore, devices, cpus, timers, unmap (also written
// suspend.STEP). Resume-path steps: resume.remap, resume.events,
// resume.clocks, resume.cpus, resume.xenstore, resume.devices; remap, events
// and clocks exist only on the resume path and may be written bare. A bare
// xenstore, devices or cpus is the down-path step.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace torpor::suspend {

enum class FaultStep : uint8_t {
    // down path
    app,
    xenstore,
    devices,
    cpus,
    timers,
    unmap,
    // resume path
    resume_remap,
    resume_events,
    resume_clocks,
    resume_cpus,
    resume_xenstore,
    resume_devices,
};
inline constexpr unsigned kFaultStepCount = 12;

// The option's spelling of the step ("cpus", "resume.cpus").
const char* fault_step_name(FaultStep step);

struct FaultPlan {
    static constexpr unsigned kMaxFaults = 16;
    struct Fault {
        FaultStep step;
        unsigned suspend_number;  // 1 = the first suspend after boot
    };
    Fault faults[kMaxFaults];
    unsigned count = 0;

    // Does `step` fail on suspend number `suspend_number`?
    bool fails(FaultStep step, unsigned suspend_number) const;
};

struct FaultPlanParse {
    FaultPlan plan;
    const char* error = nullptr;  // why the whole option was rejected (plan then empty)
    size_t error_at = 0;          // offset into the text
};

// Parses the option's value (`text`, `length` bytes, not terminated). A bad
// entry rejects the whole option: a typo must not half-apply.
FaultPlanParse parse_fault_plan(const char* text, size_t length);

}  // namespace torpor::suspend
