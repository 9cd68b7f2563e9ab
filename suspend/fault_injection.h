// Injects the faults of a FaultPlan (the `fault=` option) into the suspend
// sequence: a SuspendSteps that forwards to the real steps and makes the
// planned one fail on the planned suspend. Subsystems know nothing of it.
// Pure (host-tested).
//
// How each injected fault looks, so that the unwinding tested is the one a
// real failure of that step would need:
// - app, xenstore, devices, timers: the step fails before doing anything;
// - cpus (down): a park timeout: every vCPU is parked, then brought back
//   through the public restart step (cancel: VCPUOP_up) as the timeout path
//   does, and the step fails with timed_out;
// - unmap: everything is unmapped, then the step fails (putting frames back
//   is the remap step's job, as after a real unmap failure);
// - resume.remap, .events, .clocks, .cpus, .xenstore: the step fails without
//   running (fatal: the guest panics naming it);
// - resume.devices: the drivers' hooks run and a failure is reported
//   afterwards, as a driver that contained its own failure reports it (not
//   fatal: the guest carries on).
#pragma once
#include "suspend/fault_plan.h"
#include "suspend/suspend_sequence.h"

namespace torpor::suspend {

class FaultInjectingSteps final : public SuspendSteps {
public:
    // Called once per injected fault, before the step fails.
    using Report = void (*)(unsigned suspend_number, const char* step);

    FaultInjectingSteps(SuspendSteps& real, const FaultPlan& plan, unsigned suspend_number,
                        Report report)
        : real_(real), plan_(plan), suspend_(suspend_number), report_(report) {}

    Error notify_application() override;
    Error quiesce_xenstore() override;
    Error suspend_devices() override;
    Error park_secondary_cpus() override;
    Error stop_timers_and_events() override;
    Error unmap_foreign_frames() override;
    long suspend_hypercall() override { return real_.suspend_hypercall(); }
    Error remap_foreign_frames(bool new_domain) override;
    Error rebuild_event_channels(bool new_domain) override;
    Error restore_clocks_and_timers(bool new_domain) override;
    Error restart_secondary_cpus(bool new_domain) override;
    Error resume_xenstore(bool new_domain) override;
    Error resume_devices(bool new_domain) override;
    void notify_application_resumed(bool cancelled) override {
        real_.notify_application_resumed(cancelled);
    }
    uint64_t now_ns() override { return real_.now_ns(); }

    // The last step a fault was injected into (null: none yet).
    const char* injected() const { return injected_; }

    // What an injected fault returns (a park timeout returns timed_out).
    static constexpr Error kInjectedError = Error::busy;

private:
    bool inject(FaultStep step);

    SuspendSteps& real_;
    const FaultPlan& plan_;
    unsigned suspend_;
    Report report_;
    const char* injected_ = nullptr;
};

}  // namespace torpor::suspend
