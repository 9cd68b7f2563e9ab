#include "kernel/grant/grant_self_test.h"

#include "base/log.h"
#include "kernel/memory.h"
#include "xen/grants.h"
#include "xen/p2m.h"

namespace torpor::grant {

namespace {

namespace gt = xen::grant_table;

constexpr domid_t kDom0 = 0;

Error fail(const char* what, Error error) {
    klog("grant table: self-test failed: %s (%s)", what, error_name(error));
    return error;
}

Error check_grant_cycle(unsigned long mfn) {
    unsigned free_before = gt::free_refs();
    auto ref = gt::grant_access(kDom0, mfn, true);
    if (ref.is_error()) return fail("grant_access", ref.error());
    grant_ref_t r = ref.value();
    if (r < GNTTAB_NR_RESERVED_ENTRIES || r >= gt::nr_refs() || !gt::is_granted(r))
        return fail("grant_access handed out an unusable ref", Error::protocol_error);
    if (gt::free_refs() != free_before - 1)
        return fail("free ref count did not drop", Error::protocol_error);

    auto entry = gt::entry(r);
    if (entry.is_error()) return fail("entry", entry.error());
    const gt::EntrySnapshot& e = entry.value();
    if (e.flags != (GTF_permit_access | GTF_readonly) || e.domid != kDom0 || e.frame != mfn) {
        klog("grant table: entry %u: flags %#x domid %u frame %#x, want %#x 0 %#lx", r,
             unsigned(e.flags), unsigned(e.domid), unsigned(e.frame),
             unsigned(GTF_permit_access | GTF_readonly), mfn);
        return fail("entry fields", Error::protocol_error);
    }

    if (Error err = gt::revoke_access(r); err != Error::none) return fail("revoke_access", err);
    entry = gt::entry(r);
    if (entry.is_error() || entry.value().flags != 0)
        return fail("entry still valid after revoke", Error::protocol_error);
    if (gt::is_granted(r) || gt::free_refs() != free_before)
        return fail("ref not free after revoke", Error::protocol_error);

    if (gt::revoke_access(r) != Error::invalid_argument)
        return fail("a second revoke was accepted", Error::protocol_error);
    if (gt::revoke_access(GNTTAB_RESERVED_XENSTORE) != Error::invalid_argument)
        return fail("revoking a reserved ref was accepted", Error::protocol_error);
    return Error::none;
}

}  // namespace

Error run_self_test() {
    if (!gt::is_mapped()) return fail("table not mapped", Error::not_supported);
    auto pfn = memory::allocate_frames(1);
    if (pfn.is_error()) return fail("no page to grant", pfn.error());
    unsigned free_before = gt::free_refs();
    Error result = check_grant_cycle(xen::p2m().mfn(pfn.value()));
    // A page whose grant could not be revoked stays out of circulation.
    if (gt::free_refs() == free_before) (void)memory::free_frames(pfn.value(), 1);
    if (result == Error::none)
        klog("grant table: %u frames, %u refs; self-test ok", gt::nr_frames(), gt::nr_refs());
    return result;
}

}  // namespace torpor::grant
