#include "kernel/events/port_registry.h"

namespace torpor::events {

ErrorOr<EventHandle> PortRegistry::bind(uint32_t port, uint32_t vcpu, Handler handler,
                                        void* context) {
    if (port == 0 || port >= kMaxPorts) return Error::invalid_argument;  // port 0 is never valid
    PortSlot& s = slots_[port];
    if (s.is_bound()) return Error::already_exists;
    s.handler = handler;
    s.context = context;
    s.unconsumed = 0;
    s.vcpu = vcpu;
    ++s.generation;  // now even: bound
    return EventHandle{port, s.generation};
}

Error PortRegistry::check(EventHandle h) const {
    if (h.port == 0 || h.port >= kMaxPorts || h.is_null()) return Error::not_found;
    const PortSlot& s = slots_[h.port];
    if (s.generation != h.generation) return Error::stale_handle;
    return s.is_bound() ? Error::none : Error::not_found;
}

Error PortRegistry::unbind(EventHandle h) {
    Error e = check(h);
    if (e != Error::none) return e;
    PortSlot& s = slots_[h.port];
    s.handler = nullptr;
    s.context = nullptr;
    ++s.generation;  // odd: unbound, and every copy of the handle is stale
    return Error::none;
}

Error PortRegistry::invalidate(EventHandle h) { return unbind(h); }

void PortRegistry::invalidate_all() {
    for (PortSlot& s : slots_) {
        if (s.is_bound()) {
            s.handler = nullptr;
            s.context = nullptr;
            ++s.generation;
        }
    }
}

PortSlot* PortRegistry::record_notification(uint32_t port) {
    if (port >= kMaxPorts || !slots_[port].is_bound()) return nullptr;
    ++slots_[port].unconsumed;
    return &slots_[port];
}

unsigned PortRegistry::bound_count() const {
    unsigned n = 0;
    for (const PortSlot& s : slots_) n += s.is_bound();
    return n;
}

}  // namespace torpor::events
