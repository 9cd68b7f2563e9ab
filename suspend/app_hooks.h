// What the application can hook into: called before the suspend path starts
// and after the resume path finished (all vCPUs and devices back).
#pragma once
#include <stdint.h>

#include "base/error.h"

namespace torpor::suspend {

// Suspends are numbered from 1 by the kernel, whatever their outcome (a
// suspend that failed before the application heard of it still counts).
struct SuspendInfo {
    unsigned suspend_number;
};

struct ResumeInfo {
    bool cancelled;         // same domain (checkpoint, failed migration, aborted suspend)
    uint64_t downtime_ns;   // wall clock after the resume minus before the suspend
    unsigned suspend_number;
};

using BeforeSuspend = void (*)(const SuspendInfo& info, void* context);
using AfterResume = void (*)(const ResumeInfo& info, void* context);

Error on_suspend(BeforeSuspend callback, void* context);
Error on_resume(AfterResume callback, void* context);

void run_before_suspend(const SuspendInfo& info);
void run_after_resume(const ResumeInfo& info);

}  // namespace torpor::suspend
