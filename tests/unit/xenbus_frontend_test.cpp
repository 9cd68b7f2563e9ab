// The xenbus frontend handshake (drivers/xenbus) against a fake xenstore whose
// backend is scripted by each test: normal vif/vbd handshakes, transaction
// conflicts, garbage from the other side, a cancelled suspend, a resume into a
// new domain with a new backend, closing, removal and re-attach.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "base/log.h"
#include "drivers/xenbus/frontend.h"
#include "drivers/xenbus/xenbus_state.h"

using namespace torpor;
using namespace torpor::xenbus;

namespace {

std::vector<std::string> log_lines;
void capture(const char* text, size_t length) { log_lines.emplace_back(text, length); }

size_t xenbus_log_lines() {
    size_t n = 0;
    for (auto& l : log_lines) n += l.rfind("xenbus: ", 0) == 0;
    return n;
}

// A xenstore with transactions (writes buffered until commit; scripted
// conflicts) and watches whose events queue up until deliver().
class FakeStore final : public Store {
public:
    std::map<std::string, std::string> keys;
    unsigned conflicts_left = 0;
    unsigned committed = 0;
    unsigned writes_outside_transactions = 0;
    unsigned reads = 0;
    Error fail_transaction_start = Error::none;

    ErrorOr<String> read(const char* path, Transaction tx) override {
        ++reads;
        if (tx) {
            auto& pending = transactions_.at(tx);
            if (auto it = pending.find(path); it != pending.end()) return String::copy_of(it->second.c_str());
        }
        auto it = keys.find(path);
        if (it == keys.end()) return Error::not_found;
        return String::copy_of(it->second.c_str());
    }
    Error write(const char* path, const char* value, Transaction tx) override {
        if (tx) {
            transactions_.at(tx)[path] = value;
            return Error::none;
        }
        ++writes_outside_transactions;
        set(path, value);
        return Error::none;
    }
    ErrorOr<Transaction> transaction_start() override {
        if (fail_transaction_start != Error::none) return fail_transaction_start;
        transactions_[++next_tx_] = {};
        return next_tx_;
    }
    Error transaction_end(Transaction tx, bool commit) override {
        auto pending = transactions_.at(tx);
        transactions_.erase(tx);
        if (!commit) return Error::none;
        if (conflicts_left > 0) {
            --conflicts_left;
            return Error::try_again;
        }
        for (auto& [path, value] : pending) set(path, value);
        ++committed;
        return Error::none;
    }
    ErrorOr<uint32_t> watch(const char* path, WatchCallback callback, void* context) override {
        watches_[++next_watch_] = {path, callback, context};
        queued_.push_back({next_watch_, path});  // fires once after registering
        return next_watch_;
    }
    Error unwatch(uint32_t id) override {
        return watches_.erase(id) ? Error::none : Error::not_found;
    }

    // A change made by the other side (the backend or the toolstack).
    void set(const std::string& path, const std::string& value) {
        keys[path] = value;
        notify(path);
    }
    void remove(const std::string& path) {
        keys.erase(path);
        notify(path);
    }
    // An event for `path` on every watch at or above it, as xenstored sends.
    void notify(const std::string& path) {
        for (auto& [id, w] : watches_)
            if (path == w.path || path.rfind(w.path + "/", 0) == 0) queued_.push_back({id, path});
    }
    // Runs the queued watch callbacks, as the watch thread would.
    void deliver() {
        while (!queued_.empty()) {
            auto [id, path] = queued_.front();
            queued_.erase(queued_.begin());
            auto it = watches_.find(id);
            if (it != watches_.end()) it->second.callback(path.c_str(), it->second.context);
        }
    }
    size_t watch_count() const { return watches_.size(); }
    bool watching(const std::string& path) const {
        for (auto& [id, w] : watches_)
            if (w.path == path) return true;
        return false;
    }

private:
    struct Watch {
        std::string path;
        WatchCallback callback;
        void* context;
    };
    std::map<Transaction, std::map<std::string, std::string>> transactions_;
    std::map<uint32_t, Watch> watches_;
    std::vector<std::pair<uint32_t, std::string>> queued_;
    Transaction next_tx_ = 0;
    uint32_t next_watch_ = 0;
};

class FakeDevice final : public Device {
public:
    std::vector<std::string> calls;
    unsigned generation = 0;  // bumped by each setup_rings: "new rings"
    Error fail_setup = Error::none, fail_publish = Error::none, fail_connect = Error::none;
    std::string backend_feature;

    Error setup_rings(domid_t backend_id) override {
        calls.push_back("setup " + std::to_string(backend_id));
        if (fail_setup != Error::none) return fail_setup;
        ++generation;
        return Error::none;
    }
    Error publish(KeyWriter& keys) override {
        calls.push_back("publish");
        if (fail_publish != Error::none) return fail_publish;
        TRY(keys.write_uint("tx-ring-ref", 100 * generation + 1));
        TRY(keys.write_uint("rx-ring-ref", 100 * generation + 2));
        TRY(keys.write_uint("event-channel", 10 + generation));
        return keys.write("request-rx-copy", "1");
    }
    Error connect(KeyReader& keys) override {
        calls.push_back("connect");
        auto f = keys.read_backend("feature-rx-copy");
        backend_feature = f.is_error() ? "(missing)" : f.value().c_str();
        return fail_connect;
    }
    void closing() override { calls.push_back("closing"); }
    void disconnect() override { calls.push_back("disconnect"); }
    void forget_rings() override { calls.push_back("forget"); }
};

const char* kDev = "device/vif/0";
const char* kBackend = "/local/domain/0/backend/vif/5/0";

class XenbusFrontend : public ::testing::Test {
protected:
    void SetUp() override {
        log_lines.clear();
        set_log_sink(capture);
        store.keys["device/vif/0/backend"] = kBackend;
        store.keys["device/vif/0/backend-id"] = "0";
        store.keys[std::string(kBackend) + "/state"] = "1";
        store.keys[std::string(kBackend) + "/feature-rx-copy"] = "1";
    }
    void TearDown() override { set_log_sink(nullptr); }

    void backend_goes(const char* state, const char* backend = kBackend) {
        store.set(std::string(backend) + "/state", state);
        store.deliver();
    }
    std::string dev(const char* key) {
        auto it = store.keys.find(std::string(kDev) + "/" + key);
        return it == store.keys.end() ? "(missing)" : it->second;
    }
    // Through to Connected with the default backend.
    void connect(Frontend& f) {
        ASSERT_EQ(f.start(), Error::none);
        store.deliver();
        backend_goes("2");
        backend_goes("4");
        ASSERT_EQ(f.phase(), Phase::connected);
    }

    FakeStore store;
    FakeDevice device;
};

TEST(XenbusState, ParsesOnlyPlainNumbersOfTheProtocol) {
    for (unsigned v = 0; v <= 8; ++v) {
        auto s = parse_state(std::to_string(v).c_str());
        ASSERT_FALSE(s.is_error()) << v;
        EXPECT_EQ(unsigned(s.value()), v);
    }
    EXPECT_EQ(unsigned(State::connected), unsigned(XenbusStateConnected));
    for (const char* bad : {"", "9", "10", "-1", "+4", " 4", "4 ", "4x", "04", "four", "99999999999"})
        EXPECT_TRUE(parse_state(bad).is_error()) << "'" << bad << "'";
    EXPECT_TRUE(parse_state(nullptr).is_error());
    EXPECT_STREQ(state_name(State::init_wait), "InitWait");
}

TEST(XenbusState, DomainIdsBelowTheReservedRange) {
    EXPECT_EQ(parse_domid("0").value(), 0);
    EXPECT_EQ(parse_domid("32751").value(), 32751);  // DOMID_FIRST_RESERVED - 1
    for (const char* bad : {"32752", "65535", "4294967296", "", "-0", "007", "1 ", "0x10", "dom0"})
        EXPECT_TRUE(parse_domid(bad).is_error()) << "'" << bad << "'";
}

TEST_F(XenbusFrontend, VifHandshakeWritesEveryKeyInOneTransactionAndConnects) {
    Frontend f(store, device, kDev, State::connected);
    ASSERT_EQ(f.start(), Error::none);
    EXPECT_EQ(dev("state"), "1");
    EXPECT_EQ(f.phase(), Phase::waiting_backend);
    EXPECT_EQ(f.backend_id(), 0);
    EXPECT_STREQ(f.backend_path(), kBackend);
    EXPECT_TRUE(store.watching(std::string(kBackend) + "/state"));
    store.deliver();  // the first event: backend still Initialising
    EXPECT_TRUE(device.calls.empty());

    backend_goes("2");
    EXPECT_EQ(device.calls, (std::vector<std::string>{"setup 0", "publish"}));
    EXPECT_EQ(store.committed, 1u);
    EXPECT_EQ(dev("tx-ring-ref"), "101");
    EXPECT_EQ(dev("event-channel"), "11");
    EXPECT_EQ(dev("request-rx-copy"), "1");
    EXPECT_EQ(dev("state"), "4") << "a vif goes Connected with its keys (netback waits for it)";
    EXPECT_EQ(f.phase(), Phase::published);

    backend_goes("4");
    EXPECT_EQ(f.phase(), Phase::connected);
    EXPECT_EQ(device.backend_feature, "1");
    EXPECT_EQ(f.handshakes(), 1u);
    backend_goes("4");  // watches fire again for nothing: idempotent
    EXPECT_EQ(device.calls, (std::vector<std::string>{"setup 0", "publish", "connect"}));
    EXPECT_EQ(xenbus_log_lines(), 0u);
}

TEST_F(XenbusFrontend, VbdStyleGoesInitialisedThenConnected) {
    Frontend f(store, device, kDev, State::initialised);
    ASSERT_EQ(f.start(), Error::none);
    backend_goes("2");
    EXPECT_EQ(dev("state"), "3");
    backend_goes("4");
    EXPECT_EQ(dev("state"), "4");
    EXPECT_EQ(f.phase(), Phase::connected);
}

TEST_F(XenbusFrontend, BackendAlreadyConnectedIsPublishedAndConnectedAtOnce) {
    store.keys[std::string(kBackend) + "/state"] = "4";
    Frontend f(store, device, kDev, State::connected);
    ASSERT_EQ(f.start(), Error::none);
    store.deliver();
    EXPECT_EQ(device.calls, (std::vector<std::string>{"setup 0", "publish", "connect"}));
    EXPECT_EQ(f.phase(), Phase::connected);
}

TEST_F(XenbusFrontend, ConflictingTransactionsAreRetriedAndOnlyTheLastOneLands) {
    Frontend f(store, device, kDev, State::connected);
    ASSERT_EQ(f.start(), Error::none);
    unsigned writes_before = store.writes_outside_transactions;
    store.conflicts_left = 3;
    backend_goes("2");
    EXPECT_EQ(f.publish_attempts(), 4u);
    EXPECT_EQ(store.committed, 1u);
    EXPECT_EQ(store.writes_outside_transactions, writes_before)
        << "every key, state included, goes through the transaction";
    EXPECT_EQ(std::count(device.calls.begin(), device.calls.end(), "publish"), 4);
    EXPECT_EQ(std::count(device.calls.begin(), device.calls.end(), "setup 0"), 1)
        << "a retry re-writes the keys, it does not make new rings";
    EXPECT_EQ(f.phase(), Phase::published);
}

TEST_F(XenbusFrontend, EndlessConflictsGiveUpReleaseTheRingsAndBreakTheDevice) {
    Frontend f(store, device, kDev, State::connected);
    ASSERT_EQ(f.start(), Error::none);
    store.conflicts_left = 1000;
    backend_goes("2");
    EXPECT_EQ(f.publish_attempts(), Frontend::kTransactionAttempts);
    EXPECT_TRUE(f.is_broken());
    EXPECT_EQ(device.calls.back(), "disconnect");
    EXPECT_EQ(dev("tx-ring-ref"), "(missing)") << "nothing of a failed transaction is visible";
    EXPECT_EQ(xenbus_log_lines(), 1u);
}

TEST_F(XenbusFrontend, GarbageBackendStatesBreakTheDeviceWithOneLine) {
    for (const char* garbage : {"4x", "", "9", "-1", " 2", "Connected"}) {
        SetUp();
        device.calls.clear();
        Frontend f(store, device, kDev, State::connected);
        ASSERT_EQ(f.start(), Error::none);
        backend_goes("2");
        backend_goes(garbage);
        EXPECT_TRUE(f.is_broken()) << "'" << garbage << "'";
        EXPECT_EQ(device.calls.back(), "disconnect") << "the granted rings are given back";
        backend_goes("4");  // a broken device ignores everything after
        EXPECT_EQ(device.calls.back(), "disconnect");
        EXPECT_EQ(xenbus_log_lines(), 1u) << "'" << garbage << "'";
    }
}

TEST_F(XenbusFrontend, MissingOrForeignBackendLocationsAreRejected) {
    struct Case {
        const char* backend;  // nullptr: key missing
        const char* backend_id;
    };
    const Case cases[] = {
        {nullptr, "0"},
        {kBackend, nullptr},
        {kBackend, "abc"},
        {kBackend, "32752"},  // DOMID_FIRST_RESERVED
        {kBackend, "3"},      // the path is in domain 0's tree
        {"backend/vif/5/0", "0"},
        {"/local/domain/0/", "0"},
        {"/local/domain/0/backend/../../1/backend/vif/5/0", "0"},
        {"/local/domain/0/backend//vif", "0"},
        {"/local/domain/0/backend/vif/5/0\n", "0"},
        {"/local/domain/0/backend/vif/5/0/", "0"},
    };
    for (const Case& c : cases) {
        log_lines.clear();
        store.keys.erase("device/vif/0/backend");
        store.keys.erase("device/vif/0/backend-id");
        if (c.backend) store.keys["device/vif/0/backend"] = c.backend;
        if (c.backend_id) store.keys["device/vif/0/backend-id"] = c.backend_id;
        Frontend f(store, device, kDev, State::connected);
        EXPECT_NE(f.start(), Error::none) << (c.backend ? c.backend : "(none)");
        EXPECT_TRUE(f.is_broken());
        EXPECT_EQ(store.watch_count(), 0u);
        EXPECT_EQ(xenbus_log_lines(), 1u);
    }
    EXPECT_TRUE(device.calls.empty()) << "no rings for a backend we cannot trust";
}

TEST_F(XenbusFrontend, FailuresOfTheDeviceBreakItAndGiveBackWhatItTook) {
    {
        device.fail_setup = Error::out_of_memory;
        Frontend f(store, device, kDev, State::connected);
        ASSERT_EQ(f.start(), Error::none);
        backend_goes("2");
        EXPECT_TRUE(f.is_broken());
        EXPECT_EQ(device.calls, (std::vector<std::string>{"setup 0"})) << "nothing to give back";
    }
    device = FakeDevice();
    device.fail_connect = Error::protocol_error;  // e.g. the backend offers no rx-copy
    Frontend f(store, device, kDev, State::connected);
    ASSERT_EQ(f.start(), Error::none);
    backend_goes("2");
    backend_goes("4");
    EXPECT_TRUE(f.is_broken());
    EXPECT_EQ(device.calls.back(), "disconnect");
}

TEST_F(XenbusFrontend, CancelledSuspendTouchesNothing) {
    Frontend f(store, device, kDev, State::connected);
    connect(f);
    auto calls = device.calls;
    auto keys = store.keys;
    unsigned writes = store.writes_outside_transactions;
    unsigned reads = store.reads;
    f.suspending();
    f.suspend_cancelled();
    EXPECT_EQ(store.reads, reads) << "no event came: not even a read (xl remus checkpoints)";
    store.deliver();
    backend_goes("4");  // the same backend, still connected
    EXPECT_EQ(device.calls, calls);
    EXPECT_EQ(store.keys, keys);
    EXPECT_EQ(store.writes_outside_transactions, writes);
    EXPECT_EQ(f.phase(), Phase::connected);
    EXPECT_EQ(f.handshakes(), 1u);
}

TEST_F(XenbusFrontend, ResumeInANewDomainRenegotiatesWithTheNewBackend) {
    Frontend f(store, device, kDev, State::connected);
    connect(f);
    // The new host's toolstack: a new backend in another domain, waiting.
    const char* new_backend = "/local/domain/7/backend/vif/12/0";
    store.keys["device/vif/0/backend"] = new_backend;
    store.keys["device/vif/0/backend-id"] = "7";
    store.keys[std::string(new_backend) + "/state"] = "2";
    store.keys[std::string(new_backend) + "/feature-rx-copy"] = "1";
    device.calls.clear();
    ASSERT_EQ(f.resumed_in_new_domain(), Error::none);
    EXPECT_EQ(device.calls, (std::vector<std::string>{"forget"}))
        << "the old grants and port are gone: forgotten, never revoked or closed";
    EXPECT_EQ(dev("state"), "1");
    EXPECT_EQ(f.backend_id(), 7);
    EXPECT_STREQ(f.backend_path(), new_backend);
    EXPECT_FALSE(store.watching(std::string(kBackend) + "/state"));
    EXPECT_TRUE(store.watching(std::string(new_backend) + "/state"));
    // A late event about the old backend changes nothing.
    f.backend_changed((std::string(kBackend) + "/state").c_str());
    EXPECT_EQ(device.calls.size(), 1u);

    store.deliver();  // the new watch's first event: InitWait
    EXPECT_EQ(device.calls, (std::vector<std::string>{"forget", "setup 7", "publish"}));
    EXPECT_EQ(dev("tx-ring-ref"), "201") << "new rings, newly published";
    backend_goes("4", new_backend);
    EXPECT_EQ(f.phase(), Phase::connected);
    EXPECT_EQ(f.handshakes(), 2u);
}

// Found moving a guest between two hosts: the receiving host gave it the domain
// id it had on the sender, so the new backend has the old one's path, and its
// watch (re-registered by the xenstore resume) fired with InitWait before the
// driver's resume hook ran. Taken for a restart of the old backend, it tore down
// and re-set-up the rings, and the resume hook then did it again: blkback
// mapped the wrong ring and the disk never connected on that host.
TEST_F(XenbusFrontend, ResumeOnAnotherHostWithTheSameBackendPathWaitsForTheResumeHook) {
    Frontend f(store, device, kDev, State::connected);
    connect(f);
    f.suspending();
    device.calls.clear();
    unsigned writes = store.writes_outside_transactions;
    // The new host: the same path, a new backend waiting in InitWait; its
    // watch event arrives before the resume hook.
    backend_goes("2");
    f.backend_changed(nullptr);
    EXPECT_TRUE(device.calls.empty()) << "not a restart of the old backend: left to the resume";
    EXPECT_EQ(store.writes_outside_transactions, writes);
    EXPECT_EQ(f.phase(), Phase::connected);

    ASSERT_EQ(f.resumed_in_new_domain(), Error::none);
    store.deliver();
    EXPECT_EQ(device.calls, (std::vector<std::string>{"forget", "setup 0", "publish"}))
        << "one set of new rings, published once";
    backend_goes("4");
    EXPECT_EQ(f.phase(), Phase::connected);
    EXPECT_EQ(f.handshakes(), 2u);
}

TEST_F(XenbusFrontend, EventsWhileSuspendedAreReadAgainWhenTheSuspendIsCancelled) {
    Frontend f(store, device, kDev, State::connected);
    connect(f);
    f.suspending();
    backend_goes("5");  // the backend closes while we are suspended (a detach)
    EXPECT_EQ(f.phase(), Phase::connected) << "left alone while suspended";
    f.suspend_cancelled();
    EXPECT_EQ(f.phase(), Phase::closing) << "the cancelled suspend reads the state it missed";
    EXPECT_EQ(device.calls.back(), "closing");
}

TEST_F(XenbusFrontend, BackendClosingThenClosedThenReattached) {
    Frontend f(store, device, kDev, State::connected);
    connect(f);
    backend_goes("5");
    EXPECT_EQ(device.calls.back(), "closing") << "the backend still maps the rings: not revoked yet";
    EXPECT_EQ(dev("state"), "6") << "blkback/netback release the rings only when we say Closed";
    EXPECT_EQ(f.phase(), Phase::closing);
    backend_goes("5");  // a repeated event changes nothing
    EXPECT_EQ(std::count(device.calls.begin(), device.calls.end(), "closing"), 1);
    unsigned writes = store.writes_outside_transactions;
    backend_goes("6");
    EXPECT_EQ(device.calls.back(), "disconnect") << "the backend is Closed: now revoke";
    EXPECT_EQ(store.writes_outside_transactions, writes) << "Closed was already written";
    EXPECT_EQ(f.phase(), Phase::closed);
    EXPECT_EQ(std::count(device.calls.begin(), device.calls.end(), "disconnect"), 1);
    backend_goes("2");  // re-attached
    EXPECT_EQ(f.phase(), Phase::published);
    EXPECT_EQ(device.calls.back(), "publish");
    backend_goes("4");
    EXPECT_EQ(f.handshakes(), 2u);
    EXPECT_EQ(f.phase(), Phase::connected);
}

TEST_F(XenbusFrontend, DetachThenBothDirectoriesRemovedThenReattached) {
    // xl block-detach: backend Closing, we say Closed, the backend Closes, the
    // toolstack removes both directories; xl block-attach writes them again.
    Frontend f(store, device, kDev, State::initialised);
    connect(f);
    backend_goes("5");
    EXPECT_EQ(dev("state"), "6");
    store.keys.erase("device/vif/0/state");
    store.keys.erase("device/vif/0/tx-ring-ref");
    store.remove(std::string(kBackend) + "/state");
    store.deliver();
    EXPECT_EQ(f.phase(), Phase::closed);
    EXPECT_EQ(device.calls.back(), "disconnect");
    EXPECT_EQ(dev("state"), "(missing)") << "writing would re-create the removed directory";
    store.keys["device/vif/0/state"] = "1";  // the toolstack's fresh directory
    backend_goes("1");
    EXPECT_EQ(f.phase(), Phase::closed) << "not ready yet";
    backend_goes("2");
    EXPECT_EQ(f.phase(), Phase::published);
    EXPECT_EQ(dev("tx-ring-ref"), "201") << "new rings, newly published";
    backend_goes("4");
    EXPECT_EQ(f.phase(), Phase::connected);
    EXPECT_EQ(dev("state"), "4");
    EXPECT_EQ(f.handshakes(), 2u);
}

TEST_F(XenbusFrontend, ReattachedWhileStillClosingStartsOver) {
    Frontend f(store, device, kDev, State::connected);
    connect(f);
    backend_goes("5");
    backend_goes("2");  // the Closed event was missed: the backend is new
    EXPECT_EQ(device.calls, (std::vector<std::string>{"setup 0", "publish", "connect", "closing",
                                                      "disconnect", "setup 0", "publish"}));
    backend_goes("4");
    EXPECT_EQ(f.handshakes(), 2u);
}

TEST_F(XenbusFrontend, RemovedBackendClosesWithoutWritingIntoTheDeviceDirectory) {
    Frontend f(store, device, kDev, State::connected);
    connect(f);
    store.keys.erase("device/vif/0/state");  // the toolstack removes both directories
    store.remove(std::string(kBackend) + "/state");
    store.deliver();
    EXPECT_EQ(f.phase(), Phase::closed);
    EXPECT_EQ(device.calls.back(), "disconnect");
    EXPECT_EQ(dev("state"), "(missing)") << "writing would re-create the removed directory";
    EXPECT_FALSE(f.is_broken());
}

TEST_F(XenbusFrontend, BackendRestartingIntoInitWaitReconnects) {
    Frontend f(store, device, kDev, State::connected);
    connect(f);
    backend_goes("2");
    EXPECT_EQ(device.calls, (std::vector<std::string>{"setup 0", "publish", "connect", "disconnect",
                                                      "setup 0", "publish"}));
    backend_goes("4");
    EXPECT_EQ(f.handshakes(), 2u);
}

TEST_F(XenbusFrontend, ReconfiguringIsIgnoredWithOneLine) {
    Frontend f(store, device, kDev, State::connected);
    connect(f);
    backend_goes("7");
    backend_goes("8");
    backend_goes("7");
    EXPECT_EQ(f.phase(), Phase::connected);
    EXPECT_EQ(xenbus_log_lines(), 1u);
}

TEST_F(XenbusFrontend, TransactionStartFailureBreaksTheDevice) {
    Frontend f(store, device, kDev, State::connected);
    ASSERT_EQ(f.start(), Error::none);
    store.fail_transaction_start = Error::timed_out;
    backend_goes("2");
    EXPECT_TRUE(f.is_broken());
    EXPECT_EQ(device.calls.back(), "disconnect");
}

}  // namespace
