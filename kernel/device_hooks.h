// Each driver registers its own suspend/resume hooks here; suspend/ runs them
// in order (suspend) and reverse order (resume) without knowing what they do.
#pragma once
#include "base/error.h"

namespace torpor::devices {

struct Hooks {
    const char* name;
    Error (*suspend)();
    // new_domain: restored or migrated (every binding and grant is gone);
    // otherwise the suspend was cancelled and the device is as it was.
    Error (*resume)(bool new_domain);
};

Error register_hooks(const Hooks& hooks);
// Stops at the first failure and resumes (cancelled) the ones already suspended.
Error suspend_all();
Error resume_all(bool new_domain);

}  // namespace torpor::devices
