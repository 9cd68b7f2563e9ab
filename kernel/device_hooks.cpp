#include "kernel/device_hooks.h"

#include "base/log.h"

namespace torpor::devices {

namespace {
constexpr unsigned kMaxDevices = 16;
Hooks registered[kMaxDevices];
unsigned count = 0;
}  // namespace

Error register_hooks(const Hooks& hooks) {
    if (count == kMaxDevices) return Error::out_of_memory;
    registered[count++] = hooks;
    return Error::none;
}

Error suspend_all() {
    for (unsigned i = 0; i < count; ++i) {
        Error e = registered[i].suspend();
        if (e == Error::none) continue;
        klog("suspend: device %s refused to suspend: %s", registered[i].name, error_name(e));
        while (i-- > 0) (void)registered[i].resume(false);
        return e;
    }
    return Error::none;
}

Error resume_all(bool new_domain) {
    Error first = Error::none;
    for (unsigned i = count; i-- > 0;) {
        Error e = registered[i].resume(new_domain);
        if (e != Error::none) {
            klog("resume: device %s failed to resume: %s", registered[i].name, error_name(e));
            if (first == Error::none) first = e;
        }
    }
    return first;
}

}  // namespace torpor::devices
