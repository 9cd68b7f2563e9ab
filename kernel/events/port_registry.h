// Bookkeeping of bound ports: handler, generation, fire count. Pure logic
// (host-tested); kernel/events/event_channels.cpp adds the hypercalls.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "kernel/events/event_handle.h"

namespace torpor::events {

// Runs in the event upcall with delivery masked on this vCPU: keep it short
// (record, wake a thread).
using Handler = void (*)(uint32_t port, void* context);

inline constexpr uint32_t kMaxPorts = 1024;

struct PortSlot {
    Handler handler = nullptr;
    void* context = nullptr;
    uint32_t generation = 1;  // odd while unbound, even while bound
    uint32_t unconsumed = 0;  // notifications not yet taken by a waiter
    uint32_t vcpu = 0;
    bool is_bound() const { return (generation & 1) == 0; }
};

class PortRegistry {
public:
    ErrorOr<EventHandle> bind(uint32_t port, uint32_t vcpu, Handler handler, void* context);
    // none, not_found (port out of range or unbound) or stale_handle.
    Error check(EventHandle handle) const;
    Error unbind(EventHandle handle);
    // Invalidates every binding (new domain after resume): all handles go stale.
    void invalidate_all();
    // Invalidates one binding, leaving the port unbound here (test hook and error paths).
    Error invalidate(EventHandle handle);

    // Records a notification; returns the slot if bound (else the event is spurious).
    PortSlot* record_notification(uint32_t port);
    PortSlot* slot(uint32_t port) { return port < kMaxPorts ? &slots_[port] : nullptr; }
    unsigned bound_count() const;

private:
    PortSlot slots_[kMaxPorts];
};

}  // namespace torpor::events
