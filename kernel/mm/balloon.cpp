#include "kernel/mm/balloon.h"

#include "base/log.h"
#include "kernel/boot_options.h"
#include "kernel/device_hooks.h"
#include "kernel/memory.h"
#include "xen/hypercalls.h"

namespace torpor::balloon {

namespace {

bool enabled = true;

// What Xen counts against us (tot_pages), or `fallback` if it will not say.
unsigned long frames_held_by_xen(unsigned long fallback) {
    long n = xen::current_reservation();
    return n > 0 ? static_cast<unsigned long>(n) : fallback;
}

Error nothing_to_do_on_suspend() { return Error::none; }

// Only a new domain needs anything: a live migration's receiver populated
// every pfn it received in a round, also those we gave back after that round.
Error after_resume(bool new_domain) {
    if (!new_domain) return Error::none;
    unsigned long held = frames_held_by_xen(memory::held_frames());
    size_t given = memory::after_new_domain(held);
    if (given)
        klog("memory: gave back %zu frames the toolstack had backed in empty regions", given);
    return Error::none;
}

}  // namespace

bool is_enabled() { return enabled; }

Error init() {
    auto option = boot_options::find(boot_options::command_line(), "balloon");
    enabled = !option.is("off");
    if (option.found && enabled && !option.is("on"))
        klog("balloon: unknown setting \"balloon=%.*s\" (want on or off); leaving it on",
             int(option.length), option.text);
    if (!enabled) {
        klog("memory: balloon=off: the guest keeps all its memory");
        return Error::none;
    }
    auto r = memory::start_on_demand(frames_held_by_xen(0));
    klog("memory: free memory lives in Xen: gave %zu frames (%zu MiB) back at boot; %zu of %zu "
         "2 MiB regions empty, %zu frames free in reserve, holding %lu frames (%lu MiB); the "
         "published p2m ends at pfn %#lx (%lu MiB)",
         r.given_frames, r.given_frames / 256, r.empty_regions, r.regions, r.free_frames,
         r.held_frames, r.held_frames / 256, r.p2m_max_pfn, r.p2m_max_pfn / 256);
    return devices::register_hooks({"memory", nothing_to_do_on_suspend, after_resume});
}

}  // namespace torpor::balloon
