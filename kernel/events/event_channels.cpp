#include "kernel/events/event_channels.h"

#include "arch/x86_64/cpu_base.h"
#include "arch/x86_64/traps.h"
#include "base/log.h"
#include "base/spinlock.h"
#include "kernel/cpu_local.h"
#include "kernel/events/pending_scan.h"
#include "kernel/sched/scheduler.h"
#include "xen/event_mask.h"
#include "xen/hypercalls.h"
#include "xen/shared_info.h"

namespace torpor::events {

namespace {

PortRegistry registry;
constexpr unsigned kWords = kMaxPorts / kBitsPerWord;
// Which ports each vCPU receives (Xen notifies the vCPU a port is bound to).
xen_ulong_t owned_ports[kMaxCpus][kWords];

void set_owner(uint32_t port, uint32_t vcpu, bool owned) {
    xen_ulong_t bit = xen_ulong_t(1) << (port % kBitsPerWord);
    if (owned)
        __atomic_fetch_or(&owned_ports[vcpu][port / kBitsPerWord], bit, __ATOMIC_SEQ_CST);
    else
        __atomic_fetch_and(&owned_ports[vcpu][port / kBitsPerWord], ~bit, __ATOMIC_SEQ_CST);
}
Spinlock registry_lock;  // taken with events masked only
sched::WaitQueue waiters[kMaxPorts];

void set_mask_bit(uint32_t port) {
    __atomic_fetch_or(&xen::shared()->evtchn_mask[port / kBitsPerWord],
                      xen_ulong_t(1) << (port % kBitsPerWord), __ATOMIC_SEQ_CST);
}

Error unmask_port(uint32_t port) {
    // EVTCHNOP_unmask re-raises the upcall if the port became pending while
    // masked, which a plain bit clear would lose.
    evtchn_unmask_t op{port};
    return xen::event_channel_op(EVTCHNOP_unmask, &op) ? Error::hypercall_failed : Error::none;
}

// Drops our record of a binding: every copy of the handle becomes stale.
Error forget(EventHandle h) {
    xen::EventMaskGuard masked;
    LockGuard guard(registry_lock);
    uint32_t vcpu = registry.slot(h.port) ? registry.slot(h.port)->vcpu : 0;
    Error e = registry.unbind(h);
    if (e == Error::none && vcpu < kMaxCpus) set_owner(h.port, vcpu, false);
    return e;
}

ErrorOr<EventHandle> register_port(uint32_t port, uint32_t vcpu, Handler handler, void* context) {
    ErrorOr<EventHandle> handle = Error::none;
    {
        xen::EventMaskGuard masked;
        LockGuard guard(registry_lock);
        handle = registry.bind(port, vcpu, handler, context);
        if (!handle.is_error() && vcpu < kMaxCpus) set_owner(port, vcpu, true);
    }
    if (handle.is_error()) {
        klog("events: cannot register port %u: %s", port, error_name(handle.error()));
        return handle;
    }
    Error e = unmask_port(port);
    if (e != Error::none) {
        // Report failure with nothing left bound here: release the slot (its
        // handle goes stale) and mask the port again; the caller closes it.
        klog("events: cannot unmask port %u: %s", port, error_name(e));
        (void)forget(handle.value());
        set_mask_bit(port);
        return e;
    }
    return handle;
}

void close_port(uint32_t port) {
    evtchn_close_t op{port};
    (void)xen::event_channel_op(EVTCHNOP_close, &op);
}

Error check_handle(EventHandle h) {
    xen::EventMaskGuard masked;
    LockGuard guard(registry_lock);
    return registry.check(h);
}

// Registers a port Xen just bound for us, closing it again if we cannot.
ErrorOr<EventHandle> register_or_close(long rc, const char* what, uint32_t port, uint32_t vcpu,
                                       Handler handler, void* context) {
    if (rc) {
        klog("events: %s failed: %ld", what, rc);
        return Error::hypercall_failed;
    }
    auto h = register_port(port, vcpu, handler, context);
    if (h.is_error()) close_port(port);
    return h;
}

void deliver(uint32_t port) {
    Handler handler = nullptr;
    void* context = nullptr;
    {
        LockGuard guard(registry_lock);
        PortSlot* s = registry.record_notification(port);
        if (!s) return;  // spurious: not bound (any more)
        handler = s->handler;
        context = s->context;
    }
    if (handler) handler(port, context);
    waiters[port].wake_all();
}

// The event upcall: arch/x86_64/trap_entry.S → handle_event_upcall → here,
// with delivery masked on this vCPU.
void dispatch_upcall() {
    ++this_cpu().upcalls;
    vcpu_info* v = xen::this_vcpu_info();
    shared_info* s = xen::shared();
    while (v->evtchn_upcall_pending) {
        scan_pending_once(v->evtchn_upcall_pending, v->evtchn_pending_sel, s->evtchn_pending,
                          s->evtchn_mask, owned_ports[arch::current_vcpu_id()], kWords, deliver);
    }
}

}  // namespace

void mask_all_ports() {
    shared_info* s = xen::shared();
    for (unsigned w = 0; w < sizeof(s->evtchn_mask) / sizeof(s->evtchn_mask[0]); ++w)
        __atomic_store_n(&s->evtchn_mask[w], ~xen_ulong_t(0), __ATOMIC_SEQ_CST);
}

void init() {
    mask_all_ports();
    arch::set_event_upcall_handler(dispatch_upcall);
}

void resume_in_new_domain() {
    invalidate_all();
    mask_all_ports();
}

ErrorOr<EventHandle> bind_virq(uint32_t virq, uint32_t vcpu, Handler handler, void* context) {
    evtchn_bind_virq_t op{virq, vcpu, 0};
    long rc = xen::event_channel_op(EVTCHNOP_bind_virq, &op);
    return register_or_close(rc, "bind_virq", op.port, vcpu, handler, context);
}

ErrorOr<EventHandle> bind_ipi(uint32_t vcpu, Handler handler, void* context) {
    evtchn_bind_ipi_t op{vcpu, 0};
    long rc = xen::event_channel_op(EVTCHNOP_bind_ipi, &op);
    return register_or_close(rc, "bind_ipi", op.port, vcpu, handler, context);
}

ErrorOr<EventHandle> alloc_unbound(uint16_t remote_domain, Handler handler, void* context) {
    evtchn_alloc_unbound_t op{DOMID_SELF, remote_domain, 0};
    long rc = xen::event_channel_op(EVTCHNOP_alloc_unbound, &op);
    return register_or_close(rc, "alloc_unbound", op.port, 0, handler, context);
}

ErrorOr<EventHandle> bind_interdomain(uint16_t remote_domain, uint32_t remote_port,
                                      Handler handler, void* context) {
    evtchn_bind_interdomain_t op{remote_domain, remote_port, 0};
    long rc = xen::event_channel_op(EVTCHNOP_bind_interdomain, &op);
    return register_or_close(rc, "bind_interdomain", op.local_port, 0, handler, context);
}

ErrorOr<EventHandle> adopt(uint32_t port, Handler handler, void* context) {
    return register_port(port, 0, handler, context);
}

Error unbind(EventHandle h) {
    if (Error e = forget(h); e != Error::none) return e;
    set_mask_bit(h.port);
    close_port(h.port);
    waiters[h.port].wake_all();
    return Error::none;
}

Error notify(EventHandle h) {
    if (Error e = check_handle(h); e != Error::none) return e;
    return xen::notify(h.port) ? Error::hypercall_failed : Error::none;
}

Error mask(EventHandle h) {
    if (Error e = check_handle(h); e != Error::none) return e;
    set_mask_bit(h.port);
    return Error::none;
}

Error unmask(EventHandle h) {
    if (Error e = check_handle(h); e != Error::none) return e;
    return unmask_port(h.port);
}

Error wait(EventHandle h, uint64_t deadline_ns) {
    for (;;) {
        {
            xen::EventMaskGuard masked;
            LockGuard guard(registry_lock);
            Error e = registry.check(h);
            if (e != Error::none) return e;
            PortSlot* s = registry.slot(h.port);
            if (s->unconsumed > 0) {
                --s->unconsumed;
                return Error::none;
            }
        }
        PortSlot* s = registry.slot(h.port);
        Error e = waiters[h.port].wait_if(
            [s, h] {
                return __atomic_load_n(&s->unconsumed, __ATOMIC_ACQUIRE) == 0 &&
                       __atomic_load_n(&s->generation, __ATOMIC_ACQUIRE) == h.generation;
            },
            deadline_ns);
        if (e != Error::none) return e;
    }
}

Error invalidate(EventHandle h) {
    if (Error e = forget(h); e != Error::none) return e;
    waiters[h.port].wake_all();
    return Error::none;
}

void invalidate_all() {
    {
        xen::EventMaskGuard masked;
        LockGuard guard(registry_lock);
        registry.invalidate_all();
        for (auto& cpu : owned_ports)
            for (auto& word : cpu) __atomic_store_n(&word, xen_ulong_t(0), __ATOMIC_SEQ_CST);
    }
    for (auto& w : waiters) w.wake_all();
}

unsigned bound_port_count() {
    xen::EventMaskGuard masked;
    LockGuard guard(registry_lock);
    return registry.bound_count();
}

}  // namespace torpor::events
