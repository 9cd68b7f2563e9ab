// The pause barrier's protocol on real parallel vCPUs (host_vcpus.h): cross-
// calls through the real queue, a parked vCPU waiting for its kick, late and
// frozen vCPUs, handlers travelling inside their orders.
#include "kernel/smp/pause_barrier.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/unit/host_vcpus.h"

using namespace torpor;
using namespace torpor::smp;
using test::HostVcpus;

namespace {

constexpr unsigned kCpus = 4;
HostVcpus* host = nullptr;

unsigned this_cpu() { return HostVcpus::this_cpu(); }
bool is_online(unsigned cpu) { return cpu < host->count(); }
Error post(unsigned cpu, CrossCall* call) {
    host->post_call(cpu, call);
    return Error::none;
}
void kick(unsigned cpu) { host->kick(cpu); }
uint64_t now_ns() { return test::host_now_ns(); }
void relax() { std::this_thread::yield(); }
void wait_parked(unsigned cpu) { host->wait_for_kick(cpu, 5'000'000); }

constexpr PausePlatform platform = {this_cpu, is_online, post, kick, now_ns, relax, wait_parked};

constexpr uint64_t kLong = 5'000'000'000ull;   // never reached when all goes well
constexpr uint64_t kShort = 50'000'000ull;     // a frozen vCPU misses it

// A divert handler standing in for "save registers, go down": it records that
// it ran and stays away until the test brings its vCPU back.
std::atomic<int> ran_a[kCpus], ran_b[kCpus];
std::atomic<bool> brought_back[kCpus];
void stay_away(unsigned cpu) {
    while (!brought_back[cpu].load()) std::this_thread::sleep_for(std::chrono::microseconds(100));
}
void handler_a(unsigned cpu) {
    ++ran_a[cpu];
    stay_away(cpu);
}
void handler_b(unsigned cpu) {
    ++ran_b[cpu];
    stay_away(cpu);
}

CpuMask others() { return ((CpuMask(1) << kCpus) - 1) & ~CpuMask(1); }

class PauseBarrierTest : public ::testing::Test {
protected:
    void SetUp() override {
        host = &vcpus;
        for (unsigned i = 0; i < kCpus; ++i) {
            ran_a[i] = ran_b[i] = 0;
            brought_back[i] = false;
        }
    }
    void TearDown() override { host = nullptr; }
    HostVcpus vcpus{kCpus};
    PauseBarrier barrier{platform};
};

}  // namespace

TEST_F(PauseBarrierTest, EveryOtherVcpuParksAndLeavesOnResume) {
    ASSERT_TRUE(vcpus.run_on(0, [&] {
        for (int round = 0; round < 50; ++round) {
            auto r = barrier.pause(kLong);
            ASSERT_FALSE(r.is_error());
            EXPECT_EQ(r.value().expected, kCpus - 1);
            EXPECT_EQ(r.value().parked, kCpus - 1);
            for (unsigned cpu = 1; cpu < kCpus; ++cpu) EXPECT_TRUE(barrier.is_parked(cpu));
            EXPECT_FALSE(barrier.is_parked(0));
            ASSERT_EQ(barrier.resume(kLong), Error::none);
            for (unsigned cpu = 1; cpu < kCpus; ++cpu) EXPECT_FALSE(barrier.is_parked(cpu));
        }
    }));
}

// vCPU 3 takes no IPIs (Xen does not run it): the pause fails in bounded time
// with nobody left parked; when vCPU 3 finally runs its order it finds it
// cancelled and does not park; the next pause gets everyone.
TEST_F(PauseBarrierTest, ALateVcpuIsCancelledAndTheOthersAreReleased) {
    vcpus.freeze(3, true);
    ASSERT_TRUE(vcpus.run_on(0, [&] {
        auto r = barrier.pause(kShort);
        ASSERT_TRUE(r.is_error());
        EXPECT_EQ(r.error(), Error::timed_out);
        EXPECT_EQ(barrier.cancelled(), CpuMask(1) << 3);
        for (unsigned cpu = 1; cpu < kCpus; ++cpu)
            EXPECT_FALSE(barrier.is_parked(cpu)) << "vcpu " << cpu << " left parked";
    }));
    vcpus.freeze(3, false);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(barrier.is_parked(3)) << "a cancelled order must not park its vCPU";
    ASSERT_TRUE(vcpus.run_on(0, [&] {
        auto r = barrier.pause(kLong);
        ASSERT_FALSE(r.is_error());
        EXPECT_EQ(r.value().parked, kCpus - 1);
        EXPECT_EQ(barrier.resume(kLong), Error::none);
    }));
}

// The suspend case: a divert that times out must say exactly which vCPUs
// entered the handler (the caller brings those back) and the one that did not
// must never enter it, even when it runs its order later.
TEST_F(PauseBarrierTest, ADivertThatTimesOutNamesExactlyWhoEnteredTheHandler) {
    vcpus.freeze(3, true);
    CpuMask entered = 0;
    ASSERT_TRUE(vcpus.run_on(0, [&] {
        EXPECT_EQ(barrier.divert(handler_a, kShort, &entered), Error::timed_out);
    }));
    EXPECT_EQ(entered, others() & ~(CpuMask(1) << 3));
    EXPECT_EQ(ran_a[1].load(), 1);
    EXPECT_EQ(ran_a[2].load(), 1);
    for (unsigned cpu = 1; cpu < kCpus; ++cpu) brought_back[cpu] = true;
    vcpus.freeze(3, false);
    // The next pause waits for every earlier order to finish, so after it
    // vCPU 3 has run (and dropped) its cancelled one.
    ASSERT_TRUE(vcpus.run_on(0, [&] {
        auto r = barrier.pause(kLong);
        ASSERT_FALSE(r.is_error());
        EXPECT_EQ(r.value().parked, kCpus - 1);
        EXPECT_EQ(barrier.resume(kLong), Error::none);
    }));
    EXPECT_EQ(ran_a[3].load(), 0) << "a cancelled vCPU ran the divert handler";
}

// The park race: each order carries its own handler, so a vCPU that is slow
// between taking its IPI and claiming the order still runs the handler it was
// sent (the old code read a global the pausing vCPU had already cleared).
TEST_F(PauseBarrierTest, EachVcpuRunsTheHandlerItsOrderCarried) {
    for (unsigned cpu = 1; cpu < kCpus; ++cpu) vcpus.set_upcall_jitter_us(cpu, 300);
    for (unsigned cpu = 0; cpu < kCpus; ++cpu) brought_back[cpu] = true;  // come straight back
    constexpr int kRounds = 60;
    ASSERT_TRUE(vcpus.run_on(0, [&] {
        for (int round = 0; round < kRounds; ++round) {
            CpuMask entered = 0;
            switch (round % 3) {
                case 0: ASSERT_EQ(barrier.divert(handler_a, kLong, &entered), Error::none); break;
                case 1: ASSERT_EQ(barrier.divert(handler_b, kLong, &entered), Error::none); break;
                case 2: {
                    auto r = barrier.pause(kLong);
                    ASSERT_FALSE(r.is_error());
                    ASSERT_EQ(barrier.resume(kLong), Error::none);
                    entered = others();
                    break;
                }
            }
            ASSERT_EQ(entered, others());
        }
        // Let the last orders finish before counting.
        ASSERT_FALSE(barrier.pause(kLong).is_error());
        ASSERT_EQ(barrier.resume(kLong), Error::none);
    }));
    for (unsigned cpu = 1; cpu < kCpus; ++cpu) {
        EXPECT_EQ(ran_a[cpu].load(), kRounds / 3) << "vcpu " << cpu;
        EXPECT_EQ(ran_b[cpu].load(), kRounds / 3) << "vcpu " << cpu;
    }
}

TEST_F(PauseBarrierTest, DivertWithoutAHandlerIsRefused) {
    CpuMask entered = 1;
    ASSERT_TRUE(vcpus.run_on(0, [&] {
        EXPECT_EQ(barrier.divert(nullptr, kLong, &entered), Error::invalid_argument);
    }));
    EXPECT_EQ(entered, 0u);
}
