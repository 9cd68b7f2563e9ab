// The panic backtrace's frame-pointer walk (arch/x86_64/frame_walk.h) over a
// fake stack: it must follow a well-formed chain and stop, without reading
// outside the stack, at anything else.
#include "arch/x86_64/frame_walk.h"

#include <gtest/gtest.h>

#include <cstdint>

using arch::StackBounds;
using arch::walk_frame_pointers;

namespace {

// A 64-word stack; frames are built at chosen word indexes.
struct FakeStack {
    uintptr_t words[64] = {};
    uintptr_t at(size_t index) const { return reinterpret_cast<uintptr_t>(&words[index]); }
    StackBounds bounds() const { return {at(0), at(64)}; }
    // A frame at `index`: [saved rbp][return address].
    void frame(size_t index, uintptr_t saved_rbp, uintptr_t return_address) {
        words[index] = saved_rbp;
        words[index + 1] = return_address;
    }
};

}  // namespace

TEST(FrameWalk, FollowsAChainUpTheStackUntilANullFramePointer) {
    FakeStack s;
    s.frame(4, s.at(10), 0x1111);
    s.frame(10, s.at(30), 0x2222);
    s.frame(30, 0, 0x3333);  // outermost: rbp 0, as a thread's first frame has
    uintptr_t out[8];
    ASSERT_EQ(walk_frame_pointers(s.at(4), s.bounds(), out, 8), 3u);
    EXPECT_EQ(out[0], 0x1111u);
    EXPECT_EQ(out[1], 0x2222u);
    EXPECT_EQ(out[2], 0x3333u);
}

TEST(FrameWalk, StopsAtAFramePointerOutsideTheStack) {
    FakeStack s;
    s.frame(4, s.at(10), 0x1111);
    s.frame(10, s.at(64) + 64, 0x2222);  // points past the top
    uintptr_t out[8];
    EXPECT_EQ(walk_frame_pointers(s.at(4), s.bounds(), out, 8), 2u);
    EXPECT_EQ(walk_frame_pointers(s.at(0) - 16, s.bounds(), out, 8), 0u) << "below the stack";
}

TEST(FrameWalk, StopsWhenTheFrameRecordWouldCrossTheTop) {
    FakeStack s;
    s.frame(4, s.at(63), 0x1111);  // word 63 is in the stack, its return address is not
    uintptr_t out[8];
    EXPECT_EQ(walk_frame_pointers(s.at(4), s.bounds(), out, 8), 1u);
    s.frame(4, s.at(62), 0x1111);  // [62, 64): the last whole record
    s.frame(62, 0, 0x2222);
    EXPECT_EQ(walk_frame_pointers(s.at(4), s.bounds(), out, 8), 2u);
}

TEST(FrameWalk, StopsAtAMisalignedFramePointer) {
    FakeStack s;
    s.frame(4, s.at(10) + 3, 0x1111);
    uintptr_t out[8];
    EXPECT_EQ(walk_frame_pointers(s.at(4), s.bounds(), out, 8), 1u);
}

TEST(FrameWalk, StopsAtALoopOrAFrameThatGoesDown) {
    FakeStack s;
    s.frame(10, s.at(10), 0x1111);  // points at itself
    uintptr_t out[8];
    EXPECT_EQ(walk_frame_pointers(s.at(10), s.bounds(), out, 8), 1u);
    s.frame(10, s.at(20), 0x1111);
    s.frame(20, s.at(4), 0x2222);  // back down the stack
    s.frame(4, s.at(10), 0x3333);
    EXPECT_EQ(walk_frame_pointers(s.at(10), s.bounds(), out, 8), 2u);
}

TEST(FrameWalk, StopsAtAZeroReturnAddress) {
    FakeStack s;
    s.frame(4, s.at(10), 0x1111);
    s.frame(10, s.at(20), 0);
    uintptr_t out[8];
    EXPECT_EQ(walk_frame_pointers(s.at(4), s.bounds(), out, 8), 1u);
}

TEST(FrameWalk, WritesAtMostMaxFrames) {
    FakeStack s;
    for (size_t i = 0; i < 60; i += 2) s.frame(i, s.at(i + 2), 0x1000 + i);
    s.frame(60, 0, 0x9999);
    uintptr_t out[4] = {};
    EXPECT_EQ(walk_frame_pointers(s.at(0), s.bounds(), out, 3), 3u);
    EXPECT_EQ(out[3], 0u) << "nothing written past max";
    EXPECT_EQ(walk_frame_pointers(s.at(0), s.bounds(), out, 0), 0u);
}

TEST(FrameWalk, NullOrEmptyBoundsWalkNothing) {
    FakeStack s;
    s.frame(4, 0, 0x1111);
    uintptr_t out[4];
    EXPECT_EQ(walk_frame_pointers(0, s.bounds(), out, 4), 0u);
    EXPECT_EQ(walk_frame_pointers(s.at(4), StackBounds{}, out, 4), 0u);
    EXPECT_EQ(walk_frame_pointers(s.at(4), StackBounds{0, 8}, out, 4), 0u);
}
