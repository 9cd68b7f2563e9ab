#include <gtest/gtest.h>

#include <vector>

#include "kernel/events/pending_scan.h"
#include "kernel/events/port_registry.h"

using namespace torpor;
using namespace torpor::events;

TEST(PendingScan, DeliversPendingUnmaskedPortsAndClearsThem) {
    volatile uint8_t upcall_pending = 1;
    uint64_t selector = (1ull << 0) | (1ull << 2);
    uint64_t pending[4] = {(1ull << 3) | (1ull << 5), 1ull << 7, 1ull << 1, 0};
    uint64_t mask[4] = {1ull << 5, 0, 0, 0};
    uint64_t owned[4] = {~0ull, ~0ull, ~0ull, ~0ull};
    std::vector<uint32_t> ports;
    unsigned n = scan_pending_once(upcall_pending, selector, pending, mask, owned, 4,
                                   [&](uint32_t p) { ports.push_back(p); });
    EXPECT_EQ(n, 2u);
    EXPECT_EQ(ports, (std::vector<uint32_t>{3, 2 * 64 + 1}));
    EXPECT_EQ(upcall_pending, 0);
    EXPECT_EQ(selector, 0u);
    EXPECT_EQ(pending[0], 1ull << 5) << "a masked port stays pending";
    EXPECT_EQ(pending[1], 1ull << 7) << "word 1 was not selected";
    EXPECT_EQ(pending[2], 0u);
}

TEST(PendingScan, LeavesOtherVcpusPortsPendingForThem) {
    // Ports 1 and 2 share word 0; port 2 belongs to another vCPU.
    volatile uint8_t upcall_pending = 1;
    uint64_t selector = 1;
    uint64_t pending[1] = {(1ull << 1) | (1ull << 2)};
    uint64_t mask[1] = {0};
    uint64_t owned[1] = {1ull << 1};
    std::vector<uint32_t> ports;
    scan_pending_once(upcall_pending, selector, pending, mask, owned, 1,
                      [&](uint32_t p) { ports.push_back(p); });
    EXPECT_EQ(ports, (std::vector<uint32_t>{1}));
    EXPECT_EQ(pending[0], 1ull << 2) << "the other vCPU's port stays pending for it";
}

TEST(PendingScan, SelectorBitsBeyondTheOwnedWordsAreDroppedNotIndexed) {
    // Xen writes the selector: shared_info has 64 pending words, but a vCPU
    // owns ports only in the first 16 (kMaxPorts). Word 40 must never be read
    // from `owned` (on the heap, so AddressSanitizer sees an overflow).
    volatile uint8_t upcall_pending = 1;
    uint64_t selector = (1ull << 40) | (1ull << 63) | (1ull << 15);
    std::vector<uint64_t> pending(64, ~0ull), mask(64, 0);
    std::vector<uint64_t> owned(16, 0);
    owned[15] = 1ull << 9;
    std::vector<uint32_t> ports;
    unsigned n = scan_pending_once(upcall_pending, selector, pending.data(), mask.data(),
                                   owned.data(), 16, [&](uint32_t p) { ports.push_back(p); });
    EXPECT_EQ(n, 1u);
    EXPECT_EQ(ports, (std::vector<uint32_t>{15 * 64 + 9}));
    EXPECT_EQ(selector, 0u) << "the stray bits are consumed, not left to loop on";
    EXPECT_EQ(pending[40], ~0ull) << "a port we cannot own is left alone";
}

TEST(PortRegistry, HandlesCarryGenerationsAndGoStale) {
    PortRegistry r;
    auto h = r.bind(5, 0, nullptr, nullptr);
    ASSERT_FALSE(h.is_error());
    EXPECT_EQ(r.check(h.value()), Error::none);
    EXPECT_EQ(r.bind(5, 0, nullptr, nullptr).error(), Error::already_exists);

    ASSERT_EQ(r.unbind(h.value()), Error::none);
    EXPECT_EQ(r.check(h.value()), Error::stale_handle);
    auto again = r.bind(5, 0, nullptr, nullptr);
    ASSERT_FALSE(again.is_error());
    EXPECT_NE(again.value().generation, h.value().generation);
    EXPECT_EQ(r.check(h.value()), Error::stale_handle) << "an old handle never names the new binding";
    EXPECT_EQ(r.unbind(h.value()), Error::stale_handle);
}

TEST(PortRegistry, InvalidateAllMakesEveryHandleStale) {
    PortRegistry r;
    auto a = r.bind(1, 0, nullptr, nullptr).value();
    auto b = r.bind(900, 1, nullptr, nullptr).value();
    EXPECT_EQ(r.bound_count(), 2u);
    r.invalidate_all();
    EXPECT_EQ(r.check(a), Error::stale_handle);
    EXPECT_EQ(r.check(b), Error::stale_handle);
    EXPECT_EQ(r.bound_count(), 0u);
}

TEST(PortRegistry, RejectsInvalidPortsAndCountsNotifications) {
    PortRegistry r;
    EXPECT_EQ(r.bind(0, 0, nullptr, nullptr).error(), Error::invalid_argument);
    EXPECT_EQ(r.bind(kMaxPorts, 0, nullptr, nullptr).error(), Error::invalid_argument);
    EXPECT_EQ(r.check(EventHandle{}), Error::not_found);
    EXPECT_EQ(r.record_notification(7), nullptr) << "unbound port: spurious";
    auto h = r.bind(7, 0, nullptr, nullptr).value();
    ASSERT_NE(r.record_notification(7), nullptr);
    r.record_notification(7);
    EXPECT_EQ(r.slot(h.port)->unconsumed, 2u);
}
