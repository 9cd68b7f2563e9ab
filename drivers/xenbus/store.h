// What a xenbus frontend needs from xenstore, as an interface: the kernel's
// adapter (main/xenbus_store.cpp) forwards to drivers/xenstore/client.h, the
// host tests put a fake store with scripted backends behind it.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "base/string.h"

namespace torpor::xenbus {

class Store {
public:
    using Transaction = uint32_t;
    static constexpr Transaction kNoTransaction = 0;
    using WatchCallback = void (*)(const char* path, void* context);

    // not_found for a missing key.
    virtual ErrorOr<String> read(const char* path, Transaction tx = kNoTransaction) = 0;
    virtual Error write(const char* path, const char* value, Transaction tx = kNoTransaction) = 0;
    virtual ErrorOr<Transaction> transaction_start() = 0;
    // try_again when the store saw a conflict and nothing was committed.
    virtual Error transaction_end(Transaction tx, bool commit) = 0;
    // Calls `callback(path, context)` whenever `path` or a descendant changes,
    // and once soon after registering; never from inside watch() itself.
    virtual ErrorOr<uint32_t> watch(const char* path, WatchCallback callback, void* context) = 0;
    virtual Error unwatch(uint32_t id) = 0;

protected:
    ~Store() = default;
};

}  // namespace torpor::xenbus
