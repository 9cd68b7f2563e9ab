#include "base/grant_refs.h"

namespace torpor::grant {

Error GrantRefs::init(GrantRef first_ref, GrantRef nr_refs, uint32_t* links) {
    GrantRef first = first_ref < kReservedRefs ? kReservedRefs : first_ref;
    if (!links || nr_refs <= first || nr_refs > kMaxTableRefs) return Error::invalid_argument;
    first_ = first;
    end_ = nr_refs;
    links_ = links;
    for (GrantRef ref = first_; ref + 1 < end_; ++ref) link(ref) = ref + 1;
    link(end_ - 1) = kEndOfQueue;
    head_ = first_;
    tail_ = end_ - 1;
    free_count_ = end_ - first_;
    return Error::none;
}

bool GrantRefs::is_allocated(GrantRef ref) const {
    return is_managed(ref) && link(ref) == kAllocated;
}

ErrorOr<GrantRef> GrantRefs::allocate() {
    if (head_ == kEndOfQueue) return Error::out_of_memory;
    GrantRef ref = head_;
    head_ = link(ref);
    if (head_ == kEndOfQueue) tail_ = kEndOfQueue;
    link(ref) = kAllocated;
    --free_count_;
    return ref;
}

Error GrantRefs::free(GrantRef ref) {
    if (!is_allocated(ref)) return Error::invalid_argument;
    link(ref) = kEndOfQueue;
    if (tail_ == kEndOfQueue)
        head_ = ref;
    else
        link(tail_) = ref;
    tail_ = ref;
    ++free_count_;
    return Error::none;
}

}  // namespace torpor::grant
