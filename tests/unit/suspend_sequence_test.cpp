// The suspend state machine against a fake hypervisor: order of steps, what a
// cancel skips, and how a failure unwinds.
#include "suspend/suspend_sequence.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace torpor;
using namespace torpor::suspend;

namespace {

class FakeXen final : public SuspendSteps {
public:
    long hypercall_result = 0;
    std::string fail_at;
    std::vector<std::string> calls;
    uint64_t clock = 0;

    Error step(const std::string& name) {
        calls.push_back(name);
        return name == fail_at ? Error::busy : Error::none;
    }
    static std::string with(const char* name, bool new_domain) {
        return std::string(name) + (new_domain ? "(new)" : "(same)");
    }

    Error notify_application() override { return step("app-suspend"); }
    Error quiesce_xenstore() override { return step("xenstore-quiesce"); }
    Error suspend_devices() override { return step("devices-suspend"); }
    Error park_secondary_cpus() override { return step("park-cpus"); }
    void stop_timers_and_events() override { calls.push_back("stop-timers"); }
    Error unmap_foreign_frames() override { return step("unmap"); }
    long suspend_hypercall() override {
        calls.push_back("hypercall");
        return hypercall_result;
    }
    Error remap_foreign_frames(bool n) override { return step(with("remap", n)); }
    Error rebuild_event_channels(bool n) override { return step(with("events", n)); }
    Error restore_clocks_and_timers(bool n) override { return step(with("clocks", n)); }
    Error restart_secondary_cpus(bool n) override { return step(with("restart-cpus", n)); }
    Error resume_xenstore(bool n) override { return step(with("xenstore-resume", n)); }
    Error resume_devices(bool n) override { return step(with("devices-resume", n)); }
    void notify_application_resumed(bool cancelled) override {
        calls.push_back(cancelled ? "app-resumed(cancelled)" : "app-resumed(new)");
    }
    uint64_t now_ns() override { return clock += 1000; }
};

const std::vector<std::string> kDown = {"app-suspend", "xenstore-quiesce", "devices-suspend",
                                        "park-cpus",   "stop-timers",      "unmap",
                                        "hypercall"};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

}  // namespace

TEST(SuspendSequence, ResumeInANewDomainRunsEveryStepInOrder) {
    FakeXen xen;
    xen.hypercall_result = 0;
    Report r = run(xen);
    EXPECT_EQ(r.outcome, Outcome::resumed_in_new_domain);
    EXPECT_EQ(r.first_error, Error::none);
    EXPECT_EQ(xen.calls,
              concat(kDown, {"remap(new)", "events(new)", "clocks(new)", "restart-cpus(new)",
                             "xenstore-resume(new)", "devices-resume(new)", "app-resumed(new)"}));
    EXPECT_EQ(r.down_count, 6u) << "every step but the hypercall is timed";
    EXPECT_EQ(r.up_count, 7u);
    EXPECT_STREQ(r.down[3].name, "cpus");
    EXPECT_EQ(r.down[3].ns, 1000u);
}

TEST(SuspendSequence, ACancelledSuspendResumesTheSameDomain) {
    FakeXen xen;
    xen.hypercall_result = 1;  // xl save -c, or a failed migration
    Report r = run(xen);
    EXPECT_EQ(r.outcome, Outcome::cancelled);
    EXPECT_EQ(r.hypercall_result, 1);
    EXPECT_EQ(xen.calls,
              concat(kDown, {"remap(same)", "events(same)", "clocks(same)", "restart-cpus(same)",
                             "xenstore-resume(same)", "devices-resume(same)",
                             "app-resumed(cancelled)"}));
}

TEST(SuspendSequence, AFailingStepUnwindsOnlyWhatWasDone) {
    FakeXen xen;
    xen.fail_at = "park-cpus";
    Report r = run(xen);
    EXPECT_EQ(r.outcome, Outcome::aborted);
    EXPECT_EQ(r.first_error, Error::busy);
    EXPECT_STREQ(r.failed_step, "cpus");
    EXPECT_EQ(xen.calls, (std::vector<std::string>{
                             "app-suspend", "xenstore-quiesce", "devices-suspend", "park-cpus",
                             "xenstore-resume(same)", "devices-resume(same)",
                             "app-resumed(cancelled)"}));
}

TEST(SuspendSequence, AFailingQuiesceNeverReachesTheHypervisor) {
    FakeXen xen;
    xen.fail_at = "xenstore-quiesce";
    Report r = run(xen);
    EXPECT_EQ(r.outcome, Outcome::aborted);
    EXPECT_EQ(xen.calls, (std::vector<std::string>{"app-suspend", "xenstore-quiesce",
                                                   "app-resumed(cancelled)"}));
}

TEST(SuspendSequence, UnmapFailureRemapsAndResumesEverything) {
    FakeXen xen;
    xen.fail_at = "unmap";
    Report r = run(xen);
    EXPECT_EQ(r.outcome, Outcome::aborted);
    EXPECT_STREQ(r.failed_step, "unmap");
    EXPECT_EQ(std::count(xen.calls.begin(), xen.calls.end(), "hypercall"), 0);
    EXPECT_EQ(xen.calls.back(), "app-resumed(cancelled)");
    EXPECT_NE(std::find(xen.calls.begin(), xen.calls.end(), "remap(same)"), xen.calls.end());
    EXPECT_NE(std::find(xen.calls.begin(), xen.calls.end(), "restart-cpus(same)"), xen.calls.end());
}

TEST(SuspendSequence, ARefusedHypercallIsReportedAndTheDomainCarriesOn) {
    FakeXen xen;
    xen.hypercall_result = -22;  // -EINVAL
    Report r = run(xen);
    EXPECT_EQ(r.outcome, Outcome::aborted);
    EXPECT_EQ(r.first_error, Error::hypercall_failed);
    EXPECT_STREQ(r.failed_step, "hypercall");
    EXPECT_EQ(xen.calls.back(), "app-resumed(cancelled)");
    EXPECT_NE(std::find(xen.calls.begin(), xen.calls.end(), "events(same)"), xen.calls.end());
}

TEST(SuspendSequence, AResumeFailureIsReportedButTheRestStillRuns) {
    FakeXen xen;
    xen.fail_at = "xenstore-resume(new)";
    Report r = run(xen);
    EXPECT_EQ(r.outcome, Outcome::resumed_in_new_domain);
    EXPECT_EQ(r.first_error, Error::busy);
    EXPECT_STREQ(r.failed_step, "xenstore");
    EXPECT_EQ(xen.calls.back(), "app-resumed(new)");
}
