#include "main/xenbus_store.h"

#include "drivers/xenstore/client.h"

namespace torpor {

namespace {

class XenstoreStore final : public xenbus::Store {
public:
    ErrorOr<String> read(const char* path, Transaction tx) override { return xenstore::read(path, tx); }
    Error write(const char* path, const char* value, Transaction tx) override {
        return xenstore::write(path, value, tx);
    }
    ErrorOr<Transaction> transaction_start() override { return xenstore::transaction_start(); }
    Error transaction_end(Transaction tx, bool commit) override {
        return xenstore::transaction_end(tx, commit);
    }
    ErrorOr<uint32_t> watch(const char* path, WatchCallback callback, void* context) override {
        auto id = xenstore::watch(path, callback, context);
        if (id.is_error()) return id.error();
        return id.value().value;
    }
    Error unwatch(uint32_t id) override { return xenstore::unwatch(xenstore::WatchId{id}); }
};

XenstoreStore store;

}  // namespace

xenbus::Store& xenstore_backed_store() { return store; }

}  // namespace torpor
