// The demo application: a 100 ms heartbeat with monotonic and wall time, an
// echo of console input, a xenstore watch on data/ping, a two-key xenstore
// transaction, a thread waiting on an event channel that a console command
// ("invalidate-event") makes stale, and per-vCPU counters (busy, or with
// `extra="demo=quiet"` one tick per 100 ms; "check-vcpus TAG" on the console
// reports which of them advanced). `extra="demo=xsload"` adds a xenstore load
// from every vCPU and a counted watch on data/load (quiet counters, no SMP
// self-test). The network services (apps/demo/net_servers.h): TCP echo on
// port 7 and HTTP on port 80, proven at boot and after every resume by a
// self-test over the loopback interface (apps/demo/net_selftest.h).
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "apps/demo/blk_bench.h"
#include "apps/demo/blk_workload.h"
#include "apps/demo/net_selftest.h"
#include "apps/demo/net_servers.h"
#include "apps/demo/memory_load.h"
#include "apps/demo/smp_selftest.h"
#include "apps/demo/suspend_hooks.h"
#include "apps/demo/xenstore_load.h"
#include "drivers/console/pv_console.h"
#include "drivers/xenstore/client.h"
#include "kernel/boot_options.h"
#include "kernel/app.h"
#include "kernel/events/event_channels.h"
#include "kernel/sched/scheduler.h"
#include "kernel/time/clock.h"

namespace torpor {

namespace {

constexpr uint64_t kHeartbeatPeriodNs = 100'000'000ull;
EventHandle test_event;

void heartbeat(void*) {
    uint64_t beat = 0;
    uint64_t last = clock::monotonic_ns();
    for (;;) {
        // Relative to the previous beat, so no two beats are closer than the period.
        sched::this_scheduler().sleep_until(last + kHeartbeatPeriodNs);
        last = clock::monotonic_ns();
        printf("heartbeat %" PRIu64 " mono_ns=%" PRIu64 " wall_ns=%" PRIu64 "\n", beat++, last,
               clock::wall_clock_ns());
    }
}

void on_ping(const char*, void*) {
    auto value = xenstore::read("data/ping");
    if (value.is_error())
        printf("watch data/ping fired: (%s)\n", error_name(value.error()));
    else
        printf("watch data/ping fired: value=\"%s\"\n", value.value().c_str());
}

struct TransactionValues {
    char a[32];
    char b[32];
};

Error write_both(xenstore::TransactionId tx, void* context) {
    auto* v = static_cast<TransactionValues*>(context);
    Error e = xenstore::write("data/tx-a", v->a, tx);
    if (e != Error::none) return e;
    return xenstore::write("data/tx-b", v->b, tx);
}

void run_transaction_test() {
    TransactionValues values;
    uint64_t stamp = clock::monotonic_ns();
    snprintf(values.a, sizeof(values.a), "alpha-%" PRIu64, stamp);
    snprintf(values.b, sizeof(values.b), "beta-%" PRIu64, stamp);
    unsigned attempts = 0;
    Error e = xenstore::run_transaction(write_both, &values, 5, &attempts);
    if (e == Error::none)
        printf("transaction committed: data/tx-a=%s data/tx-b=%s attempts=%u\n", values.a,
               values.b, attempts);
    else
        printf("transaction failed: %s after %u attempts\n", error_name(e), attempts);
}

void event_waiter(void*) {
    printf("event-wait: waiting on port %u\n", test_event.port);
    Error e = events::wait(test_event);
    printf("event-wait: port %u returned \"%s\"\n", test_event.port, error_name(e));
}

void console_echo(void*) {
    char line[128];
    for (;;) {
        auto n = console::read_line(line, sizeof(line));
        if (n.is_error()) {
            printf("console: input failed: %s\n", error_name(n.error()));
            return;
        }
        printf("console: echo \"%s\"\n", line);
        if (strncmp(line, "check-vcpus ", 12) == 0) {
            char label[48];
            snprintf(label, sizeof(label), "check %s", line + 12);
            demo::check_vcpus_advance(label);
        }
        if (strcmp(line, "invalidate-event") == 0) {
            Error e = events::invalidate(test_event);
            printf("console: invalidated port %u: %s\n", test_event.port, error_name(e));
        }
    }
}

void spawn_or_report(const char* name, sched::Thread::Entry entry) {
    Error e = sched::this_scheduler().spawn_detached(name, entry, nullptr);
    if (e != Error::none) printf("demo: cannot start %s: %s\n", name, error_name(e));
}

}  // namespace

void app_main() {
    demo::install_suspend_hooks();
    // A port nobody will ever notify: dom0 never binds it.
    auto h = events::alloc_unbound(0, nullptr, nullptr);
    if (h.is_error()) {
        printf("demo: cannot allocate the test event channel: %s\n", error_name(h.error()));
    } else {
        test_event = h.value();
        spawn_or_report("event-waiter", event_waiter);
    }
    auto w = xenstore::watch("data/ping", on_ping, nullptr);
    if (w.is_error()) printf("demo: cannot watch data/ping: %s\n", error_name(w.error()));
    run_transaction_test();
    spawn_or_report("console-echo", console_echo);
    spawn_or_report("heartbeat", heartbeat);
    // demo=quiet: as idle as the Linux baseline guest (its 100 ms tick), for the bench.
    // demo=xsload: xenstore kept busy from every vCPU (torpor-xenstore-load).
    bool xsload = boot_options::is_set_to("demo", "xsload");
    bool blkbench = boot_options::is_set_to("demo", "blkbench");
    bool quiet = boot_options::is_set_to("demo", "quiet") || blkbench;
    if (demo::start_net_servers() == Error::none) {
        demo::start_net_self_test("at boot");
        if (!quiet) demo::run_net_self_test_after_each_resume();
    }
    if (xsload) demo::start_xenstore_load();
    // demo=memload: malloc and free in a loop (torpor-memory).
    bool memload = boot_options::is_set_to("demo", "memload");
    if (memload) demo::start_memory_load();
    demo::run_smp_selftest(xsload || memload || quiet
                               ? demo::Workload::quiet
                               : demo::Workload::selftest);
    // demo=blkbench: the bench's storage load instead of the record workload.
    if (blkbench)
        (void)demo::start_block_bench();
    else
        demo::start_block_workload();  // only with a disk xvda
    printf("demo: running\n");
}

}  // namespace torpor
