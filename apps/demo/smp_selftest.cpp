#include "apps/demo/smp_selftest.h"

#include <inttypes.h>
#include <stdio.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_base.h"
#include "kernel/cpu_local.h"
#include "kernel/smp/pause.h"
#include "kernel/smp/smp.h"
#include "kernel/time/clock.h"

namespace torpor::demo {

namespace {

constexpr unsigned kRoundTrips = 1000;
constexpr unsigned kPauseRounds = 100;
constexpr uint64_t kReportPeriodNs = 1'000'000'000ull;

uint64_t counters[kMaxCpus];
bool busy = false;  // spin flat out (yielding) instead of pacing
bool quiet = false;  // one count per 100 ms, like the Linux baseline's tick

void counter_thread(void*) {
    unsigned cpu = arch::current_vcpu_id();
    for (;;) {
        uint64_t n = __atomic_add_fetch(&counters[cpu], 1, __ATOMIC_RELAXED);
        if (quiet) {
            sched::this_scheduler().sleep_until(clock::monotonic_ns() + 100'000'000);
        } else if (__atomic_load_n(&busy, __ATOMIC_RELAXED)) {
            if ((n & 4095) == 0) sched::this_scheduler().yield();
        } else if ((n & 63) == 0) {
            sched::this_scheduler().sleep_until(clock::monotonic_ns() + 1'000'000);
        }
    }
}

void report_thread(void*) {
    for (;;) {
        sched::this_scheduler().sleep_until(clock::monotonic_ns() + kReportPeriodNs);
        char line[256];
        int n = snprintf(line, sizeof(line), "counters:");
        for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
            if (!smp::is_online(cpu)) continue;
            n += snprintf(line + n, sizeof(line) - size_t(n), " cpu%u=%" PRIu64, cpu,
                          __atomic_load_n(&counters[cpu], __ATOMIC_RELAXED));
        }
        puts(line);
        n = snprintf(line, sizeof(line), "cpustats:");
        for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
            if (!smp::is_online(cpu)) continue;
            CpuLocal& c = cpu_local(cpu);
            n += snprintf(line + n, sizeof(line) - size_t(n), " cpu%u=%" PRIu64 "/%" PRIu64 "/%" PRIu64,
                          cpu, c.upcalls, c.timer_interrupts, c.ipis);
        }
        puts(line);
    }
}

void nothing(void*) {}

struct PingPong {
    unsigned from, to;
    unsigned completed;
    uint64_t elapsed_ns;
};

void ping_pong_thread(void* arg) {
    auto* p = static_cast<PingPong*>(arg);
    uint64_t start = clock::monotonic_ns();
    for (unsigned i = 0; i < kRoundTrips; ++i) {
        if (smp::call_on(p->to, nothing, nullptr) != Error::none) break;
        ++p->completed;
    }
    p->elapsed_ns = clock::monotonic_ns() - start;
}

void run_ping_pong() {
    for (unsigned a = 0; a < kMaxCpus; ++a) {
        for (unsigned b = a + 1; b < kMaxCpus; ++b) {
            if (!smp::is_online(a) || !smp::is_online(b)) continue;
            PingPong p{a, b, 0, 0};
            auto t = cpu_local(a).scheduler.spawn("ping-pong", ping_pong_thread, &p);
            if (t.is_error() || sched::this_scheduler().join(t.value()) != Error::none) {
                printf("ipi ping-pong cpu%u<->cpu%u: could not run\n", a, b);
                continue;
            }
            printf("ipi ping-pong cpu%u<->cpu%u: %u round trips in %" PRIu64 " us\n", a, b,
                   p.completed, p.elapsed_ns / 1000);
        }
    }
}

void run_pause_rounds() {
    __atomic_store_n(&busy, true, __ATOMIC_RELAXED);
    sched::this_scheduler().sleep_until(clock::monotonic_ns() + 50'000'000);  // let them spin up
    unsigned self = arch::current_vcpu_id();
    unsigned all_parked = 0, frozen = 0, resumed = 0, expected = 0;
    for (unsigned round = 0; round < kPauseRounds; ++round) {
        auto r = smp::pause_cpus();
        if (r.is_error()) {
            printf("pause test: round %u failed: %s\n", round, error_name(r.error()));
            break;
        }
        expected = r.value().expected;
        if (r.value().parked == expected) ++all_parked;
        // Parked vCPUs run no threads: their counters must not move.
        uint64_t before[kMaxCpus];
        for (unsigned c = 0; c < kMaxCpus; ++c) before[c] = __atomic_load_n(&counters[c], __ATOMIC_RELAXED);
        uint64_t until = clock::monotonic_ns() + 2'000'000;
        while (clock::monotonic_ns() < until) arch::cpu_relax();
        bool still = true;
        for (unsigned c = 0; c < kMaxCpus; ++c)
            if (c != self && __atomic_load_n(&counters[c], __ATOMIC_RELAXED) != before[c]) still = false;
        frozen += still;
        resumed += smp::resume_cpus() == Error::none;
    }
    __atomic_store_n(&busy, false, __ATOMIC_RELAXED);
    printf("pause test: %u rounds, %u saw all %u other vcpus parked, %u with their counters "
           "frozen, %u resumed all\n",
           kPauseRounds, all_parked, expected, frozen, resumed);
}

}  // namespace

void snapshot_counters(uint64_t* out) {
    for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) out[cpu] = __atomic_load_n(&counters[cpu], __ATOMIC_RELAXED);
}

void run_smp_selftest(Workload workload) {
    quiet = workload == Workload::quiet;
    for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
        if (!smp::is_online(cpu)) continue;
        if (cpu_local(cpu).scheduler.spawn_detached("counter", counter_thread, nullptr) !=
            Error::none)
            printf("smp: cannot start a counter on cpu%u\n", cpu);
    }
    (void)sched::this_scheduler().spawn_detached("counter-report", report_thread, nullptr);
    if (quiet) {
        printf("smp self-test skipped (demo=quiet): counters tick every 100 ms\n");
        return;
    }
    if (smp::online_count() > 1) {
        run_ping_pong();
        run_pause_rounds();
    }
    printf("smp self-test done\n");
}

}  // namespace torpor::demo
