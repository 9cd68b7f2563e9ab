#include "base/all_or_none.h"

#include <gtest/gtest.h>

#include <vector>

using torpor::apply_all_or_none;

namespace {
// Items are "switched" (1) or not (0); fail_at makes that item's apply fail.
struct Items {
    std::vector<int> state = std::vector<int>(4, 0);
    int fail_apply_at = -1;
    int fail_undo_at = -1;
    std::vector<int> order;
    auto apply() {
        return [this](unsigned i) -> long {
            order.push_back(int(i));
            if (int(i) == fail_apply_at) return -22;
            state[i] = 1;
            return 0;
        };
    }
    auto undo() {
        return [this](unsigned i) -> long {
            order.push_back(-1 - int(i));
            if (int(i) == fail_undo_at) return -1;
            state[i] = 0;
            return 0;
        };
    }
};
}  // namespace

TEST(AllOrNone, AppliesEveryItem) {
    Items it;
    auto r = apply_all_or_none(4, it.apply(), it.undo());
    EXPECT_TRUE(r.applied);
    EXPECT_EQ(it.state, (std::vector<int>{1, 1, 1, 1}));
}

TEST(AllOrNone, AFailureUndoesWhatWasDoneInReverse) {
    // The grant table's unmap: a failure part way must not leave it half mapped.
    Items it;
    it.fail_apply_at = 2;
    auto r = apply_all_or_none(4, it.apply(), it.undo());
    EXPECT_FALSE(r.applied);
    EXPECT_EQ(r.failed_at, 2u);
    EXPECT_EQ(r.failure, -22);
    EXPECT_TRUE(r.rolled_back);
    EXPECT_EQ(it.state, (std::vector<int>{0, 0, 0, 0}));
    EXPECT_EQ(it.order, (std::vector<int>{0, 1, 2, -2, -1}));
}

TEST(AllOrNone, AFailedUndoIsReported) {
    Items it;
    it.fail_apply_at = 3;
    it.fail_undo_at = 1;
    auto r = apply_all_or_none(4, it.apply(), it.undo());
    EXPECT_FALSE(r.applied);
    EXPECT_FALSE(r.rolled_back);
    EXPECT_EQ(it.state, (std::vector<int>{0, 1, 0, 0})) << "the rest is still undone";
}
