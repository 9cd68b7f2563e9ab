#include "main/network.h"

#include <new>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/spinlock.h"
#include "drivers/xenstore/client.h"
#include "kernel/device_hooks.h"
#include "kernel/net/stack.h"
#include "kernel/sync/mutex.h"
#include "main/vif_device.h"
#include "main/xenbus_store.h"

namespace torpor::network {
namespace {

constexpr unsigned kMaxVifs = 8;

struct Vif {
    unsigned id = 0;
    bool present = false;  // its directory is in xenstore
    char path[32] = {};
    char name[16] = {};
    VifDevice* driver = nullptr;
};

Vif vifs[kMaxVifs];
unsigned vif_count = 0;
Mutex table_lock;

bool parse_id(const char* text, unsigned* id) {
    if (*text == '\0' || strlen(text) > 4) return false;
    unsigned value = 0;
    for (const char* c = text; *c; ++c) {
        if (*c < '0' || *c > '9') return false;
        value = value * 10 + unsigned(*c - '0');
    }
    *id = value;
    return true;
}

void add_vif(unsigned id) {
    if (vif_count == kMaxVifs) {
        klog("net: vif%u ignored: at most %u vifs", id, kMaxVifs);
        return;
    }
    if (Error e = net::start_stack(); e != Error::none) {
        klog("net: vif%u ignored: the TCP/IP stack did not start (%s)", id, error_name(e));
        return;
    }
    Vif& v = vifs[vif_count];
    v.id = id;
    v.present = true;
    snprintf(v.path, sizeof(v.path), "device/vif/%u", id);
    snprintf(v.name, sizeof(v.name), "vif%u", id);
    v.driver = new (std::nothrow) VifDevice(xenstore_backed_store(), v.path, v.name);
    if (v.driver == nullptr) {
        klog("net: %s: no memory for the driver", v.name);
        return;
    }
    ++vif_count;
    klog("net: %s found in xenstore (%s)", v.name, v.path);
    if (Error e = v.driver->start(); e != Error::none)
        klog("net: %s did not start: %s", v.name, error_name(e));
}

// The watch on device/vif fired (and once after registering): reconcile.
void vifs_changed(const char*, void*) {
    unsigned count = 0;
    auto names = xenstore::directory("device/vif", &count);
    LockGuard guard(table_lock);
    bool seen[kMaxVifs] = {};
    if (!names.is_error()) {
        const char* name = names.value().c_str();
        for (unsigned n = 0; n < count; ++n, name += strlen(name) + 1) {
            unsigned id;
            if (!parse_id(name, &id)) continue;
            int found = -1;
            for (unsigned i = 0; i < vif_count; ++i)
                if (vifs[i].id == id) found = int(i);
            if (found >= 0) {
                // Re-attached (xl network-attach gave the same id back): the
                // driver we have runs the handshake again by itself once the
                // new backend is in InitWait (drivers/xenbus/frontend.h), on
                // the same netif; a second driver would fight it for the
                // device's keys.
                if (!vifs[found].present)
                    klog("net: %s back in xenstore (%s): the same driver reconnects",
                         vifs[found].name, vifs[found].path);
                vifs[found].present = true;
                seen[found] = true;
                continue;
            }
            add_vif(id);
            if (vif_count > 0 && vifs[vif_count - 1].id == id) seen[vif_count - 1] = true;
        }
    }
    for (unsigned i = 0; i < vif_count; ++i) {
        if (!vifs[i].present || seen[i]) continue;
        vifs[i].present = false;
        if (vifs[i].driver != nullptr) vifs[i].driver->removed();
    }
}

// The rings carry on until Xen stops us; only the backend's events wait for
// the resume (xenbus::Frontend::suspending).
Error suspend_vifs() {
    LockGuard guard(table_lock);
    for (unsigned i = 0; i < vif_count; ++i)
        if (vifs[i].present && vifs[i].driver != nullptr) vifs[i].driver->suspending();
    return Error::none;
}

Error resume_vifs(bool new_domain) {
    LockGuard guard(table_lock);
    for (unsigned i = 0; i < vif_count; ++i) {
        if (!vifs[i].present || vifs[i].driver == nullptr) continue;
        if (new_domain)
            vifs[i].driver->resumed_in_new_domain();
        else
            vifs[i].driver->suspend_cancelled();  // same rings; re-read only if an event was held
    }
    return Error::none;
}

}  // namespace

Error start() {
    TRY(devices::register_hooks(devices::Hooks{"netfront", suspend_vifs, resume_vifs}));
    auto id = xenstore::watch("device/vif", vifs_changed, nullptr);
    if (id.is_error()) return id.error();
    return Error::none;
}

}  // namespace torpor::network
