// The suspend steps on Xen: each one a call into the subsystem that owns it.
#pragma once
#include "suspend/suspend_sequence.h"
#include "xen/abi.h"

namespace torpor::suspend {

class XenSteps final : public SuspendSteps {
public:
    XenSteps(start_info* si, unsigned suspend_number);

    Error notify_application() override;
    Error quiesce_xenstore() override;
    Error suspend_devices() override;
    Error park_secondary_cpus() override;
    Error stop_timers_and_events() override;
    Error unmap_foreign_frames() override;
    long suspend_hypercall() override;
    Error remap_foreign_frames(bool new_domain) override;
    Error rebuild_event_channels(bool new_domain) override;
    Error restore_clocks_and_timers(bool new_domain) override;
    Error restart_secondary_cpus(bool new_domain) override;
    Error resume_xenstore(bool new_domain) override;
    Error resume_devices(bool new_domain) override;
    void notify_application_resumed(bool cancelled) override;
    uint64_t now_ns() override;

    uint64_t downtime_ns() const { return downtime_ns_; }

private:
    start_info* si_;
    unsigned suspend_number_;
    bool events_were_masked_ = false;
    bool shared_info_unmapped_ = false;
    bool grants_unmapped_ = false;
    bool start_info_canonical_ = false;
    unsigned long store_pfn_ = 0, console_pfn_ = 0;  // where the rings are mapped
    uint64_t downtime_ns_ = 0;
    uint32_t tsc_mul_;  // vCPU 0's TSC scale at the start, for step timings
    int8_t tsc_shift_;
};

}  // namespace torpor::suspend
