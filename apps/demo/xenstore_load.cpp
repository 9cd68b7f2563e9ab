#include "apps/demo/xenstore_load.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "drivers/xenstore/client.h"
#include "kernel/cpu_local.h"
#include "kernel/sched/scheduler.h"
#include "kernel/smp/smp.h"
#include "kernel/time/clock.h"
#include "suspend/app_hooks.h"

namespace torpor::demo {

namespace {

constexpr uint64_t kRoundGapNs = 3'000'000ull;
constexpr uint64_t kReportPeriodNs = 1'000'000'000ull;
constexpr uint64_t kMaxFailuresPrinted = 20;

uint64_t events = 0;
uint64_t suspends = 0;  // bumped before each suspend starts
uint64_t vanished = 0;
uint64_t ops = 0;
uint64_t transactions = 0;
uint64_t failures = 0;
char last_value[64] = "";

void bump(uint64_t& counter) { __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED); }
uint64_t load(const uint64_t& counter) { return __atomic_load_n(&counter, __ATOMIC_RELAXED); }

void failed(unsigned cpu, const char* what, Error e) {
    uint64_t n = __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
    if (n <= kMaxFailuresPrinted)
        printf("xsload: cpu%u %s failed: %s (failure %" PRIu64 ")\n", cpu, what, error_name(e), n);
}

// Idempotent, as every watch callback must be: it reads the current value of
// what changed (data/load or a key below it; not there yet in a new domain).
void on_load_changed(const char* path, void*) {
    bump(events);
    auto value = xenstore::read(path);
    if (value.is_error()) {
        if (value.error() != Error::not_found) failed(0, "read of a data/load key", value.error());
        return;
    }
    snprintf(last_value, sizeof(last_value), "%s", value.value().c_str());
}

void before_suspend(const suspend::SuspendInfo&, void*) { bump(suspends); }

struct TxKeys {
    char a[40];
    char b[40];
    char value[40];
};

Error write_pair(xenstore::TransactionId tx, void* arg) {
    auto* k = static_cast<TxKeys*>(arg);
    if (Error e = xenstore::write(k->a, k->value, tx); e != Error::none) return e;
    return xenstore::write(k->b, k->value, tx);
}

void load_thread(void* arg) {
    unsigned cpu = unsigned(reinterpret_cast<uintptr_t>(arg));
    char key[40], value[40];
    snprintf(key, sizeof(key), "data/xsload/cpu%u", cpu);
    TxKeys tx;
    snprintf(tx.a, sizeof(tx.a), "data/xsload/tx%u-a", cpu);
    snprintf(tx.b, sizeof(tx.b), "data/xsload/tx%u-b", cpu);
    for (uint64_t round = 0;; ++round) {
        snprintf(value, sizeof(value), "%u-%" PRIu64, cpu, round);
        uint64_t epoch = load(suspends);
        if (Error e = xenstore::write(key, value); e != Error::none) {
            failed(cpu, "write", e);
        } else {
            auto back = xenstore::read(key);
            if (back.is_error() && back.error() == Error::not_found && load(suspends) != epoch)
                bump(vanished);  // written before a restore or migration: the new domain's
                                 // xenstore directory starts empty
            else if (back.is_error())
                failed(cpu, "read", back.error());
            else if (strcmp(back.value().c_str(), value) != 0)
                failed(cpu, "read-back (another value)", Error::protocol_error);
        }
        if (round % 8 == 0) {
            snprintf(tx.value, sizeof(tx.value), "%u-%" PRIu64, cpu, round);
            unsigned attempts = 0;
            Error e = xenstore::run_transaction(write_pair, &tx, 5, &attempts);
            if (e != Error::none)
                failed(cpu, "transaction", e);
            else
                bump(transactions);
        }
        bump(ops);
        sched::this_scheduler().sleep_until(clock::monotonic_ns() + kRoundGapNs);
    }
}

void report_thread(void*) {
    for (;;) {
        sched::this_scheduler().sleep_until(clock::monotonic_ns() + kReportPeriodNs);
        xenstore::Stats s = xenstore::stats();
        printf("xsload: mono_ns=%" PRIu64 " events=%" PRIu64 " value=\"%s\" ops=%" PRIu64
               " tx=%" PRIu64 " failures=%" PRIu64 " vanished=%" PRIu64 " requests=%" PRIu64
               " coalesced=%" PRIu64
               " dropped-events=%" PRIu64 " dropped-replies=%" PRIu64 " resyncs=%" PRIu64
               " yields=%" PRIu64 "\n",
               clock::monotonic_ns(), load(events), last_value, load(ops), load(transactions),
               load(failures), load(vanished), s.requests, s.coalesced_watch_events, s.dropped_watch_events,
               s.dropped_replies, s.resyncs, s.reader_yields);
    }
}

}  // namespace

void start_xenstore_load() {
    (void)suspend::on_suspend(before_suspend, nullptr);
    auto w = xenstore::watch("data/load", on_load_changed, nullptr);
    if (w.is_error()) printf("xsload: cannot watch data/load: %s\n", error_name(w.error()));
    unsigned started = 0;
    for (unsigned cpu = 0; cpu < kMaxCpus; ++cpu) {
        if (!smp::is_online(cpu)) continue;
        Error e = cpu_local(cpu).scheduler.spawn_detached(
            "xsload", load_thread, reinterpret_cast<void*>(uintptr_t(cpu)));
        if (e != Error::none)
            printf("xsload: cannot start on cpu%u: %s\n", cpu, error_name(e));
        else
            ++started;
    }
    (void)sched::this_scheduler().spawn_detached("xsload-report", report_thread, nullptr);
    printf("xsload: started on %u vcpus\n", started);
}

}  // namespace torpor::demo
