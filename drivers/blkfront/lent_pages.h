// The frames a disk lends its backend for one request's data and indirect
// pages, each with its grant. Two modes, chosen at every connect:
//
//   transient (no feature-persistent on one side): a page is allocated and
//     granted when a request takes it (read-only when the backend only reads
//     it), and revoked and freed once its response came. A page the backend
//     still maps then is never read nor reused: reclaim() says false.
//   persistent (both sides wrote feature-persistent = 1, xen/io/blkif.h):
//     the backend may keep every grant it saw mapped until it disconnects,
//     so a page keeps its grant, read-write ("allowing the backend to map them
//     with write access (even when it should be read-only)") and goes back to
//     a LIFO free list, as blkif.h recommends, so that a backend that keeps
//     fewer mapped sees the same few. The pool grows on demand up to the
//     limit of that connect; a request finding none free waits for a
//     response. Nothing is revoked while the backend is there, so here the
//     driver trusts the protocol that the backend writes a read's page only
//     before it answers (it controls the disk's contents anyway).
//
// When the backend goes (a resume into a new domain, a detach), every page is
// back (the driver ended every request's part first) and release_all()
// revokes and frees them: in a new domain the old table is gone and revoking
// only frees the ref; a page a closed backend still maps is left alone.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "xen/abi.h"
#include <xen/grant_table.h>

namespace torpor::blkfront {

// The persistent pool's bound per disk: 5 requests of 64 pages and their
// indirect pages by default (1.3 MiB), blkpersistent=N pages on the command
// line (0: transient grants whatever the backend offers), at most 1024 (the
// grant table has 2048 refs for every device).
inline constexpr uint32_t kDefaultPersistentPages = 5 * (64 + 1);
inline constexpr uint32_t kMaxPersistentPages = 1024;

struct LentPage {
    unsigned long pfn = 0;
    grant_ref_t ref = 0;
};

class LentPages {
public:
    // At each connect, with nothing lent: whom the grants are for, and the
    // persistent pool's limit (0: transient grants).
    void start(domid_t backend, uint32_t persistent_limit);
    bool persistent() const { return limit_ > 0; }
    uint32_t limit() const { return limit_; }

    // A page for a request: out_of_memory when the pool is at its limit with
    // every page lent (or frames or grant refs ran out).
    ErrorOr<LentPage> take(bool readonly);
    // The request's response came (or it was taken off a dead ring): ends the
    // backend's access where this mode does. False: the backend still maps a
    // transient page; it is never read, reused or freed (counted in lost()).
    bool reclaim(const LentPage& page);
    // After reclaim() said true: back to the pool, or freed.
    void put(const LentPage& page);

    // The backend is gone and nothing is lent: every pooled page revoked and
    // freed. Returns how many the backend still maps (left alone, lost()).
    uint32_t release_all();

    uint32_t lent() const { return lent_; }
    uint32_t pooled() const { return pooled_; }  // persistent pages that exist
    uint32_t lost() const { return lost_; }

private:
    domid_t backend_ = 0;
    uint32_t limit_ = 0;
    uint32_t lent_ = 0;
    uint32_t pooled_ = 0;
    uint32_t lost_ = 0;
    uint32_t free_count_ = 0;
    LentPage free_[kMaxPersistentPages];
};

}  // namespace torpor::blkfront
