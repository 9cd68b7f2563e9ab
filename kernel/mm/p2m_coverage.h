// How much of the pfn space the p2m we publish to the toolstack covers
// (shared_info arch.max_pfn): every populated frame plus slack, so that save
// and migration walk what is used rather than all of `memory =`.
//
// libxenguest (4.17, xg_sr_save_x86_pv.c) reads max_pfn and maps the p2m once,
// when a save starts, and never again; between rounds it only compares the
// linear p2m's p2m_generation with the value it read then, and aborts the save
// when it changed. So a frame above the max_pfn a running save read must never
// be used unless the generation moved after that save read it. The save reads
// max_pfn a moment *before* the generation, so a change made in that moment
// goes unnoticed; hence two steps:
//   - grow early: once populated frames come within half the slack of the
//     published end, a bigger max_pfn is published (generation bumped);
//   - confirm before use: the first time a frame above the previous end is
//     populated, the generation is bumped again. A save that read the old
//     max_pfn read its generation before this bump and will abort.
// A save that runs while the guest grows past its end fails (the toolstack
// says "p2m generation count changed"), the guest carries on; one that starts
// later sees the new end.
//
// Pure: host-tested.
#pragma once
#include <stddef.h>

namespace torpor {

class P2mCoverage {
public:
    static constexpr unsigned long kGrain = 512;  // one p2m page's entries, one region

    // `slack`: frames covered beyond the populated end; `nr_pages`: the
    // p2m's length (the most that can be covered).
    void init(unsigned long nr_pages, unsigned long slack) {
        nr_pages_ = nr_pages;
        slack_ = slack;
        published_ = confirmed_ = nr_pages;
    }

    // The max_pfn to publish for frames populated up to `populated_end`.
    unsigned long wanted(unsigned long populated_end) const {
        unsigned long end = populated_end + slack_;
        end = (end + kGrain - 1) / kGrain * kGrain;
        return end < nr_pages_ ? end : nr_pages_;
    }

    // Starting afresh (boot once memory went back, resume in a new domain):
    // no save can hold an older view. Returns the max_pfn to publish.
    unsigned long reset(unsigned long populated_end) {
        published_ = confirmed_ = wanted(populated_end);
        return published_;
    }

    struct Step {
        bool publish = false;        // write `max_pfn` (generation bumped around it)
        unsigned long max_pfn = 0;
        bool bump = false;           // bump the generation once more, after publish
    };
    // After frames were populated up to `populated_end`; the caller applies
    // the step before the new frames are used.
    Step after_populate(unsigned long populated_end) {
        Step s;
        if (populated_end + slack_ / 2 > published_ && published_ < nr_pages_) {
            unsigned long next = wanted(populated_end);
            if (next > published_) {
                s.publish = true;
                s.max_pfn = published_ = next;
            }
        }
        if (populated_end > confirmed_) {
            s.bump = true;
            confirmed_ = published_;
        }
        return s;
    }

    unsigned long published() const { return published_; }
    unsigned long confirmed() const { return confirmed_; }

private:
    unsigned long nr_pages_ = 0;
    unsigned long slack_ = 0;
    unsigned long published_ = 0;
    unsigned long confirmed_ = 0;
};

}  // namespace torpor
