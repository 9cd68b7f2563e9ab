#include "suspend/fault_plan.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using namespace torpor::suspend;

namespace {

FaultPlanParse parse(const char* text) { return parse_fault_plan(text, strlen(text)); }

std::string describe(const FaultPlan& plan) {
    std::string out;
    for (unsigned i = 0; i < plan.count; ++i) {
        if (i) out += ",";
        out += std::string(fault_step_name(plan.faults[i].step)) + ":" +
               std::to_string(plan.faults[i].suspend_number);
    }
    return out;
}

}  // namespace

TEST(FaultPlan, OneStepDefaultsToTheFirstSuspend) {
    auto p = parse("cpus");
    ASSERT_EQ(p.error, nullptr);
    EXPECT_EQ(describe(p.plan), "cpus:1");
    EXPECT_TRUE(p.plan.fails(FaultStep::cpus, 1));
    EXPECT_FALSE(p.plan.fails(FaultStep::cpus, 2));
    EXPECT_FALSE(p.plan.fails(FaultStep::resume_cpus, 1)) << "bare cpus is the down path";
}

TEST(FaultPlan, AListTakesOneFaultPerSuspend) {
    auto p = parse("app:1,xenstore:2,devices:3,cpus:4,timers:5,unmap:6");
    ASSERT_EQ(p.error, nullptr);
    EXPECT_EQ(describe(p.plan), "app:1,xenstore:2,devices:3,cpus:4,timers:5,unmap:6");
    EXPECT_TRUE(p.plan.fails(FaultStep::timers, 5));
    EXPECT_FALSE(p.plan.fails(FaultStep::timers, 4));
}

TEST(FaultPlan, ResumeStepsAndTheirSpellings) {
    auto p = parse("remap,events:2,clocks:3,resume.cpus:4,resume.xenstore:5,resume.devices:6,"
                   "suspend.unmap:7,resume.remap:8");
    ASSERT_EQ(p.error, nullptr) << p.error;
    EXPECT_EQ(describe(p.plan),
              "resume.remap:1,resume.events:2,resume.clocks:3,resume.cpus:4,"
              "resume.xenstore:5,resume.devices:6,unmap:7,resume.remap:8");
}

TEST(FaultPlan, ABadEntryRejectsTheWholeOption) {
    struct {
        const char* text;
        size_t at;
    } bad[] = {
        {"", 0},         {"cpu", 0},        {"cpus:0", 5},       {"cpus:", 5},
        {"cpus:x", 5},   {"cpus:2x", 6},    {"app,", 4},         {",app", 0},
        {"app,,cpus", 4}, {"app:99999999", 4}, {"resume.timers", 0}, {"app:1;cpus", 5},
    };
    for (auto& b : bad) {
        auto p = parse(b.text);
        EXPECT_NE(p.error, nullptr) << b.text;
        EXPECT_EQ(p.error_at, b.at) << b.text;
        EXPECT_EQ(p.plan.count, 0u) << b.text;
    }
}

TEST(FaultPlan, AtMostSixteenFaults) {
    std::string sixteen, seventeen;
    for (int i = 1; i <= 16; ++i) sixteen += (i > 1 ? ",app:" : "app:") + std::to_string(i);
    seventeen = sixteen + ",app:17";
    EXPECT_EQ(parse(sixteen.c_str()).error, nullptr);
    EXPECT_NE(parse(seventeen.c_str()).error, nullptr);
}

TEST(FaultPlan, TheValueIsNotTerminated) {
    // boot_options hands over a slice of the command line.
    const char line[] = "unmap:3 balloon=off";
    auto p = parse_fault_plan(line, 7);
    ASSERT_EQ(p.error, nullptr);
    EXPECT_EQ(describe(p.plan), "unmap:3");
}
