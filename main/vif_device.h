// One vif as the composition root runs it: the xenbus handshake
// (drivers/xenbus/frontend.h) with the netfront driver (drivers/netfront) as
// its Device. Every call into the Frontend (the watch thread, the resume hook,
// hot-plug) is serialised by one mutex, watch callbacks included.
#pragma once
#include "base/error.h"
#include "drivers/netfront/netfront.h"
#include "drivers/xenbus/frontend.h"
#include "kernel/sync/mutex.h"

namespace torpor {

// Forwards to the real store, running the (single) watch callback under `lock`.
class SerialisingStore final : public xenbus::Store {
public:
    SerialisingStore(xenbus::Store& store, Mutex& lock) : store_(store), lock_(lock) {}
    ErrorOr<String> read(const char* path, Transaction tx) override { return store_.read(path, tx); }
    Error write(const char* path, const char* value, Transaction tx) override {
        return store_.write(path, value, tx);
    }
    ErrorOr<Transaction> transaction_start() override { return store_.transaction_start(); }
    Error transaction_end(Transaction tx, bool commit) override {
        return store_.transaction_end(tx, commit);
    }
    ErrorOr<uint32_t> watch(const char* path, WatchCallback callback, void* context) override;
    Error unwatch(uint32_t id) override { return store_.unwatch(id); }

private:
    static void locked_callback(const char* path, void* context);
    xenbus::Store& store_;
    Mutex& lock_;
    WatchCallback callback_ = nullptr;
    void* context_ = nullptr;
};

class VifDevice final : public xenbus::Device {
public:
    // `path`: "device/vif/<id>", `name`: "vif<id>" (both kept).
    VifDevice(xenbus::Store& store, const char* path, const char* name);
    // Reads `<dev>/mac`, starts the driver and the handshake.
    Error start();
    void suspending();
    void suspend_cancelled();
    void resumed_in_new_domain();
    void removed() { driver_.removed(); }

    Error setup_rings(domid_t backend_id) override { return driver_.setup_rings(backend_id); }
    Error publish(xenbus::KeyWriter& keys) override;
    Error connect(xenbus::KeyReader& keys) override;
    void disconnect() override { driver_.disconnect(); }
    void forget_rings() override { driver_.forget_rings(); }

private:
    xenbus::Store& store_;
    const char* path_;
    const char* name_;
    Mutex lock_;
    SerialisingStore serialised_;
    netfront::Netfront driver_;
    xenbus::Frontend frontend_;
};

}  // namespace torpor
