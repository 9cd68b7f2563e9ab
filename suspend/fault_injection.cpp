#include "suspend/fault_injection.h"

namespace torpor::suspend {

bool FaultInjectingSteps::inject(FaultStep step) {
    if (!plan_.fails(step, suspend_)) return false;
    injected_ = fault_step_name(step);
    if (report_) report_(suspend_, injected_);
    return true;
}

Error FaultInjectingSteps::notify_application() {
    return inject(FaultStep::app) ? kInjectedError : real_.notify_application();
}

Error FaultInjectingSteps::quiesce_xenstore() {
    return inject(FaultStep::xenstore) ? kInjectedError : real_.quiesce_xenstore();
}

Error FaultInjectingSteps::suspend_devices() {
    return inject(FaultStep::devices) ? kInjectedError : real_.suspend_devices();
}

Error FaultInjectingSteps::park_secondary_cpus() {
    Error parked = real_.park_secondary_cpus();
    if (parked != Error::none || !inject(FaultStep::cpus)) return parked;
    // As the park's own timeout path: whoever went down comes back up.
    (void)real_.restart_secondary_cpus(false);
    return Error::timed_out;
}

Error FaultInjectingSteps::stop_timers_and_events() {
    return inject(FaultStep::timers) ? kInjectedError : real_.stop_timers_and_events();
}

Error FaultInjectingSteps::unmap_foreign_frames() {
    Error e = real_.unmap_foreign_frames();
    if (e != Error::none) return e;
    return inject(FaultStep::unmap) ? kInjectedError : Error::none;
}

Error FaultInjectingSteps::remap_foreign_frames(bool new_domain) {
    return inject(FaultStep::resume_remap) ? kInjectedError : real_.remap_foreign_frames(new_domain);
}

Error FaultInjectingSteps::rebuild_event_channels(bool new_domain) {
    return inject(FaultStep::resume_events) ? kInjectedError
                                            : real_.rebuild_event_channels(new_domain);
}

Error FaultInjectingSteps::restore_clocks_and_timers(bool new_domain) {
    return inject(FaultStep::resume_clocks) ? kInjectedError
                                            : real_.restore_clocks_and_timers(new_domain);
}

Error FaultInjectingSteps::restart_secondary_cpus(bool new_domain) {
    return inject(FaultStep::resume_cpus) ? kInjectedError
                                          : real_.restart_secondary_cpus(new_domain);
}

Error FaultInjectingSteps::resume_xenstore(bool new_domain) {
    return inject(FaultStep::resume_xenstore) ? kInjectedError : real_.resume_xenstore(new_domain);
}

Error FaultInjectingSteps::resume_devices(bool new_domain) {
    Error e = real_.resume_devices(new_domain);
    if (e != Error::none) return e;
    return inject(FaultStep::resume_devices) ? kInjectedError : Error::none;
}

}  // namespace torpor::suspend
