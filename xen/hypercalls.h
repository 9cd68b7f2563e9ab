// Typed wrappers for the hypercalls torpor uses. Each returns Xen's raw result
// (0 or a positive value on success, -errno from xen/errno.h on failure).
#pragma once
#include "abi.h"
#include "arch/x86_64/hypercall_asm.h"

namespace xen {

inline unsigned long as_arg(const void* p) { return reinterpret_cast<unsigned long>(p); }

inline long console_io_write(const char* buf, unsigned len) {
    return arch::raw_hypercall<__HYPERVISOR_console_io>(CONSOLEIO_write, len, as_arg(buf));
}

inline long set_trap_table(const trap_info* table) {
    return arch::raw_hypercall<__HYPERVISOR_set_trap_table>(as_arg(table));
}

inline long register_callback(uint16_t type, void (*entry)(), uint16_t flags = 0) {
    callback_register reg{};
    reg.type = type;
    reg.flags = flags;
    reg.address = reinterpret_cast<xen_callback_t>(entry);
    return arch::raw_hypercall<__HYPERVISOR_callback_op>(CALLBACKOP_register, as_arg(&reg));
}

inline long mmu_update(const mmu_update_t* reqs, unsigned count, unsigned* done) {
    return arch::raw_hypercall<__HYPERVISOR_mmu_update>(as_arg(reqs), count, as_arg(done),
                                                        DOMID_SELF);
}

inline long mmuext_op(mmuext_op_t* ops, unsigned count, unsigned* done) {
    return arch::raw_hypercall<__HYPERVISOR_mmuext_op>(as_arg(ops), count, as_arg(done),
                                                       DOMID_SELF);
}

// Flushes the TLBs of every vCPU of this domain (MMUEXT_TLB_FLUSH_ALL, xen/xen.h):
// Xen does not flush a guest's stale entries when the guest changes its own
// page tables.
inline long flush_all_tlbs() {
    mmuext_op_t op{};
    op.cmd = MMUEXT_TLB_FLUSH_ALL;
    unsigned done = 0;
    return mmuext_op(&op, 1, &done);
}

inline long update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags) {
    return arch::raw_hypercall<__HYPERVISOR_update_va_mapping>(va, pte, flags);
}

inline long sched_op(int cmd, void* arg) {
    return arch::raw_hypercall<__HYPERVISOR_sched_op>(cmd, as_arg(arg));
}

inline long shutdown(unsigned reason) {
    sched_shutdown_t s{reason};
    return sched_op(SCHEDOP_shutdown, &s);
}

inline long yield() { return sched_op(SCHEDOP_yield, nullptr); }

// Blocks until one of `ports` is pending or Xen system time reaches
// `deadline_ns` (0 = no timeout). Works with event delivery masked.
inline long poll_ports(evtchn_port_t* ports, unsigned count, uint64_t deadline_ns) {
    sched_poll_t p{};
    set_xen_guest_handle(p.ports, ports);
    p.nr_ports = count;
    p.timeout = deadline_ns;
    return sched_op(SCHEDOP_poll, &p);
}

inline long event_channel_op(int cmd, void* arg) {
    return arch::raw_hypercall<__HYPERVISOR_event_channel_op>(cmd, as_arg(arg));
}

inline long notify(evtchn_port_t port) {
    evtchn_send_t send{port};
    return event_channel_op(EVTCHNOP_send, &send);
}

inline long xen_version(int cmd, void* arg) {
    return arch::raw_hypercall<__HYPERVISOR_xen_version>(cmd, as_arg(arg));
}

// `arg` points to an array of `count` structures of the type `cmd` takes
// (GNTTABOP_* => struct gnttab_*, /usr/include/xen/grant_table.h).
inline long grant_table_op(unsigned cmd, void* arg, unsigned count) {
    return arch::raw_hypercall<__HYPERVISOR_grant_table_op>(cmd, as_arg(arg), count);
}

}  // namespace xen

namespace xen {

inline long vcpu_op(int cmd, unsigned vcpu, void* arg) {
    return arch::raw_hypercall<__HYPERVISOR_vcpu_op>(cmd, vcpu, as_arg(arg));
}

inline long set_segment_base(unsigned which, unsigned long base) {
    return arch::raw_hypercall<__HYPERVISOR_set_segment_base>(which, base);
}

// SCHEDOP_block: atomically re-enables event delivery and blocks until an
// event is pending (xen/sched.h); the upcall runs before it returns.
inline long block() { return sched_op(SCHEDOP_block, nullptr); }

}  // namespace xen

namespace xen {

// SCHEDOP_shutdown(SHUTDOWN_suspend): the third argument (rdx) carries the MFN
// of start_info, which restore reads from vCPU 0 (xen/sched.h). Returns 0 when
// resumed in a new domain, non-zero when the suspend was cancelled (same
// domain), negative if Xen refused.
inline long suspend(unsigned long start_info_mfn) {
    sched_shutdown_t s{SHUTDOWN_suspend};
    return arch::raw_hypercall<__HYPERVISOR_sched_op>(SCHEDOP_shutdown, as_arg(&s),
                                                      start_info_mfn);
}

}  // namespace xen

namespace xen {

inline long memory_op(unsigned cmd, void* arg) {
    return arch::raw_hypercall<__HYPERVISOR_memory_op>(cmd, as_arg(arg));
}

// Frames Xen counts against our domain (its tot_pages; xen/memory.h
// XENMEM_current_reservation takes a domid_t).
inline long current_reservation() {
    domid_t self = DOMID_SELF;
    return memory_op(XENMEM_current_reservation, &self);
}

// XENMEM_{increase,decrease}_reservation and XENMEM_populate_physmap on our own
// domain: `count` extents of 2^order frames listed in `extents`.
inline long reservation_op(unsigned cmd, unsigned long* extents, unsigned long count,
                           unsigned order) {
    xen_memory_reservation r{};
    set_xen_guest_handle(r.extent_start, extents);
    r.nr_extents = count;
    r.extent_order = order;
    r.domid = DOMID_SELF;
    return memory_op(cmd, &r);
}

// Gives `count` extents of 2^order frames back to Xen, each named by its first
// MFN (a PV guest's "GMFN" is the MFN, and an extent must be MFN-contiguous:
// Xen frees mfn + j for j < 2^order, common/memory.c). Returns how many
// extents it took. A domU may use orders up to 9 (2 MiB).
inline long decrease_reservation(unsigned long* mfns, unsigned long count,
                                 unsigned order = 0) {
    return reservation_op(XENMEM_decrease_reservation, mfns, count, order);
}

// Asks Xen for `count` extents of 2^order frames; `frames` holds each extent's
// first GPFN and, for a PV guest, gets its first MFN back: the extent is
// machine-contiguous and Xen points the M2P of mfn + j at gpfn + j
// (xen/memory.h, common/memory.c). Returns how many extents it populated.
inline long populate_physmap(unsigned long* frames, unsigned long count, unsigned order = 0) {
    return reservation_op(XENMEM_populate_physmap, frames, count, order);
}

}  // namespace xen
