// MFN<->PFN canonicalisation of start_info, the p2m frame lists and the
// jmpbuf -> restart registers conversion, against a fake p2m.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

#include "arch/x86_64/jmpbuf.h"
#include "xen/p2m_frame_list.h"
#include "xen/start_info_frames.h"

namespace {

// A fake machine: pfn N lives in mfn 1000 + 7 * N.
unsigned long mfn_of(unsigned long pfn) { return 1000 + 7 * pfn; }
unsigned long pfn_of(unsigned long mfn) { return (mfn - 1000) / 7; }

}  // namespace

TEST(StartInfoFrames, CanonicaliseThenLocaliseRoundTrips) {
    start_info si{};
    si.store_mfn = mfn_of(10);
    si.console.domU.mfn = mfn_of(11);
    si.store_evtchn = 3;
    EXPECT_TRUE(xen::canonicalise_start_info(si, pfn_of));
    EXPECT_EQ(si.store_mfn, 10u);
    EXPECT_EQ(si.console.domU.mfn, 11u);
    EXPECT_EQ(si.store_evtchn, 3u) << "ports are the toolstack's to rewrite";
    xen::localise_start_info(si, mfn_of);
    EXPECT_EQ(si.store_mfn, mfn_of(10));
    EXPECT_EQ(si.console.domU.mfn, mfn_of(11));
}

namespace {
// Only pfns 0..99 are ours in the fake machine.
unsigned long owned_pfn_of(unsigned long mfn) {
    if (mfn < 1000 || (mfn - 1000) % 7) return ~0ul;
    unsigned long pfn = (mfn - 1000) / 7;
    return pfn < 100 ? pfn : ~0ul;
}
}  // namespace

TEST(StartInfoFrames, AFrameThatIsNotOursLeavesStartInfoAlone) {
    start_info si{};
    si.store_mfn = mfn_of(10);
    si.console.domU.mfn = 999'999;
    EXPECT_FALSE(xen::canonicalise_start_info(si, owned_pfn_of));
    EXPECT_EQ(si.store_mfn, mfn_of(10));
    EXPECT_EQ(si.console.domU.mfn, 999'999u);
}

TEST(StartInfoFrames, AfterARestoreTheNewMfnsMustBeOurRings) {
    start_info si{};
    si.store_mfn = mfn_of(10);
    si.console.domU.mfn = mfn_of(11);
    EXPECT_EQ(xen::moved_ring_frame(si, 10, 11, owned_pfn_of), xen::MovedRing::none);
    si.store_mfn = mfn_of(12);  // the toolstack moved the xenstore page
    EXPECT_EQ(xen::moved_ring_frame(si, 10, 11, owned_pfn_of), xen::MovedRing::xenstore);
    si.store_mfn = mfn_of(10);
    si.console.domU.mfn = 5;  // not a frame of ours at all
    EXPECT_EQ(xen::moved_ring_frame(si, 10, 11, owned_pfn_of), xen::MovedRing::console);
}

namespace {
std::map<uintptr_t, unsigned long> page_mfns;
unsigned long fake_mfn_of_virtual(const void* p) {
    return page_mfns.at(reinterpret_cast<uintptr_t>(p) & ~uintptr_t(4095));
}
void* page_aligned(size_t pages, unsigned long first_mfn) {
    void* p = aligned_alloc(4096, pages * 4096);
    for (size_t i = 0; i < pages; ++i)
        page_mfns[reinterpret_cast<uintptr_t>(p) + i * 4096] = first_mfn + i;
    return p;
}
}  // namespace

TEST(P2mFrameLists, ThreeLevelsOfMfnsDescribeTheP2m) {
    const unsigned long nr_pages = 700 * 512 + 3;  // 701 p2m pages: two frame-list pages
    ASSERT_EQ(xen::p2m_pages_for(nr_pages), 701u);
    ASSERT_EQ(xen::frame_list_pages_for(nr_pages), 2u);
    auto* p2m = static_cast<unsigned long*>(page_aligned(701, 5000));
    auto* lists = static_cast<unsigned long*>(page_aligned(2, 9000));
    auto* top = static_cast<unsigned long*>(page_aligned(1, 9500));
    auto root = xen::fill_p2m_frame_lists({p2m, nr_pages, lists, top}, fake_mfn_of_virtual);
    ASSERT_FALSE(root.is_error());
    EXPECT_EQ(root.value(), 9500u);
    EXPECT_EQ(top[0], 9000u);
    EXPECT_EQ(top[1], 9001u);
    EXPECT_EQ(top[2], 0u);
    EXPECT_EQ(lists[0], 5000u);
    EXPECT_EQ(lists[511], 5511u);
    EXPECT_EQ(lists[512], 5512u) << "the second frame-list page continues";
    EXPECT_EQ(lists[700], 5700u);
    EXPECT_EQ(lists[701], ~0ul) << "unused slots hold INVALID_MFN";
    free(p2m);
    free(lists);
    free(top);
}

TEST(P2mFrameLists, RejectsAnUnalignedP2m) {
    unsigned long buffer[1024];
    auto* unaligned = reinterpret_cast<unsigned long*>(
        (reinterpret_cast<uintptr_t>(buffer) | 4095) + 1 + 8);
    auto root = xen::fill_p2m_frame_lists({unaligned, 10, nullptr, nullptr}, fake_mfn_of_virtual);
    ASSERT_TRUE(root.is_error());
    EXPECT_EQ(root.error(), torpor::Error::invalid_argument);
}

TEST(JmpBufRestart, ContinuesAsIfSetjmpReturnedOne) {
    arch::JmpBuf b{};
    b.rbx = 1;
    b.rbp = 2;
    b.r12 = 3;
    b.r13 = 4;
    b.r14 = 5;
    b.r15 = 6;
    b.rsp = 0xffffffff80123ff0;  // pointing at the return address
    b.rip = 0xffffffff80001234;
    arch::StartRegisters r = arch::registers_resuming(b);
    EXPECT_EQ(r.rip, b.rip);
    EXPECT_EQ(r.rsp, b.rsp + 8) << "popped as a ret would";
    EXPECT_EQ(r.rax, 1u) << "setjmp's second return value";
    EXPECT_EQ(r.rbx, 1u);
    EXPECT_EQ(r.rbp, 2u);
    EXPECT_EQ(r.r12, 3u);
    EXPECT_EQ(r.r13, 4u);
    EXPECT_EQ(r.r14, 5u);
    EXPECT_EQ(r.r15, 6u);
    EXPECT_EQ(r.rdi, 0u);
}
