#include "main/shutdown_control.h"

#include "base/log.h"
#include "drivers/xenstore/client.h"
#include "kernel/shutdown_request.h"
#include "xen/abi.h"
#include "xen/domain_shutdown.h"

namespace torpor::shutdown_control {

namespace {

constexpr const char* kShutdownKey = "control/shutdown";
void (*suspend_handler)() = nullptr;

void on_shutdown_key_changed(const char*, void*) {
    auto value = xenstore::read(kShutdownKey);
    if (value.is_error()) {
        if (value.error() != Error::not_found)
            klog("shutdown: reading %s failed: %s", kShutdownKey, error_name(value.error()));
        return;
    }
    ShutdownRequest request = parse_shutdown_request(value.value().c_str());
    if (request == ShutdownRequest::none) return;  // our own acknowledgement, or nothing
    // Acknowledge first: libxl waits for the key to be cleared.
    Error e = xenstore::write(kShutdownKey, "");
    if (e != Error::none) klog("shutdown: cannot acknowledge request: %s", error_name(e));
    switch (request) {
        case ShutdownRequest::poweroff:
            klog("torpor: shutdown requested: poweroff");
            xen::shutdown_domain(SHUTDOWN_poweroff);
        case ShutdownRequest::reboot:
            klog("torpor: shutdown requested: reboot");
            xen::shutdown_domain(SHUTDOWN_reboot);
        case ShutdownRequest::crash:
            klog("torpor: shutdown requested: crash");
            xen::shutdown_domain(SHUTDOWN_crash);
        case ShutdownRequest::suspend:
            if (suspend_handler) {
                klog("torpor: shutdown requested: suspend");
                suspend_handler();
            } else {
                klog("torpor: suspend requested but not supported yet; ignored");
            }
            return;
        case ShutdownRequest::unknown:
            klog("torpor: unknown shutdown request \"%s\" ignored", value.value().c_str());
            return;
        case ShutdownRequest::none:
            return;
    }
}

}  // namespace

void set_suspend_handler(void (*handler)()) { suspend_handler = handler; }

Error start() {
    for (const char* key : {"control/feature-poweroff", "control/feature-reboot"}) {
        Error e = xenstore::write(key, "1");
        if (e != Error::none) klog("shutdown: cannot advertise %s: %s", key, error_name(e));
    }
    auto w = xenstore::watch(kShutdownKey, on_shutdown_key_changed, nullptr);
    return w.is_error() ? w.error() : Error::none;
}

}  // namespace torpor::shutdown_control
