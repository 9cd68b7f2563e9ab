#include "suspend/app_hooks.h"

namespace torpor::suspend {

namespace {
constexpr unsigned kMaxHooks = 8;
struct {
    BeforeSuspend fn;
    void* context;
} before[kMaxHooks];
struct {
    AfterResume fn;
    void* context;
} after[kMaxHooks];
unsigned before_count = 0, after_count = 0;
}  // namespace

Error on_suspend(BeforeSuspend callback, void* context) {
    if (before_count == kMaxHooks) return Error::out_of_memory;
    before[before_count++] = {callback, context};
    return Error::none;
}

Error on_resume(AfterResume callback, void* context) {
    if (after_count == kMaxHooks) return Error::out_of_memory;
    after[after_count++] = {callback, context};
    return Error::none;
}

void run_before_suspend(const SuspendInfo& info) {
    for (unsigned i = 0; i < before_count; ++i) before[i].fn(info, before[i].context);
}

void run_after_resume(const ResumeInfo& info) {
    for (unsigned i = 0; i < after_count; ++i) after[i].fn(info, after[i].context);
}

}  // namespace torpor::suspend
