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
void resume_from(SuspendSteps& s, Report& r, unsigned stage, bool new_domain) {
    Timer t(s, r.up, r.up_count);
    auto note = [&r](Error e, const char* step) {
        if (e != Error::none && r.first_error == Error::none) {
            r.first_error = e;
            r.failed_step = step;
        }
        return 0;
    };
    if (stage >= 6) t.time("remap", [&] { return note(s.remap_foreign_frames(new_domain), "remap"); });
    if (stage >= 5) {
        t.time("events", [&] { return note(s.rebuild_event_channels(new_domain), "events"); });
        t.time("clocks", [&] { return note(s.restore_clocks_and_timers(new_domain), "clocks"); });
    }
    if (stage >= 4) t.time("cpus", [&] { return note(s.restart_secondary_cpus(new_domain), "cpus"); });
    if (stage >= 2) t.time("xenstore", [&] { return note(s.resume_xenstore(new_domain), "xenstore"); });
    if (stage >= 3) t.time("devices", [&] { return note(s.resume_devices(new_domain), "devices"); });
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
    t.time("timers", [&] {
        s.stop_timers_and_events();
        return 0;
    });
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
