#include "apps/demo/suspend_hooks.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "apps/demo/smp_selftest.h"
#include "drivers/xenstore/client.h"
#include "kernel/cpu_local.h"
#include "kernel/sched/scheduler.h"
#include "kernel/smp/smp.h"
#include "kernel/time/clock.h"
#include "suspend/app_hooks.h"

namespace torpor::demo {

namespace {

constexpr size_t kRegionWords = 256 * 1024 / sizeof(uint64_t);
constexpr uint64_t kTimerDelayNs = 1'000'000'000ull;

uint64_t* region = nullptr;
uint64_t boot_checksum = 0;

uint64_t checksum() {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < kRegionWords; ++i) h = (h ^ region[i]) * 0x100000001b3ull;
    return h;
}

struct ArmedTimer {
    unsigned suspend_number;
    uint64_t deadline;
};

void timer_thread(void* arg) {
    auto* t = static_cast<ArmedTimer*>(arg);
    sched::this_scheduler().sleep_until(t->deadline);
    uint64_t now = clock::monotonic_ns();
    printf("app: timer armed before suspend %u fired %s its deadline (late by %" PRIu64 " ms)\n",
           t->suspend_number, now >= t->deadline ? "at or after" : "BEFORE",
           now >= t->deadline ? (now - t->deadline) / 1'000'000 : 0);
    free(t);
}

void before_suspend(const suspend::SuspendInfo& info, void*) {
    unsigned suspends = info.suspend_number;
    auto* t = static_cast<ArmedTimer*>(malloc(sizeof(ArmedTimer)));
    if (t) {
        *t = {suspends, clock::monotonic_ns() + kTimerDelayNs};
        if (sched::this_scheduler().spawn_detached("armed-timer", timer_thread, t) != Error::none)
            free(t);
    }
    // Tells dom0 a suspend has begun (the harness uses it to break a migration).
    char count[16];
    snprintf(count, sizeof(count), "%u", suspends);
    (void)xenstore::write("data/suspend-count", count);
    printf("app: suspending (#%u) at mono_ns=%" PRIu64 "\n", suspends, clock::monotonic_ns());
}

struct AdvanceCheck {
    char label[48];
    uint64_t at_start[kMaxCpus];
};

// Every vCPU that is online must be running threads again after the resume.
void advance_check_thread(void* arg) {
    auto* c = static_cast<AdvanceCheck*>(arg);
    sched::this_scheduler().sleep_until(clock::monotonic_ns() + 500'000'000ull);
    uint64_t later[kMaxCpus];
    snapshot_counters(later);
    unsigned online = 0, advanced = 0;
    char detail[160];
    int n = 0;
    for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
        if (!smp::is_online(cpu)) continue;
        ++online;
        advanced += later[cpu] > c->at_start[cpu];
        n += snprintf(detail + n, sizeof(detail) - size_t(n), " cpu%u+%" PRIu64, cpu,
                      later[cpu] - c->at_start[cpu]);
    }
    printf("app: %s %u of %u vcpus advanced:%s\n", c->label, advanced, online, detail);
    free(c);
}

void after_resume(const suspend::ResumeInfo& info, void*) {
    char label[48];
    snprintf(label, sizeof(label), "after resume #%u", info.suspend_number);
    check_vcpus_advance(label);
    uint64_t now = checksum();
    printf("app: resumed (#%u) cancelled=%d downtime_ms=%" PRIu64 " mono_ns=%" PRIu64
           " checksum=%016" PRIx64 " %s\n",
           info.suspend_number, info.cancelled ? 1 : 0, info.downtime_ns / 1'000'000, clock::monotonic_ns(),
           now, now == boot_checksum ? "unchanged" : "CHANGED");
}

}  // namespace

void check_vcpus_advance(const char* label) {
    auto* c = static_cast<AdvanceCheck*>(malloc(sizeof(AdvanceCheck)));
    if (!c) return;
    snprintf(c->label, sizeof(c->label), "%s", label);
    snapshot_counters(c->at_start);
    if (sched::this_scheduler().spawn_detached("advance-check", advance_check_thread, c) !=
        Error::none)
        free(c);
}

void install_suspend_hooks() {
    region = static_cast<uint64_t*>(malloc(kRegionWords * sizeof(uint64_t)));
    if (!region) {
        printf("app: no memory for the checksum region\n");
        return;
    }
    uint64_t x = clock::wall_clock_ns() | 1;
    for (size_t i = 0; i < kRegionWords; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        region[i] = x;
    }
    boot_checksum = checksum();
    printf("app: memory region %zu bytes, checksum=%016" PRIx64 "\n", kRegionWords * 8,
           boot_checksum);
    (void)suspend::on_suspend(before_suspend, nullptr);
    (void)suspend::on_resume(after_resume, nullptr);
}

}  // namespace torpor::demo
