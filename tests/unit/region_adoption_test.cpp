// Adopting a ballooned region the restore already backed, against a fake Xen
// that validates a hooked table entry by entry, as the real one does.
#include "kernel/mm/region_adoption.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

using namespace torpor::balloon;

namespace {

constexpr size_t kFrames = 8;
constexpr unsigned long kFirst = 64;  // the region's first pfn
constexpr size_t kIndex = 3;          // its first entry in the released list

struct FakeXen {
    std::map<unsigned long, unsigned long> p2m;  // pfn -> mfn (absent: kNoMfn)
    std::map<unsigned long, unsigned long> m2p;  // mfn -> pfn
    std::set<unsigned long> owned;               // frames the domain owns
    std::set<unsigned long> unmappable;          // owned, but Xen refuses to map them
    bool hooked = false;
    std::vector<size_t> adopted;
    bool adopted_whole = false;
    std::vector<unsigned long> given_back;
    int hooks = 0;

    // The restore backed pfn with mfn (and told the M2P); `ours`: Xen gave it to us.
    void back(unsigned long pfn, unsigned long mfn, bool ours = true) {
        p2m[pfn] = mfn;
        m2p[mfn] = pfn;
        if (ours) owned.insert(mfn);
    }

    // Ops
    bool backed(unsigned long pfn) {
        auto it = p2m.find(pfn);
        return it != p2m.end() && it->second != kNoMfn && m2p.count(it->second) &&
               m2p[it->second] == pfn;
    }
    unsigned long mfn(unsigned long pfn) { return p2m.count(pfn) ? p2m[pfn] : kNoMfn; }
    void set_mfn(unsigned long pfn, unsigned long mfn) { p2m[pfn] = mfn; }
    bool hook(unsigned long first) {
        ++hooks;
        for (unsigned long pfn = first; pfn < first + kFrames; ++pfn) {
            unsigned long m = mfn(pfn);
            if (m != kNoMfn && (!owned.count(m) || unmappable.count(m))) return false;
        }
        hooked = true;
        return true;
    }
    bool unhook(unsigned long) {
        hooked = false;
        return true;
    }
    bool map(unsigned long, unsigned long mfn) {
        return hooked && owned.count(mfn) && !unmappable.count(mfn);
    }
    void give_back(unsigned long mfn) {
        given_back.push_back(mfn);
        owned.erase(mfn);  // Xen refuses (and nothing changes) for a frame not ours
    }
    void adopt(size_t index) { adopted.push_back(index); }
    void adopt_region(unsigned long) { adopted_whole = true; }

    // Every frame the domain still owns is named by our p2m: none leaked.
    bool nothing_leaked() {
        std::set<unsigned long> named;
        for (auto& [pfn, m] : p2m)
            if (m != kNoMfn) named.insert(m);
        for (unsigned long m : owned)
            if (!named.count(m)) return false;
        return true;
    }
};

}  // namespace

TEST(RegionAdoption, AWhollyBackedRegionIsAdoptedInOneGo) {
    FakeXen xen;
    for (size_t j = 0; j < kFrames; ++j) xen.back(kFirst + j, 1000 + j);
    RegionAdoption r = adopt_region<kFrames>(kFirst, kIndex, xen);
    EXPECT_EQ(r.adopted, kFrames);
    EXPECT_TRUE(xen.adopted_whole);
    EXPECT_FALSE(r.frame_by_frame);
    EXPECT_FALSE(r.still_parked);
}

TEST(RegionAdoption, OneBadMfnDoesNotCostTheOtherFrames) {
    FakeXen xen;
    for (size_t j = 0; j < kFrames; ++j) xen.back(kFirst + j, 1000 + j, /*ours=*/j != 5);
    RegionAdoption r = adopt_region<kFrames>(kFirst, kIndex, xen);
    EXPECT_TRUE(r.frame_by_frame);
    EXPECT_EQ(r.adopted, kFrames - 1);
    EXPECT_EQ(r.refused, 1u);
    EXPECT_EQ(xen.adopted, (std::vector<size_t>{3, 4, 5, 6, 7, 9, 10}));
    EXPECT_EQ(xen.mfn(kFirst + 5), kNoMfn) << "the bad frame's pfn is populated later";
    EXPECT_EQ(xen.mfn(kFirst + 6), 1006u);
    EXPECT_TRUE(xen.hooked);
    EXPECT_FALSE(r.still_parked);
    EXPECT_TRUE(xen.nothing_leaked());
}

TEST(RegionAdoption, AnOwnedFrameXenWillNotMapGoesBackInsteadOfLeaking) {
    FakeXen xen;
    for (size_t j = 0; j < kFrames; ++j) xen.back(kFirst + j, 1000 + j);
    xen.unmappable.insert(1002);
    RegionAdoption r = adopt_region<kFrames>(kFirst, kIndex, xen);
    EXPECT_EQ(r.adopted, kFrames - 1);
    EXPECT_EQ(xen.given_back, (std::vector<unsigned long>{1002}));
    EXPECT_TRUE(xen.nothing_leaked());
}

TEST(RegionAdoption, PartlyBackedRegionsKeepTheRestForPopulate) {
    FakeXen xen;
    xen.back(kFirst + 1, 2001);
    xen.back(kFirst + 4, 2004);
    RegionAdoption r = adopt_region<kFrames>(kFirst, kIndex, xen);
    EXPECT_EQ(r.adopted, 2u);
    EXPECT_FALSE(r.frame_by_frame);
    EXPECT_EQ(xen.adopted, (std::vector<size_t>{4, 7}));
    EXPECT_TRUE(xen.nothing_leaked());
}

TEST(RegionAdoption, NothingBackedLeavesTheRegionParked) {
    FakeXen xen;
    RegionAdoption r = adopt_region<kFrames>(kFirst, kIndex, xen);
    EXPECT_EQ(r.adopted, 0u);
    EXPECT_TRUE(r.still_parked);
    EXPECT_EQ(xen.hooks, 0);
}

TEST(RegionAdoption, WhenNoFrameCanBeMappedTheRegionIsParkedAgain) {
    FakeXen xen;
    for (size_t j = 0; j < kFrames; ++j) xen.back(kFirst + j, 1000 + j, /*ours=*/false);
    RegionAdoption r = adopt_region<kFrames>(kFirst, kIndex, xen);
    EXPECT_EQ(r.adopted, 0u);
    EXPECT_EQ(r.refused, kFrames);
    EXPECT_TRUE(r.still_parked) << "populate expects a whole region's table parked";
    EXPECT_FALSE(xen.hooked);
    for (size_t j = 0; j < kFrames; ++j) EXPECT_EQ(xen.mfn(kFirst + j), kNoMfn);
}
