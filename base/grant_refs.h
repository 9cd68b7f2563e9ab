// Which grant references are free. A grant reference indexes the domain's grant
// table (/usr/include/xen/grant_table.h); the first GNTTAB_NR_RESERVED_ENTRIES
// belong to the toolstack (console, xenstore) and are never handed out.
//
// Freed refs join the back of the queue, so a just-revoked ref is the last one
// reused: a peer still holding it stale meets an invalid entry for as long as
// possible rather than someone else's page. Not thread-safe: callers serialize.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

namespace torpor::grant {

using GrantRef = uint32_t;

inline constexpr GrantRef kReservedRefs = 8;  // GNTTAB_NR_RESERVED_ENTRIES
inline constexpr GrantRef kMaxTableRefs = 0xfffffff0u;

class GrantRefs {
public:
    // Words of storage init() needs for refs [first_ref, nr_refs).
    static constexpr size_t links_needed(GrantRef first_ref, GrantRef nr_refs) {
        GrantRef first = first_ref < kReservedRefs ? kReservedRefs : first_ref;
        return nr_refs > first ? nr_refs - first : 0;
    }

    // Manages refs [max(first_ref, kReservedRefs), nr_refs), all free, handed out
    // in ascending order. `links` must hold links_needed(first_ref, nr_refs) words.
    Error init(GrantRef first_ref, GrantRef nr_refs, uint32_t* links);

    // The free ref that has waited longest; out_of_memory when none is left.
    ErrorOr<GrantRef> allocate();
    // Returns an allocated ref; a ref that is not allocated (never was, already
    // freed, reserved, out of range) is invalid_argument and changes nothing.
    Error free(GrantRef ref);

    bool is_managed(GrantRef ref) const { return ref >= first_ && ref < end_; }
    bool is_allocated(GrantRef ref) const;
    size_t free_count() const { return free_count_; }
    size_t capacity() const { return end_ - first_; }
    GrantRef first_ref() const { return first_; }
    GrantRef end_ref() const { return end_; }

private:
    // links_[ref - first_] is the next free ref in the queue, kEndOfQueue, or
    // kAllocated while the ref is handed out.
    static constexpr uint32_t kAllocated = 0xffffffffu;
    static constexpr uint32_t kEndOfQueue = 0xfffffffeu;

    uint32_t& link(GrantRef ref) { return links_[ref - first_]; }
    uint32_t link(GrantRef ref) const { return links_[ref - first_]; }

    GrantRef first_ = 0;
    GrantRef end_ = 0;
    uint32_t* links_ = nullptr;
    uint32_t head_ = kEndOfQueue;
    uint32_t tail_ = kEndOfQueue;
    size_t free_count_ = 0;
};

}  // namespace torpor::grant
