#include "suspend/fault_plan.h"

#include <string.h>

namespace torpor::suspend {

namespace {

struct Spelling {
    const char* name;
    FaultStep step;
};

// Every accepted spelling; the first one of a step is its canonical name.
constexpr Spelling kSpellings[] = {
    {"app", FaultStep::app},
    {"xenstore", FaultStep::xenstore},
    {"devices", FaultStep::devices},
    {"cpus", FaultStep::cpus},
    {"timers", FaultStep::timers},
    {"unmap", FaultStep::unmap},
    {"resume.remap", FaultStep::resume_remap},
    {"resume.events", FaultStep::resume_events},
    {"resume.clocks", FaultStep::resume_clocks},
    {"resume.cpus", FaultStep::resume_cpus},
    {"resume.xenstore", FaultStep::resume_xenstore},
    {"resume.devices", FaultStep::resume_devices},
    {"suspend.app", FaultStep::app},
    {"suspend.xenstore", FaultStep::xenstore},
    {"suspend.devices", FaultStep::devices},
    {"suspend.cpus", FaultStep::cpus},
    {"suspend.timers", FaultStep::timers},
    {"suspend.unmap", FaultStep::unmap},
    {"remap", FaultStep::resume_remap},
    {"events", FaultStep::resume_events},
    {"clocks", FaultStep::resume_clocks},
};

bool lookup(const char* text, size_t length, FaultStep& out) {
    for (const Spelling& s : kSpellings) {
        if (strlen(s.name) == length && strncmp(s.name, text, length) == 0) {
            out = s.step;
            return true;
        }
    }
    return false;
}

FaultPlanParse reject(const char* why, size_t at) {
    FaultPlanParse result;
    result.error = why;
    result.error_at = at;
    return result;
}

}  // namespace

const char* fault_step_name(FaultStep step) {
    for (const Spelling& s : kSpellings)
        if (s.step == step) return s.name;
    return "?";
}

bool FaultPlan::fails(FaultStep step, unsigned suspend_number) const {
    for (unsigned i = 0; i < count; ++i)
        if (faults[i].step == step && faults[i].suspend_number == suspend_number) return true;
    return false;
}

FaultPlanParse parse_fault_plan(const char* text, size_t length) {
    FaultPlanParse result;
    if (length == 0) return reject("empty (want STEP[:N][,STEP[:N]]...)", 0);
    size_t i = 0;
    while (i <= length) {
        size_t start = i;
        while (i < length && text[i] != ',' && text[i] != ':') ++i;
        FaultStep step;
        if (!lookup(text + start, i - start, step)) return reject("unknown step", start);
        unsigned number = 1;
        if (i < length && text[i] == ':') {
            size_t digits = ++i;
            unsigned long n = 0;
            while (i < length && text[i] >= '0' && text[i] <= '9') {
                n = n * 10 + unsigned(text[i] - '0');
                if (n > 1'000'000) return reject("suspend number too large", digits);
                ++i;
            }
            if (i == digits || n == 0) return reject("want a suspend number from 1", digits);
            if (i < length && text[i] != ',') return reject("junk after the suspend number", i);
            number = unsigned(n);
        }
        if (result.plan.count == FaultPlan::kMaxFaults) return reject("more than 16 faults", start);
        result.plan.faults[result.plan.count++] = {step, number};
        if (i == length) break;
        ++i;  // the comma
        if (i == length) return reject("empty entry after a comma", i);
    }
    return result;
}

}  // namespace torpor::suspend
