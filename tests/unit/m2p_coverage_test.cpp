// Which M2P entries may be read, from XENMEM_machphys_mfn_list's answer.
#include "xen/m2p_coverage.h"

#include <gtest/gtest.h>

#include <memory>

using xen::M2pCoverage;

namespace {
constexpr unsigned long kPer = M2pCoverage::kEntriesPerExtent;  // MFNs per 2 MiB of table
}

TEST(M2pCoverage, NothingIsReadableBeforeInit) {
    auto c = std::make_unique<M2pCoverage>();
    EXPECT_FALSE(c->readable(0));
    EXPECT_FALSE(c->readable(12345));
}

TEST(M2pCoverage, TheTableEndsWhereTheListEnds) {
    auto c = std::make_unique<M2pCoverage>();
    const uint64_t bases[] = {0x1000, 0x1200, 0x1400};
    c->init(bases, 3);
    EXPECT_EQ(c->limit(), 3 * kPer);
    EXPECT_TRUE(c->readable(0));
    EXPECT_TRUE(c->readable(3 * kPer - 1));
    EXPECT_FALSE(c->readable(3 * kPer)) << "a toolstack MFN beyond the table";
    EXPECT_FALSE(c->readable(~0ul));
    EXPECT_EQ(c->holes(), 0u);
}

TEST(M2pCoverage, ARepeatedBaseIsAHole) {
    // Xen reports a piece that is not mapped with the previous piece's base.
    auto c = std::make_unique<M2pCoverage>();
    const uint64_t bases[] = {0x1000, 0x1200, 0x1200, 0x1200, 0x5000};
    c->init(bases, 5);
    EXPECT_EQ(c->holes(), 2u);
    EXPECT_TRUE(c->readable(kPer + 7));
    EXPECT_FALSE(c->readable(2 * kPer));
    EXPECT_FALSE(c->readable(4 * kPer - 1));
    EXPECT_TRUE(c->readable(4 * kPer));
}

TEST(M2pCoverage, ALeadingHoleHasBaseZero) {
    auto c = std::make_unique<M2pCoverage>();
    const uint64_t bases[] = {0, 0, 0x3000};
    c->init(bases, 3);
    EXPECT_FALSE(c->readable(5));
    EXPECT_FALSE(c->readable(kPer + 5));
    EXPECT_TRUE(c->readable(2 * kPer + 5));
}

TEST(M2pCoverage, ListsLongerThanTheMaximumAreCut) {
    auto c = std::make_unique<M2pCoverage>();
    auto bases = std::make_unique<uint64_t[]>(M2pCoverage::kMaxExtents + 10);
    for (unsigned i = 0; i < M2pCoverage::kMaxExtents + 10; ++i) bases[i] = 0x100000 + i * 512;
    c->init(bases.get(), M2pCoverage::kMaxExtents + 10);
    EXPECT_EQ(c->limit(), M2pCoverage::kMaxExtents * kPer);
    EXPECT_TRUE(c->readable(M2pCoverage::kMaxExtents * kPer - 1));
    EXPECT_FALSE(c->readable(M2pCoverage::kMaxExtents * kPer));
}

TEST(M2pCoverage, BoundOnlyWhenXenGivesNoList) {
    auto c = std::make_unique<M2pCoverage>();
    c->init_bound_only(1000);
    EXPECT_TRUE(c->readable(999));
    EXPECT_FALSE(c->readable(1000));
}
