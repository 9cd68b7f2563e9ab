// Event channels (2-level ABI, xen/event_channel.h): binding, notification,
// masking, and waiting from a thread. Handlers run in the event upcall with
// delivery masked on that vCPU; threads wait with events::wait().
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "kernel/events/event_handle.h"
#include "kernel/events/port_registry.h"

namespace torpor::events {

// Masks every port and installs the upcall dispatcher. Call once at boot.
void init();

ErrorOr<EventHandle> bind_virq(uint32_t virq, uint32_t vcpu, Handler handler, void* context);
ErrorOr<EventHandle> bind_ipi(uint32_t vcpu, Handler handler, void* context);
// A port another domain can bind to (e.g. a frontend's channel to its backend).
ErrorOr<EventHandle> alloc_unbound(uint16_t remote_domain, Handler handler, void* context);
ErrorOr<EventHandle> bind_interdomain(uint16_t remote_domain, uint32_t remote_port,
                                      Handler handler, void* context);
// A port the toolstack already bound for us (start_info's store and console ports).
ErrorOr<EventHandle> adopt(uint32_t port, Handler handler, void* context);

Error unbind(EventHandle handle);  // closes the port in Xen too
Error notify(EventHandle handle);
Error mask(EventHandle handle);
Error unmask(EventHandle handle);

// Blocks the calling thread until the port is notified (consuming one
// notification) or `deadline_ns` passes (0 = no deadline). A handle that goes
// stale while waiting makes it return stale_handle instead of hanging.
Error wait(EventHandle handle, uint64_t deadline_ns = 0);

// Makes `handle` stale and wakes its waiters, leaving the port unbound here
// (a test hook; resume invalidates every binding the same way).
Error invalidate(EventHandle handle);

// Every binding in this domain is gone (resume in a new domain): bump all
// generations and wake every waiter so they fail instead of hanging.
void invalidate_all();

unsigned bound_port_count();

// After a resume in a new domain: every binding is gone (invalidate_all) and
// the new shared_info's ports are masked until rebound.
void resume_in_new_domain();

}  // namespace torpor::events
