#include "main/memory_target_watch.h"

#include "base/log.h"
#include "drivers/xenstore/client.h"
#include "kernel/memory.h"
#include "kernel/mm/memory_target.h"

namespace torpor::memory_target_watch {

namespace {

constexpr const char* kTargetKey = "memory/target";
unsigned long last_target = ~0ul;

void on_target_changed(const char*, void*) {
    auto value = xenstore::read(kTargetKey);
    if (value.is_error()) {
        if (value.error() != Error::not_found)
            klog("memory: reading %s failed: %s", kTargetKey, error_name(value.error()));
        return;
    }
    auto frames = memory::frames_of_target(value.value().c_str());
    if (frames.is_error()) {
        klog("memory: ignoring %s = \"%s\": not a KiB count", kTargetKey, value.value().c_str());
        return;
    }
    unsigned long target = frames.value();
    if (target == last_target) return;  // the watch fires again after every resume
    last_target = target;
    size_t given = memory::set_frame_limit(target);
    unsigned long held = memory::held_frames();
    if (held > target)
        klog("memory: target %lu KiB: gave back %zu frames, still holding %lu frames (%lu KiB "
             "over the target: in use, cannot go)", target * 4, given, held, (held - target) * 4);
    else
        klog("memory: target %lu KiB: gave back %zu frames, holding %lu frames (%lu KiB)",
             target * 4, given, held, held * 4);
}

}  // namespace

Error start() {
    if (!memory::on_demand_enabled()) return Error::not_supported;
    auto w = xenstore::watch(kTargetKey, on_target_changed, nullptr);
    return w.is_error() ? w.error() : Error::none;
}

}  // namespace torpor::memory_target_watch
