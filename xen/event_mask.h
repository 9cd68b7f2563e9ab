// Event delivery on/off for the current vCPU: the PV equivalent of cli/sti is
// vcpu_info.evtchn_upcall_mask (xen/xen.h, struct vcpu_info). Unmasking with an
// upcall already pending must make Xen deliver it: any hypercall does, since
// Xen checks for pending upcalls on the way back to the guest.
#pragma once
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_base.h"
#include "xen/hypercalls.h"
#include "xen/shared_info.h"

namespace xen {

inline vcpu_info* this_vcpu_info() { return vcpu(arch::current_vcpu_id()); }

// Masks delivery; returns whether it was already masked.
inline bool mask_events() {
    vcpu_info* v = this_vcpu_info();
    bool was = v->evtchn_upcall_mask;
    v->evtchn_upcall_mask = 1;
    arch::compiler_barrier();
    return was;
}

inline void unmask_events() {
    vcpu_info* v = this_vcpu_info();
    arch::compiler_barrier();
    v->evtchn_upcall_mask = 0;
    arch::full_barrier();
    if (v->evtchn_upcall_pending) (void)xen_version(XENVER_version, nullptr);
}

inline bool events_masked() { return this_vcpu_info()->evtchn_upcall_mask != 0; }

// RAII: events masked for the guard's lifetime, then restored as they were.
class EventMaskGuard {
public:
    EventMaskGuard() : was_masked_(mask_events()) {}
    ~EventMaskGuard() {
        if (!was_masked_) unmask_events();
    }
    EventMaskGuard(const EventMaskGuard&) = delete;
    EventMaskGuard& operator=(const EventMaskGuard&) = delete;

private:
    bool was_masked_;
};

}  // namespace xen
