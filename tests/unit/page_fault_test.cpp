// Page-fault error codes as a panic spells them (arch/x86_64/page_fault.h),
// and the guard-page test of the stack check (arch/x86_64/stack_check.h).
#include "arch/x86_64/page_fault.h"

#include <gtest/gtest.h>

#include <string>

#include "arch/x86_64/stack_check.h"

namespace {

std::string describe(uint64_t code, size_t capacity = 128) {
    char buf[128];
    arch::describe_page_fault(code, buf, capacity);
    return buf;
}

}  // namespace

TEST(PageFault, DecodesEachBit) {
    EXPECT_EQ(describe(0x0), "not-present page, read in kernel mode");
    EXPECT_EQ(describe(0x2), "not-present page, write in kernel mode");
    EXPECT_EQ(describe(0x3), "protection violation on a present page, write in kernel mode");
    EXPECT_EQ(describe(0x4), "not-present page, read in user mode");
    EXPECT_EQ(describe(0x11), "protection violation on a present page, instruction fetch in "
                              "kernel mode");
    EXPECT_EQ(describe(0x9), "protection violation on a present page, read in kernel mode, "
                             "reserved bit set");
    EXPECT_EQ(describe(0x21), "protection violation on a present page, read in kernel mode, "
                              "protection key");
}

TEST(PageFault, NeverOverflowsItsBufferAndStaysTerminated) {
    char buf[20];
    size_t n = arch::describe_page_fault(0x2e, buf, sizeof(buf));
    EXPECT_LT(n, sizeof(buf));
    EXPECT_EQ(buf[n], '\0');
    EXPECT_EQ(std::string(buf), "not-present page") << "whole words only, and a prefix";
    EXPECT_EQ(arch::describe_page_fault(0x2f, buf, sizeof(buf)), 0u) << "first words too long";
    EXPECT_EQ(arch::describe_page_fault(0x2, buf, 0), 0u);
    EXPECT_EQ(arch::describe_page_fault(0x2, buf, 1), 0u);
    EXPECT_EQ(buf[0], '\0');
}

TEST(StackGuard, OnlyThePageBelowTheStackIsItsGuard) {
    uintptr_t bottom = 0x10000;
    EXPECT_TRUE(arch::in_guard_page(bottom - 1, bottom));
    EXPECT_TRUE(arch::in_guard_page(bottom - 4096, bottom));
    EXPECT_FALSE(arch::in_guard_page(bottom - 4097, bottom));
    EXPECT_FALSE(arch::in_guard_page(bottom, bottom));
    EXPECT_FALSE(arch::in_guard_page(0x100, 0)) << "no stack known";
    EXPECT_FALSE(arch::in_guard_page(0x100, 0x800)) << "no room for a guard page";
}
