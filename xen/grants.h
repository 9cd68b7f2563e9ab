// This domain's v1 grant table (/usr/include/xen/grant_table.h): the frames Xen
// shares with us for GNTTABOP_setup_table, mapped over a page-aligned area of our
// .bss, and the entries through which we let other domains access our frames.
// Safe to call from any vCPU (the free list is locked, with events masked).
#pragma once
#include "xen/abi.h"
#include <xen/grant_table.h>

#include "base/error.h"

namespace xen::grant_table {

inline constexpr unsigned kMaxFrames = 4;
inline constexpr unsigned kEntriesPerFrame = 4096 / sizeof(grant_entry_v1_t);

// Sets up `nr_frames` (1..kMaxFrames) table frames for DOMID_SELF and maps them.
torpor::Error init(unsigned nr_frames);

// Lets `domid` map or copy machine frame `mfn` (read-only if asked): frame and
// domid are written first, then the flags that make the entry valid.
torpor::ErrorOr<grant_ref_t> grant_access(domid_t domid, unsigned long mfn, bool readonly);
// Invalidates the entry unless the remote has it mapped (GTF_reading/GTF_writing:
// busy, entry left intact), then frees the ref. A ref that is reserved, out of
// range or not granted is invalid_argument.
torpor::Error revoke_access(grant_ref_t ref);

// Before suspend: puts the area's own frames back, so no page table of ours
// refers to Xen's table frames. Grants and revokes fail with try_again until
// remap_frames() has run; allocated refs stay allocated.
torpor::Error unmap_frames();
// After resume (or a cancelled suspend): setup_table and mapping again. A new
// domain's table starts empty, so drivers re-grant what their peers need.
torpor::Error remap_frames();

// A copy of one entry as it is now, for checks and diagnostics.
struct EntrySnapshot {
    uint16_t flags;
    domid_t domid;
    uint32_t frame;
};
torpor::ErrorOr<EntrySnapshot> entry(grant_ref_t ref);

bool is_mapped();
unsigned nr_frames();
unsigned nr_refs();         // entries in the table, reserved ones included
unsigned free_refs();       // refs grant_access() can still hand out
bool is_granted(grant_ref_t ref);
// Xen's raw result (-errno or GNTST_*) of the last hypercall that failed.
long last_failure();

}  // namespace xen::grant_table
