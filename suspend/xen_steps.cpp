#include "suspend/xen_steps.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "base/log.h"
#include "drivers/xenstore/client.h"
#include "kernel/device_hooks.h"
#include "kernel/events/event_channels.h"
#include "kernel/memory.h"
#include "kernel/smp/cpu_suspend.h"
#include "kernel/smp/smp.h"
#include "kernel/time/clock.h"
#include "kernel/time/pvclock_math.h"
#include "kernel/time/timers.h"
#include "suspend/app_hooks.h"
#include "xen/event_mask.h"
#include "xen/grants.h"
#include "xen/hypercalls.h"
#include "xen/p2m.h"
#include "xen/p2m_frame_list.h"
#include "xen/shared_info.h"
#include "xen/start_info_frames.h"

namespace torpor::suspend {

namespace {
unsigned long mfn_of_pfn(unsigned long pfn) { return xen::p2m().mfn(pfn); }
}  // namespace

XenSteps::XenSteps(start_info* si, unsigned suspend_number)
    : si_(si), suspend_number_(suspend_number) {
    const vcpu_time_info& t = xen::vcpu(0)->time;
    tsc_mul_ = t.tsc_to_system_mul;
    tsc_shift_ = t.tsc_shift;
}

Error XenSteps::notify_application() {
    run_before_suspend(SuspendInfo{suspend_number_});
    return Error::none;
}

Error XenSteps::quiesce_xenstore() { return xenstore::suspend(); }

Error XenSteps::suspend_devices() { return devices::suspend_all(); }

Error XenSteps::park_secondary_cpus() { return smp::park_secondaries_for_suspend(); }

Error XenSteps::stop_timers_and_events() {
    events_were_masked_ = xen::mask_events();
    clock::note_suspend();
    timers::suspend_this_cpu();
    return Error::none;
}

Error XenSteps::unmap_foreign_frames() {
    // Restore expects PFNs here (and writes back MFNs of the new domain).
    if (!xen::canonicalise_start_info(*si_, xen::owned_pfn_of_mfn)) {
        klog("suspend: start_info's store or console frame is not ours");
        return Error::protocol_error;
    }
    start_info_canonical_ = true;
    store_pfn_ = si_->store_mfn;
    console_pfn_ = si_->console.domU.mfn;
    if (xen::grant_table::is_mapped()) {
        Error e = xen::grant_table::unmap_frames();
        // A failed unmap puts the table back when it can; if it could not,
        // the remap step sets it up again.
        grants_unmapped_ = !xen::grant_table::is_mapped();
        if (e != Error::none) return e;
    }
    if (xen::unmap_shared_info()) return Error::hypercall_failed;
    shared_info_unmapped_ = true;
    return Error::none;
}

long XenSteps::suspend_hypercall() {
    unsigned long si_mfn = xen::p2m().mfn(arch::pfn_of_virt(reinterpret_cast<uintptr_t>(si_)));
    return xen::suspend(si_mfn);
}

Error XenSteps::remap_foreign_frames(bool new_domain) {
    // Another host's M2P may have other holes and another end.
    if (new_domain) {
        if (Error e = xen::init_m2p(); e != Error::none) {
            klog("resume: cannot read the M2P's extents: %s", error_name(e));
            return e;
        }
    }
    if (shared_info_unmapped_) {
        if (long rc = xen::map_shared_info(si_->shared_info)) {
            klog("resume: cannot map shared_info: %ld", rc);
            return Error::hypercall_failed;
        }
        shared_info_unmapped_ = false;
    }
    // A cancelled suspend leaves the PFNs we wrote; a restore wrote new MFNs,
    // which must be the frames now behind the rings we have mapped.
    if (start_info_canonical_ && !new_domain) xen::localise_start_info(*si_, mfn_of_pfn);
    if (start_info_canonical_ && new_domain) {
        auto moved = xen::moved_ring_frame(*si_, store_pfn_, console_pfn_, xen::owned_pfn_of_mfn);
        if (moved != xen::MovedRing::none) {
            bool store = moved == xen::MovedRing::xenstore;
            klog("resume: start_info's %s frame %#lx is not the frame behind our ring (pfn %#lx)",
                 store ? "xenstore" : "console",
                 store ? (unsigned long)si_->store_mfn : (unsigned long)si_->console.domU.mfn,
                 store ? store_pfn_ : console_pfn_);
            return Error::protocol_error;
        }
    }
    start_info_canonical_ = false;
    Error first = xen::publish_p2m(memory::allocate_frames, memory::p2m_max_pfn(new_domain));
    if (grants_unmapped_) {
        Error e = xen::grant_table::remap_frames();
        if (first == Error::none) first = e;
        grants_unmapped_ = false;
    }
    return first;
}

Error XenSteps::rebuild_event_channels(bool new_domain) {
    if (!new_domain) return Error::none;  // bindings survive a cancel
    events::resume_in_new_domain();
    return smp::init_this_cpu_ipi();
}

Error XenSteps::restore_clocks_and_timers(bool new_domain) {
    downtime_ns_ = clock::resume(new_domain);
    Error e = timers::resume_this_cpu(new_domain);
    if (!events_were_masked_) xen::unmask_events();
    return e;
}

Error XenSteps::restart_secondary_cpus(bool new_domain) {
    return smp::restart_secondaries(new_domain);
}

Error XenSteps::resume_xenstore(bool new_domain) { return xenstore::resume(new_domain, si_); }

Error XenSteps::resume_devices(bool new_domain) { return devices::resume_all(new_domain); }

void XenSteps::notify_application_resumed(bool cancelled) {
    run_after_resume(ResumeInfo{cancelled, downtime_ns_, suspend_number_});
}

// The TSC scaled with the scale read at the start: valid while shared_info is
// unmapped (an approximation if a migration lands on a host with another TSC rate).
uint64_t XenSteps::now_ns() { return scale_tsc_delta(arch::read_tsc(), tsc_mul_, tsc_shift_); }

}  // namespace torpor::suspend
