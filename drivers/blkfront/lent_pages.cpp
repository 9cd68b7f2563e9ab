#include "drivers/blkfront/lent_pages.h"

#include "base/assert.h"
#include "kernel/memory.h"
#include "xen/grants.h"
#include "xen/p2m.h"

namespace torpor::blkfront {

namespace gt = xen::grant_table;

namespace {

ErrorOr<LentPage> grant_new_page(domid_t backend, bool readonly) {
    auto pfn = memory::allocate_frames(1);
    if (pfn.is_error()) return Error::out_of_memory;
    auto ref = gt::grant_access(backend, xen::p2m().mfn(pfn.value()), readonly);
    if (ref.is_error()) {
        (void)memory::free_frames(pfn.value(), 1);
        return ref.error();
    }
    return LentPage{pfn.value(), ref.value()};
}

}  // namespace

void LentPages::start(domid_t backend, uint32_t persistent_limit) {
    VERIFY(lent_ == 0);  // the driver ends every request before a new connect
    if (pooled_ > 0) (void)release_all();
    backend_ = backend;
    limit_ = persistent_limit < kMaxPersistentPages ? persistent_limit : kMaxPersistentPages;
}

ErrorOr<LentPage> LentPages::take(bool readonly) {
    if (!persistent()) {
        auto page = grant_new_page(backend_, readonly);
        if (!page.is_error()) ++lent_;
        return page;
    }
    if (free_count_ > 0) {
        ++lent_;
        return free_[--free_count_];
    }
    if (pooled_ >= limit_) return Error::out_of_memory;
    auto page = grant_new_page(backend_, /*readonly=*/false);
    if (page.is_error()) return page;
    ++pooled_;
    ++lent_;
    return page;
}

bool LentPages::reclaim(const LentPage& page) {
    if (persistent()) return true;  // the backend may keep it mapped: nothing to end
    if (gt::revoke_access(page.ref) == Error::busy) {
        --lent_;
        ++lost_;
        return false;
    }
    return true;
}

void LentPages::put(const LentPage& page) {
    VERIFY(lent_ > 0);
    --lent_;
    if (persistent()) {
        VERIFY(free_count_ < kMaxPersistentPages);
        free_[free_count_++] = page;
        return;
    }
    (void)memory::free_frames(page.pfn, 1);
}

uint32_t LentPages::release_all() {
    VERIFY(lent_ == 0);
    uint32_t kept = 0;
    while (free_count_ > 0) {
        const LentPage& page = free_[--free_count_];
        if (gt::revoke_access(page.ref) == Error::busy) {
            ++kept;  // a backend that closed without unmapping it: never reused
            continue;
        }
        (void)memory::free_frames(page.pfn, 1);
    }
    lost_ += kept;
    pooled_ = 0;
    return kept;
}

}  // namespace torpor::blkfront
