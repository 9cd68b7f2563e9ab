#include "suspend/suspend_sequence.h"

namespace torpor::suspend {

const char* outcome_name(Outcome o) {
    switch (o) {
        case Outcome::resumed_in_new_domain: return "resumed in a new domain";
        case Outcome::cancelled: return "cancelled";
        case Outcome::aborted: return "aborted";
    }
    return "?";
}

namespace {

class Timer {
public:
    Timer(SuspendSteps& s, StepTime* log, unsigned& count) : s_(s), log_(log), count_(count) {}
    template <typename Fn>
    auto time(const char* name, Fn fn) {
        uint64_t start = s_.now_ns();
        auto result = fn();
        if (count_ < 8) log_[count_++] = {name, s_.now_ns() - start};
        return result;
    }

private:
    SuspendSteps& s_;
    StepTime* log_;
    unsigned& count_;
};

// Resume path from `stage` downwards: stage is how many down-steps completed.
// Stops at the first fatal failure.
void resume_from(SuspendSteps& s, Report& r, unsigned stage, bool new_domain) {
    struct Up {
        const char* name;
        unsigned needs_stage;  // the down step it undoes (1 = app ... 6 = unmap)
        Error (SuspendSteps::*step)(bool);
        bool fatal;
    };
    static const Up up[] = {
        {"remap", 6, &SuspendSteps::remap_foreign_frames, true},
        {"events", 5, &SuspendSteps::rebuild_event_channels, true},
        {"clocks", 5, &SuspendSteps::restore_clocks_and_timers, true},
        {"cpus", 4, &SuspendSteps::restart_secondary_cpus, true},
        {"xenstore", 2, &SuspendSteps::resume_xenstore, true},
        {"devices", 3, &SuspendSteps::resume_devices, false},
    };
    Timer t(s, r.up, r.up_count);
    for (const Up& u : up) {
        if (stage < u.needs_stage) continue;
        Error e = t.time(u.name, [&] { return (s.*u.step)(new_domain); });
        if (e == Error::none) continue;
        if (r.resume_error == Error::none) {
            r.resume_error = e;
            r.failed_resume_step = u.name;
        }
        if (u.fatal) {
            r.fatal = true;
            return;
        }
    }
    if (stage >= 1) t.time("app", [&] {
        s.notify_application_resumed(!new_domain);
        return 0;
    });
}

}  // namespace

Report run(SuspendSteps& s) {
    Report r;
    Timer t(s, r.down, r.down_count);
    struct Down {
        const char* name;
        Error (SuspendSteps::*step)();
    };
    static const Down down[] = {
        {"app", &SuspendSteps::notify_application},
        {"xenstore", &SuspendSteps::quiesce_xenstore},
        {"devices", &SuspendSteps::suspend_devices},
        {"cpus", &SuspendSteps::park_secondary_cpus},
    };
    unsigned stage = 0;
    for (const Down& d : down) {
        Error e = t.time(d.name, [&] { return (s.*d.step)(); });
        if (e != Error::none) {
            r.first_error = e;
            r.failed_step = d.name;
            resume_from(s, r, stage, false);
            return r;
        }
        ++stage;
    }
    if (Error e = t.time("timers", [&] { return s.stop_timers_and_events(); }); e != Error::none) {
        r.first_error = e;
        r.failed_step = "timers";
        resume_from(s, r, stage, false);
        return r;
    }
    ++stage;  // 5
    Error e = t.time("unmap", [&] { return s.unmap_foreign_frames(); });
    if (e != Error::none) {
        r.first_error = e;
        r.failed_step = "unmap";
        resume_from(s, r, stage + 1, false);  // remap whatever was unmapped
        return r;
    }
    ++stage;  // 6
    // Not timed: across a migration the two ends of it are on different hosts.
    long rc = s.suspend_hypercall();
    r.hypercall_result = rc;
    bool new_domain = rc == 0;
    r.outcome = new_domain ? Outcome::resumed_in_new_domain : Outcome::cancelled;
    if (rc < 0) {
        r.first_error = Error::hypercall_failed;
        r.failed_step = "hypercall";
        r.outcome = Outcome::aborted;
    }
    resume_from(s, r, stage, new_domain);
    return r;
}

}  // namespace torpor::suspend
