#include "base/spinlock.h"
#include "xen/event_mask.h"
#include "xen/grants.h"

#include "arch/x86_64/layout.h"
#include "base/grant_refs.h"
#include "base/all_or_none.h"
#include "xen/hypercalls.h"
#include "xen/p2m.h"
#include "xen/page_flags.h"

namespace xen::grant_table {

using torpor::Error;
using torpor::ErrorOr;

namespace {

static_assert(torpor::grant::kReservedRefs == GNTTAB_NR_RESERVED_ENTRIES);
static_assert(sizeof(grant_entry_v1_t) == 8 && kEntriesPerFrame == 512);

constexpr unsigned kMaxRefs = kMaxFrames * kEntriesPerFrame;
constexpr uint16_t kInUseFlags = GTF_reading | GTF_writing;

enum class State { uninitialized, mapped, unmapped };

// The area the table frames are mapped over; its own frames wait in
// `own_mfns` for unmap_frames(); `table_mfns` are Xen's frames now mapped there.
alignas(4096) unsigned char table_area[kMaxFrames][4096];
unsigned long own_mfns[kMaxFrames];
unsigned long table_mfns[kMaxFrames];

uint32_t ref_links[torpor::grant::GrantRefs::links_needed(0, kMaxRefs)];
torpor::grant::GrantRefs refs;
torpor::Spinlock refs_lock;  // with events masked
State state = State::uninitialized;
unsigned frames = 0;
long last_failure_rc = 0;

unsigned long area_va(unsigned i) { return reinterpret_cast<unsigned long>(table_area[i]); }

grant_entry_v1_t* table_entry(grant_ref_t ref) {
    return reinterpret_cast<grant_entry_v1_t*>(table_area) + ref;
}

Error failed(long rc) {
    last_failure_rc = rc;
    return Error::hypercall_failed;
}

// Maps area page i to machine frame `mfn`.
long map_area_page(unsigned i, unsigned long mfn) {
    return update_va_mapping(area_va(i), (uint64_t(mfn) << arch::kPageShift) | kPageWritableFlags,
                             UVMF_INVLPG);
}

// Maps every area page over `to` or, if one fails, every one back over `from`.
torpor::AllOrNone switch_area_frames(const unsigned long* to, const unsigned long* from) {
    return torpor::apply_all_or_none(
        frames, [to](unsigned i) { return map_area_page(i, to[i]); },
        [from](unsigned i) { return map_area_page(i, from[i]); });
}

// GNTTABOP_setup_table for DOMID_SELF, then every returned frame over the area.
// The p2m is read here, not once at boot: after a restore the area's pfns
// are backed by new machine frames.
Error setup_and_map() {
    xen_pfn_t list[kMaxFrames] = {};
    gnttab_setup_table setup{};
    setup.dom = DOMID_SELF;
    setup.nr_frames = frames;
    set_xen_guest_handle(setup.frame_list, list);
    if (long rc = grant_table_op(GNTTABOP_setup_table, &setup, 1)) return failed(rc);
    if (setup.status != GNTST_okay) return failed(setup.status);

    for (unsigned i = 0; i < frames; ++i) {
        own_mfns[i] = p2m().mfn(arch::pfn_of_virt(area_va(i)));
        table_mfns[i] = list[i];
    }
    auto mapped = switch_area_frames(table_mfns, own_mfns);
    if (!mapped.applied) return failed(mapped.failure);
    state = State::mapped;
    return Error::none;
}

Error usable() {
    switch (state) {
        case State::mapped: return Error::none;
        case State::unmapped: return Error::try_again;
        case State::uninitialized: break;
    }
    return Error::not_supported;
}

}  // namespace

Error init(unsigned nr_frames) {
    if (state != State::uninitialized) return Error::already_exists;
    if (nr_frames == 0 || nr_frames > kMaxFrames) return Error::invalid_argument;
    frames = nr_frames;
    if (Error e = setup_and_map(); e != Error::none) return e;
    return refs.init(0, frames * kEntriesPerFrame, ref_links);
}

ErrorOr<grant_ref_t> grant_access(domid_t domid, unsigned long mfn, bool readonly) {
    if (Error e = usable(); e != Error::none) return e;
    // A v1 entry holds a 32-bit frame number; DOMID_SELF and friends are not peers.
    if (mfn > 0xffffffffu || domid >= DOMID_FIRST_RESERVED) return Error::invalid_argument;
    ErrorOr<grant_ref_t> ref = Error::none;
    {
        EventMaskGuard masked;
        torpor::LockGuard guard(refs_lock);
        ref = refs.allocate();
    }
    if (ref.is_error()) return ref.error();
    grant_entry_v1_t* e = table_entry(ref.value());
    e->domid = domid;
    e->frame = uint32_t(mfn);
    // The header's "write memory barrier" step: Xen must never see the valid
    // flags before the frame and domid they cover (a release store orders them).
    uint16_t flags = uint16_t(GTF_permit_access | (readonly ? GTF_readonly : 0));
    __atomic_store_n(&e->flags, flags, __ATOMIC_RELEASE);
    return ref.value();
}

Error revoke_access(grant_ref_t ref) {
    if (Error e = usable(); e != Error::none) return e;
    EventMaskGuard masked;
    torpor::LockGuard guard(refs_lock);
    if (!refs.is_allocated(ref)) return Error::invalid_argument;
    // "Invalidating an unused GTF_permit_access entry": Xen sets GTF_reading and
    // GTF_writing while the peer has the frame mapped, so clear the flags only with
    // a compare-exchange against a value without them. A failed exchange means Xen
    // changed the flags meanwhile: look again.
    uint16_t* flags = &table_entry(ref)->flags;
    uint16_t seen = __atomic_load_n(flags, __ATOMIC_ACQUIRE);
    do {
        if (seen & kInUseFlags) return Error::busy;
    } while (!__atomic_compare_exchange_n(flags, &seen, uint16_t(0), false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_ACQUIRE));
    return refs.free(ref);
}

// The state changes only with the frames: a failure puts the table back
// (still mapped, usable); only if that fails too is it left to remap_frames().
Error unmap_frames() {
    if (state != State::mapped) return Error::invalid_argument;
    auto unmapped = switch_area_frames(own_mfns, table_mfns);
    if (unmapped.applied || !unmapped.rolled_back) state = State::unmapped;
    if (!unmapped.applied) return failed(unmapped.failure);
    return Error::none;
}

Error remap_frames() {
    if (state != State::unmapped) return Error::invalid_argument;
    return setup_and_map();
}

ErrorOr<EntrySnapshot> entry(grant_ref_t ref) {
    if (Error e = usable(); e != Error::none) return e;
    if (ref >= frames * kEntriesPerFrame) return Error::invalid_argument;
    const grant_entry_v1_t* e = table_entry(ref);
    return EntrySnapshot{__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE), e->domid, e->frame};
}

bool is_mapped() { return state == State::mapped; }
unsigned nr_frames() { return frames; }
unsigned nr_refs() { return frames * kEntriesPerFrame; }
unsigned free_refs() { return unsigned(refs.free_count()); }
bool is_granted(grant_ref_t ref) { return refs.is_allocated(ref); }
long last_failure() { return last_failure_rc; }

}  // namespace xen::grant_table
