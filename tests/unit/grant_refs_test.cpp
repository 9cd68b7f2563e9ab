#include "base/grant_refs.h"

#include <gtest/gtest.h>

#include <deque>
#include <iterator>
#include <random>
#include <set>
#include <vector>

using torpor::Error;
using torpor::grant::GrantRef;
using torpor::grant::GrantRefs;
using torpor::grant::kReservedRefs;

namespace {

struct Fixture {
    Fixture(GrantRef first, GrantRef nr)
        : links(GrantRefs::links_needed(first, nr), 0xdeadbeefu) {
        init_error = refs.init(first, nr, links.data());
    }
    GrantRef take() {
        auto ref = refs.allocate();
        EXPECT_FALSE(ref.is_error());
        return ref.is_error() ? ~0u : ref.value();
    }
    std::vector<uint32_t> links;
    GrantRefs refs;
    Error init_error;
};

}  // namespace

TEST(GrantRefs, HandsOutEveryNonReservedRefInAscendingOrder) {
    Fixture f(0, 16);
    ASSERT_EQ(f.init_error, Error::none);
    EXPECT_EQ(f.refs.first_ref(), kReservedRefs);
    EXPECT_EQ(f.refs.capacity(), 8u);
    EXPECT_EQ(f.refs.free_count(), 8u);
    for (GrantRef expected = 8; expected < 16; ++expected) EXPECT_EQ(f.take(), expected);
    EXPECT_EQ(f.refs.free_count(), 0u);
}

TEST(GrantRefs, ReservedRefsAreNeverHandedOutNorAcceptedBack) {
    Fixture f(0, 2048);
    ASSERT_EQ(f.init_error, Error::none);
    std::set<GrantRef> seen;
    while (f.refs.free_count() > 0) seen.insert(f.take());
    EXPECT_EQ(seen.size(), 2048u - kReservedRefs);
    EXPECT_EQ(*seen.begin(), kReservedRefs);
    EXPECT_EQ(*seen.rbegin(), 2047u);
    for (GrantRef ref = 0; ref < kReservedRefs; ++ref) {
        EXPECT_FALSE(f.refs.is_managed(ref));
        EXPECT_FALSE(f.refs.is_allocated(ref));
        EXPECT_EQ(f.refs.free(ref), Error::invalid_argument) << "ref " << ref;
    }
    EXPECT_EQ(f.refs.free_count(), 0u);
}

TEST(GrantRefs, AFirstRefAboveTheReservedOnesIsHonoured) {
    Fixture f(20, 24);
    ASSERT_EQ(f.init_error, Error::none);
    EXPECT_EQ(f.links.size(), 4u);
    EXPECT_EQ(f.take(), 20u);
    EXPECT_EQ(f.take(), 21u);
    EXPECT_EQ(f.refs.free(19), Error::invalid_argument);
    EXPECT_EQ(f.refs.free(24), Error::invalid_argument);
}

TEST(GrantRefs, ExhaustionIsOutOfMemoryAndAFreedRefComesBack) {
    Fixture f(0, 11);
    ASSERT_EQ(f.init_error, Error::none);
    f.take();
    GrantRef middle = f.take();
    f.take();
    auto none = f.refs.allocate();
    ASSERT_TRUE(none.is_error());
    EXPECT_EQ(none.error(), Error::out_of_memory);
    EXPECT_EQ(f.refs.allocate().error(), Error::out_of_memory);  // stays exhausted
    ASSERT_EQ(f.refs.free(middle), Error::none);
    EXPECT_EQ(f.refs.free_count(), 1u);
    EXPECT_EQ(f.take(), middle);
    EXPECT_TRUE(f.refs.allocate().is_error());
}

TEST(GrantRefs, DoubleFreeIsRejectedAndChangesNothing) {
    Fixture f(0, 12);
    GrantRef a = f.take();
    GrantRef b = f.take();
    ASSERT_EQ(f.refs.free(a), Error::none);
    EXPECT_EQ(f.refs.free(a), Error::invalid_argument);
    EXPECT_EQ(f.refs.free_count(), 3u);
    // Had the double free been queued twice, `a` would come back twice.
    std::multiset<GrantRef> handed;
    while (f.refs.free_count() > 0) handed.insert(f.take());
    EXPECT_EQ(handed.count(a), 1u);
    EXPECT_EQ(handed.count(b), 0u);
    EXPECT_EQ(handed.size(), 3u);
}

TEST(GrantRefs, FreeingARefThatWasNeverAllocatedIsRejected) {
    Fixture f(0, 16);
    EXPECT_FALSE(f.refs.is_allocated(12));
    EXPECT_EQ(f.refs.free(12), Error::invalid_argument);
    EXPECT_EQ(f.refs.free(16), Error::invalid_argument);
    EXPECT_EQ(f.refs.free(0xffffffffu), Error::invalid_argument);
    EXPECT_EQ(f.refs.free_count(), 8u);
    EXPECT_EQ(f.take(), 8u);  // the queue is untouched
}

TEST(GrantRefs, FreedRefsAreReusedOldestFirst) {
    Fixture f(0, 16);
    for (int i = 0; i < 8; ++i) f.take();
    ASSERT_EQ(f.refs.free(12), Error::none);
    ASSERT_EQ(f.refs.free(9), Error::none);
    ASSERT_EQ(f.refs.free(15), Error::none);
    EXPECT_EQ(f.take(), 12u);
    EXPECT_EQ(f.take(), 9u);
    EXPECT_EQ(f.take(), 15u);
}

TEST(GrantRefs, AJustFreedRefWaitsBehindRefsThatWereAlreadyFree) {
    Fixture f(0, 16);
    GrantRef first = f.take();
    ASSERT_EQ(f.refs.free(first), Error::none);
    for (GrantRef expected = 9; expected < 16; ++expected) EXPECT_EQ(f.take(), expected);
    EXPECT_EQ(f.take(), first);
}

TEST(GrantRefs, InitRejectsEmptyOrImpossibleRanges) {
    uint32_t links[16];
    GrantRefs refs;
    EXPECT_EQ(refs.init(0, 16, nullptr), Error::invalid_argument);
    EXPECT_EQ(refs.init(0, kReservedRefs, links), Error::invalid_argument);
    EXPECT_EQ(refs.init(0, 3, links), Error::invalid_argument);
    EXPECT_EQ(refs.init(12, 12, links), Error::invalid_argument);
    EXPECT_EQ(refs.init(13, 12, links), Error::invalid_argument);
    EXPECT_EQ(refs.init(0, 0xffffffffu, links), Error::invalid_argument);
    EXPECT_EQ(GrantRefs::links_needed(0, 3), 0u);
    EXPECT_EQ(GrantRefs::links_needed(0, 2048), 2040u);
    EXPECT_EQ(GrantRefs::links_needed(100, 2048), 1948u);
}

TEST(GrantRefs, ReinitForgetsEarlierAllocations) {
    Fixture f(0, 16);
    GrantRef a = f.take();
    f.take();
    ASSERT_EQ(f.refs.init(0, 16, f.links.data()), Error::none);
    EXPECT_FALSE(f.refs.is_allocated(a));
    EXPECT_EQ(f.refs.free_count(), 8u);
    EXPECT_EQ(f.take(), 8u);
}

TEST(GrantRefs, MatchesAQueueModelUnderRandomUse) {
    Fixture f(0, 64);
    std::deque<GrantRef> model_free;
    for (GrantRef r = 8; r < 64; ++r) model_free.push_back(r);
    std::set<GrantRef> model_used;
    std::mt19937 rng(1234);
    for (int step = 0; step < 20000; ++step) {
        unsigned action = rng() % 3;
        if (action < 2) {
            auto ref = f.refs.allocate();
            if (model_free.empty()) {
                ASSERT_TRUE(ref.is_error());
                ASSERT_EQ(ref.error(), Error::out_of_memory);
                continue;
            }
            ASSERT_FALSE(ref.is_error());
            ASSERT_EQ(ref.value(), model_free.front());
            model_free.pop_front();
            model_used.insert(ref.value());
        } else {
            // Half the frees return a ref in use, half try any ref (mostly wrong ones).
            GrantRef ref = rng() % 70;
            if (!model_used.empty() && rng() % 2) {
                auto it = model_used.begin();
                std::advance(it, rng() % model_used.size());
                ref = *it;
            }
            bool allocated = model_used.count(ref) == 1;
            ASSERT_EQ(f.refs.is_allocated(ref), allocated);
            ASSERT_EQ(f.refs.free(ref), allocated ? Error::none : Error::invalid_argument);
            if (allocated) {
                model_used.erase(ref);
                model_free.push_back(ref);
            }
        }
        ASSERT_EQ(f.refs.free_count(), model_free.size());
    }
}
