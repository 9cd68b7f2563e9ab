#include "main/suspend_event_channel.h"

#include <stdio.h>

#include "base/log.h"
#include "drivers/xenstore/client.h"
#include "kernel/boot_options.h"
#include "kernel/cpu_local.h"
#include "kernel/events/event_channels.h"
#include "kernel/time/clock.h"

namespace torpor::suspend_event_channel {
namespace {

constexpr const char* kKey = "device/suspend/event-channel";
constexpr uint16_t kToolstackDomain = 0;
// Nothing is late here: the deadline only keeps the wait bounded.
constexpr uint64_t kWaitSliceNs = 60'000'000'000ull;
constexpr uint64_t kRetryNs = 1'000'000'000ull;

void (*suspend_handler)() = nullptr;

// A fresh unbound port toward dom0, its number published. Null on failure
// (logged); the caller retries, and until then libxl finds the key empty or
// stale and falls back to control/shutdown or fails that one save.
EventHandle allocate_and_publish() {
    auto port = events::alloc_unbound(kToolstackDomain, nullptr, nullptr);
    if (port.is_error()) {
        klog("suspend: cannot allocate the suspend event channel: %s", error_name(port.error()));
        return {};
    }
    char text[16];
    snprintf(text, sizeof(text), "%u", port.value().port);
    if (Error e = xenstore::write(kKey, text); e != Error::none) {
        klog("suspend: cannot publish the suspend event channel in %s: %s", kKey, error_name(e));
        (void)events::unbind(port.value());
        return {};
    }
    klog("suspend: event channel %u published in %s", port.value().port, kKey);
    return port.value();
}

void serve_requests(void*) {
    EventHandle port{};
    for (;;) {
        if (port.is_null()) {
            port = allocate_and_publish();
            if (port.is_null()) {
                sched::this_scheduler().sleep_until(clock::monotonic_ns() + kRetryNs);
                continue;
            }
        }
        Error e = events::wait(port, clock::monotonic_ns() + kWaitSliceNs);
        if (e == Error::timed_out) continue;
        if (e == Error::stale_handle) {
            // A resume into a new domain: every port of the old one is gone.
            port = {};
            continue;
        }
        if (e != Error::none) {
            klog("suspend: waiting on the suspend event channel failed: %s", error_name(e));
            port = {};
            continue;
        }
        klog("torpor: suspend requested on the suspend event channel (port %u)", port.port);
        suspend_handler();
        // After a cancelled suspend the same port carries on (libxl keeps or
        // releases its binding; a released one is unbound toward dom0 again).
        // After a new domain `port` is stale and the next wait says so.
    }
}

}  // namespace

Error start(void (*suspend)()) {
    if (boot_options::is_set_to("suspend_evtchn", "off")) {
        klog("suspend: suspend event channel off (suspend_evtchn=off): control/shutdown only");
        return Error::not_supported;
    }
    suspend_handler = suspend;
    return cpu_local(0).scheduler.spawn_detached("suspend-evtchn", serve_requests, nullptr);
}

}  // namespace torpor::suspend_event_channel
