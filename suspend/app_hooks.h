// What the application can hook into: called before the suspend path starts
// and after the resume path finished (all vCPUs and devices back).
#pragma once
#include <stdint.h>

#include "base/error.h"

namespace torpor::suspend {

struct ResumeInfo {
    bool cancelled;         // same domain (checkpoint or failed migration)
    uint64_t downtime_ns;   // wall clock after the resume minus before the suspend
};

using BeforeSuspend = void (*)(void* context);
using AfterResume = void (*)(const ResumeInfo& info, void* context);

Error on_suspend(BeforeSuspend callback, void* context);
Error on_resume(AfterResume callback, void* context);

void run_before_suspend();
void run_after_resume(const ResumeInfo& info);

}  // namespace torpor::suspend
