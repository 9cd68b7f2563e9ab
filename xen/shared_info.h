// The shared_info page (xen/xen.h, struct shared_info): per-vCPU event state and
// time, the event-channel bitmaps and the wall clock. Xen owns the frame; we map
// it over a page of our own image (its original frame stays ours, unused).
#pragma once
#include "xen/abi.h"

namespace xen {

// Maps the shared_info frame at machine address `machine_address`.
long map_shared_info(unsigned long machine_address);
// Puts our own frame back under the page (before suspending: nothing foreign
// may stay mapped when the toolstack canonicalises our page tables).
long unmap_shared_info();
shared_info* shared();
inline vcpu_info* vcpu(unsigned id) { return &shared()->vcpu_info[id]; }

// 2-level event bitmaps, usable with event delivery masked.
void clear_pending(evtchn_port_t port);
bool is_pending(evtchn_port_t port);

}  // namespace xen
