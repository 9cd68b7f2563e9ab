// The suspend state machine against a fake hypervisor: order of steps, what a
// cancel skips, and how a failure unwinds.
#include "suspend/suspend_sequence.h"

#include "suspend/fault_injection.h"

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
    Error stop_timers_and_events() override { return step("stop-timers"); }
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

TEST(SuspendSequence, AFatalResumeFailureStopsTheResumeThere) {
    FakeXen xen;
    xen.fail_at = "xenstore-resume(new)";
    Report r = run(xen);
    EXPECT_EQ(r.outcome, Outcome::resumed_in_new_domain);
    EXPECT_EQ(r.first_error, Error::none) << "the way down went well";
    EXPECT_EQ(r.resume_error, Error::busy);
    EXPECT_STREQ(r.failed_resume_step, "xenstore");
    EXPECT_TRUE(r.fatal);
    EXPECT_EQ(xen.calls.back(), "xenstore-resume(new)")
        << "nothing runs after it: the caller panics naming the step";
}

TEST(SuspendSequence, EveryResumeStepButDevicesIsFatal) {
    for (const char* step : {"remap", "events", "clocks", "restart-cpus", "xenstore-resume"}) {
        FakeXen xen;
        xen.fail_at = FakeXen::with(step, true);
        Report r = run(xen);
        EXPECT_TRUE(r.fatal) << step;
        EXPECT_EQ(xen.calls.back(), xen.fail_at) << step;
    }
    FakeXen xen;
    xen.fail_at = "devices-resume(new)";
    Report r = run(xen);
    EXPECT_FALSE(r.fatal) << "drivers contain their own failures";
    EXPECT_STREQ(r.failed_resume_step, "devices");
    EXPECT_EQ(xen.calls.back(), "app-resumed(new)") << "the application still hears of the resume";
}

TEST(SuspendSequence, AFailedStopOfTimersUnwindsTheCpusAndEverythingBefore) {
    FakeXen xen;
    xen.fail_at = "stop-timers";
    Report r = run(xen);
    EXPECT_EQ(r.outcome, Outcome::aborted);
    EXPECT_STREQ(r.failed_step, "timers");
    EXPECT_EQ(xen.calls, (std::vector<std::string>{
                             "app-suspend", "xenstore-quiesce", "devices-suspend", "park-cpus",
                             "stop-timers", "restart-cpus(same)", "xenstore-resume(same)",
                             "devices-resume(same)", "app-resumed(cancelled)"}))
        << "no clocks/events step: the timers were never stopped";
}

TEST(SuspendSequence, AResumeFailureWhileUnwindingIsFatalToo) {
    FakeXen xen;
    xen.fail_at = "unmap";
    // The remap that undoes a failed unmap fails as well.
    struct Twice final : public SuspendSteps {
        FakeXen& x;
        explicit Twice(FakeXen& f) : x(f) {}
        Error notify_application() override { return x.notify_application(); }
        Error quiesce_xenstore() override { return x.quiesce_xenstore(); }
        Error suspend_devices() override { return x.suspend_devices(); }
        Error park_secondary_cpus() override { return x.park_secondary_cpus(); }
        Error stop_timers_and_events() override { return x.stop_timers_and_events(); }
        Error unmap_foreign_frames() override { return x.unmap_foreign_frames(); }
        long suspend_hypercall() override { return x.suspend_hypercall(); }
        Error remap_foreign_frames(bool) override { return Error::hypercall_failed; }
        Error rebuild_event_channels(bool n) override { return x.rebuild_event_channels(n); }
        Error restore_clocks_and_timers(bool n) override { return x.restore_clocks_and_timers(n); }
        Error restart_secondary_cpus(bool n) override { return x.restart_secondary_cpus(n); }
        Error resume_xenstore(bool n) override { return x.resume_xenstore(n); }
        Error resume_devices(bool n) override { return x.resume_devices(n); }
        void notify_application_resumed(bool c) override { x.notify_application_resumed(c); }
        uint64_t now_ns() override { return x.now_ns(); }
    } steps(xen);
    Report r = run(steps);
    EXPECT_EQ(r.outcome, Outcome::aborted);
    EXPECT_STREQ(r.failed_step, "unmap");
    EXPECT_STREQ(r.failed_resume_step, "remap");
    EXPECT_TRUE(r.fatal);
}

// --- the fault=STEP[:N] injection around the real steps ---

namespace {

FaultPlan plan_of(const char* text) {
    FaultPlanParse p = parse_fault_plan(text, strlen(text));
    EXPECT_EQ(p.error, nullptr) << text;
    return p.plan;
}

std::vector<std::pair<unsigned, std::string>> reported;
void record(unsigned n, const char* step) { reported.emplace_back(n, step); }

Report run_with(FakeXen& xen, const char* plan_text, unsigned suspend_number,
                const char** injected = nullptr) {
    static FaultPlan plan;
    plan = plan_of(plan_text);
    reported.clear();
    FaultInjectingSteps steps(xen, plan, suspend_number, record);
    Report r = run(steps);
    if (injected) *injected = steps.injected();
    return r;
}

}  // namespace

TEST(FaultInjection, OnlyThePlannedSuspendFails) {
    FakeXen xen;
    Report r = run_with(xen, "devices:2", 1);
    EXPECT_EQ(r.outcome, Outcome::resumed_in_new_domain);
    EXPECT_TRUE(reported.empty());
    FakeXen again;
    r = run_with(again, "devices:2", 2);
    EXPECT_EQ(r.outcome, Outcome::aborted);
    EXPECT_STREQ(r.failed_step, "devices");
    EXPECT_EQ(reported, (std::vector<std::pair<unsigned, std::string>>{{2, "devices"}}));
    EXPECT_EQ(again.calls, (std::vector<std::string>{"app-suspend", "xenstore-quiesce",
                                                     "xenstore-resume(same)",
                                                     "app-resumed(cancelled)"}))
        << "the failing step did nothing; what came before is undone";
}

TEST(FaultInjection, AParkTimeoutBringsEveryCpuBackThroughTheRestartStep) {
    FakeXen xen;
    Report r = run_with(xen, "cpus", 1);
    EXPECT_EQ(r.outcome, Outcome::aborted);
    EXPECT_EQ(r.first_error, Error::timed_out);
    EXPECT_STREQ(r.failed_step, "cpus");
    EXPECT_EQ(xen.calls, (std::vector<std::string>{
                             "app-suspend", "xenstore-quiesce", "devices-suspend", "park-cpus",
                             "restart-cpus(same)", "xenstore-resume(same)",
                             "devices-resume(same)", "app-resumed(cancelled)"}));
}

TEST(FaultInjection, TimersFailBeforeStoppingAnything) {
    FakeXen xen;
    Report r = run_with(xen, "timers:1", 1);
    EXPECT_STREQ(r.failed_step, "timers");
    EXPECT_EQ(std::count(xen.calls.begin(), xen.calls.end(), "stop-timers"), 0);
    EXPECT_EQ(std::count(xen.calls.begin(), xen.calls.end(), "restart-cpus(same)"), 1);
    EXPECT_EQ(std::count(xen.calls.begin(), xen.calls.end(), "clocks(same)"), 0);
}

TEST(FaultInjection, AnUnmapFaultUnmapsThenLeavesTheRemapToTheUnwinding) {
    FakeXen xen;
    Report r = run_with(xen, "unmap", 1);
    EXPECT_STREQ(r.failed_step, "unmap");
    EXPECT_FALSE(r.fatal);
    std::vector<std::string> tail(xen.calls.begin() + 6, xen.calls.end());
    EXPECT_EQ(xen.calls[5], "unmap") << "the real unmap ran";
    EXPECT_EQ(tail, (std::vector<std::string>{"remap(same)", "events(same)", "clocks(same)",
                                              "restart-cpus(same)", "xenstore-resume(same)",
                                              "devices-resume(same)", "app-resumed(cancelled)"}));
}

TEST(FaultInjection, AResumeFaultSkipsTheStepAndIsFatal) {
    FakeXen xen;
    const char* injected = nullptr;
    Report r = run_with(xen, "app:1,resume.cpus:2", 2, &injected);
    EXPECT_TRUE(r.fatal);
    EXPECT_STREQ(r.failed_resume_step, "cpus");
    EXPECT_STREQ(injected, "resume.cpus");
    EXPECT_EQ(std::count(xen.calls.begin(), xen.calls.end(), "restart-cpus(new)"), 0)
        << "the step never ran";
    EXPECT_EQ(xen.calls.back(), "clocks(new)");
}

TEST(FaultInjection, ADevicesResumeFaultRunsTheDriversAndCarriesOn) {
    FakeXen xen;
    xen.hypercall_result = 1;  // cancelled: same domain
    Report r = run_with(xen, "resume.devices", 1);
    EXPECT_FALSE(r.fatal);
    EXPECT_STREQ(r.failed_resume_step, "devices");
    EXPECT_EQ(std::count(xen.calls.begin(), xen.calls.end(), "devices-resume(same)"), 1);
    EXPECT_EQ(xen.calls.back(), "app-resumed(cancelled)");
}

TEST(FaultInjection, EveryStepCanBeInjected) {
    // Each of the twelve makes its own step fail, and only that one.
    struct Case {
        const char* plan;
        const char* down;  // failed down step, or null
        const char* up;    // failed resume step, or null
    } cases[] = {
        {"app", "app", nullptr},           {"xenstore", "xenstore", nullptr},
        {"devices", "devices", nullptr},   {"cpus", "cpus", nullptr},
        {"timers", "timers", nullptr},     {"unmap", "unmap", nullptr},
        {"remap", nullptr, "remap"},       {"events", nullptr, "events"},
        {"clocks", nullptr, "clocks"},     {"resume.cpus", nullptr, "cpus"},
        {"resume.xenstore", nullptr, "xenstore"}, {"resume.devices", nullptr, "devices"},
    };
    for (const Case& c : cases) {
        FakeXen xen;
        Report r = run_with(xen, c.plan, 1);
        ASSERT_EQ(reported.size(), 1u) << c.plan;
        if (c.down) {
            EXPECT_STREQ(r.failed_step, c.down) << c.plan;
            EXPECT_EQ(r.outcome, Outcome::aborted) << c.plan;
        } else {
            EXPECT_EQ(r.failed_step, nullptr) << c.plan;
            EXPECT_STREQ(r.failed_resume_step, c.up) << c.plan;
        }
    }
}
