// Applies a change to items 0..count-1 so that it ends up applied to all or to
// none: when item i fails, items i-1..0 are changed back, in reverse. Pure and
// header-only (host-tested).
#pragma once

namespace torpor {

struct AllOrNone {
    bool applied;          // every item changed
    unsigned failed_at;    // the item that failed (when !applied)
    long failure;          // its result
    bool rolled_back;      // false: an undo failed too, items are mixed
};

// `apply(i)` and `undo(i)` return 0 on success, anything else is a failure.
template <typename Apply, typename Undo>
AllOrNone apply_all_or_none(unsigned count, Apply apply, Undo undo) {
    for (unsigned i = 0; i < count; ++i) {
        long rc = apply(i);
        if (rc == 0) continue;
        bool clean = true;
        for (unsigned j = i; j-- > 0;)
            if (undo(j) != 0) clean = false;
        return {false, i, rc, clean};
    }
    return {true, count, 0, true};
}

}  // namespace torpor
