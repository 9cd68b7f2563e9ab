#include "main/idle_memory_reclaimer.h"

#include "base/log.h"
#include "kernel/cpu_local.h"
#include "kernel/memory.h"
#include "kernel/sched/scheduler.h"
#include "kernel/time/clock.h"

namespace torpor::idle_memory_reclaimer {

namespace {

// Long enough that a load cycling through its working set (the demo's
// memload: 16 MiB a second) never gives it back between rounds.
constexpr uint64_t kPeriodNs = 3'000'000'000ull;

void reclaim_forever(void*) {
    for (;;) {
        sched::this_scheduler().sleep_until(clock::monotonic_ns() + kPeriodNs);
        size_t given = memory::give_back_idle();
        if (given)
            klog("memory: gave back %zu frames unused for %llu s, holding %lu frames (%lu KiB)",
                 given, (unsigned long long)(kPeriodNs / 1'000'000'000ull), memory::held_frames(),
                 memory::held_frames() * 4);
    }
}

}  // namespace

Error start() {
    if (!memory::on_demand_enabled()) return Error::not_supported;
    return cpu_local(0).scheduler.spawn_detached("mem-reclaim", reclaim_forever, nullptr);
}

}  // namespace torpor::idle_memory_reclaimer
