#include "main/vif_device.h"

#include <stdio.h>

#include "base/log.h"
#include "base/spinlock.h"

namespace torpor {

ErrorOr<uint32_t> SerialisingStore::watch(const char* path, WatchCallback callback, void* context) {
    callback_ = callback;
    context_ = context;
    return store_.watch(path, locked_callback, this);
}

void SerialisingStore::locked_callback(const char* path, void* context) {
    auto* self = static_cast<SerialisingStore*>(context);
    LockGuard guard(self->lock_);
    if (self->callback_ != nullptr) self->callback_(path, self->context_);
}

VifDevice::VifDevice(xenbus::Store& store, const char* path, const char* name)
    : store_(store),
      path_(path),
      name_(name),
      serialised_(store, lock_),
      driver_(name),
      // netback connects once it sees the frontend Connected (xen/io/netif.h).
      frontend_(serialised_, *this, path, xenbus::State::connected) {}

Error VifDevice::start() {
    char key[64];
    snprintf(key, sizeof(key), "%s/mac", path_);
    auto mac = store_.read(key);
    if (mac.is_error()) {
        klog("netfront: %s broken: cannot read %s: %s; the guest carries on without it", name_,
             key, error_name(mac.error()));
        return mac.error();
    }
    TRY(driver_.start(mac.value().c_str(), mac.value().length()));
    LockGuard guard(lock_);
    return frontend_.start();
}

void VifDevice::suspending() {
    LockGuard guard(lock_);
    frontend_.suspending();
}

void VifDevice::suspend_cancelled() {
    LockGuard guard(lock_);
    frontend_.suspend_cancelled();
}

void VifDevice::resumed_in_new_domain() {
    LockGuard guard(lock_);
    if (Error e = frontend_.resumed_in_new_domain(); e != Error::none)
        klog("netfront: %s: renegotiation after resume did not start: %s", name_, error_name(e));
}

Error VifDevice::publish(xenbus::KeyWriter& keys) {
    netfront::RingKeys k = driver_.ring_keys();
    TRY(keys.write_uint("tx-ring-ref", k.tx_ring_ref));
    TRY(keys.write_uint("rx-ring-ref", k.rx_ring_ref));
    TRY(keys.write_uint("event-channel", k.event_channel));
    TRY(keys.write("request-rx-copy", "1"));
    TRY(keys.write("feature-rx-notify", "1"));
    // We neither fill in nor accept partial checksums: netback then completes
    // them before a frame reaches us (xen/io/netif.h, feature-no-csum-offload).
    TRY(keys.write("feature-no-csum-offload", "1"));
    return Error::none;
}

Error VifDevice::connect(xenbus::KeyReader& keys) {
    // Re-read at every handshake: a re-attached vif may have another MAC.
    char key[64];
    snprintf(key, sizeof(key), "%s/mac", path_);
    auto mac = store_.read(key);
    if (mac.is_error()) {
        klog("netfront: %s: cannot read %s at connect: %s; keeping the MAC it had", name_, key,
             error_name(mac.error()));
    } else {
        TRY(driver_.update_mac(mac.value().c_str(), mac.value().length()));
    }
    auto ip = keys.read_backend("ip");
    if (ip.is_error()) return driver_.connect(nullptr, 0);
    return driver_.connect(ip.value().c_str(), ip.value().length());
}

}  // namespace torpor
