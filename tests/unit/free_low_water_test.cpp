#include "kernel/mm/free_low_water.h"

#include <gtest/gtest.h>

namespace torpor {
namespace {

TEST(FreeLowWater, AWindowWithNoChangeIsTheCountNow) {
    FreeLowWater w;
    EXPECT_EQ(w.end_window(700), 700u);
    EXPECT_EQ(w.end_window(900), 700u) << "the window started at 700";
    EXPECT_EQ(w.end_window(900), 900u);
}

TEST(FreeLowWater, MemoryTakenAndFreedWithinTheWindowIsNotIdle) {
    FreeLowWater w;
    (void)w.end_window(5000);
    w.note(1200);  // a load took most of it...
    w.note(5000);  // ...and gave it back
    EXPECT_EQ(w.end_window(5000), 1200u);
    EXPECT_EQ(w.end_window(5000), 5000u) << "a quiet window: all of it stayed free";
}

TEST(FreeLowWater, NeverAboveTheCountAtTheEndOfTheWindow) {
    FreeLowWater w;
    (void)w.end_window(5000);
    EXPECT_EQ(w.end_window(300), 300u);
}

}  // namespace
}  // namespace torpor
