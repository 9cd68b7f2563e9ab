// The xenbus handshake of one PV frontend device (xen/io/xenbus.h; the
// "Startup" section of xen/io/blkif.h), as a state machine with no I/O of its
// own: xenstore is a Store, the device's rings are a Device. Pure logic, host-
// tested against a fake store and scripted backends.
//
//   start():  read `<dev>/backend` and `<dev>/backend-id` (both checked: an
//             absolute /local/domain/<backend-id>/... path, a domain id below
//             DOMID_FIRST_RESERVED), write `<dev>/state` = Initialising, watch
//             `<backend>/state`.
//   backend InitWait (or later): setup_rings, then in ONE transaction the
//             device's keys and `<dev>/state` = the configured next state
//             (Connected for a vif: netback connects when it sees the frontend
//             Connected; Initialised for a vbd), retried on conflicts.
//   backend Connected: connect(), then `<dev>/state` = Connected.
//   backend Closing (xl block-detach / network-detach): the device's
//             closing() (post nothing more), then `<dev>/state` = Closed at
//             once: blkback and netback release the rings only when the
//             frontend is Closed, so the grants are kept until then.
//   backend Closed, or its directory gone (state missing): disconnect()
//             (revoke, unbind), closed; nothing more is written into our
//             directory, which the toolstack is about to remove. A backend
//             back in InitWait after that (re-attached: the toolstack wrote
//             both directories again) starts the handshake again.
//   suspending(): until the resume hook, backend events are left alone: a
//             migration to another host can give the guest its old domain id
//             there, so the new backend has the old one's path, and its
//             InitWait must not pass for a restart of the old backend.
//   a cancelled suspend: nothing changes, the rings carry on; the backend's
//             state is read again only if an event came while suspended.
//   a resume into a new domain: forget_rings(), re-read backend and
//             backend-id (the backend is a new one), write Initialising, watch
//             the new backend's state; the handshake then runs again.
//
// Anything malformed from the other side (a state that is not a number 0..8,
// a missing or foreign backend path, a bad backend-id) marks the device broken
// with one log line; it then ignores every event. Calls must be serialised by
// the caller (the kernel adapter holds a mutex; watch callbacks come from the
// xenstore watch thread).
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "drivers/xenbus/device.h"
#include "drivers/xenbus/store.h"
#include "drivers/xenbus/xenbus_state.h"

namespace torpor::xenbus {

enum class Phase : uint8_t {
    stopped,           // start() not called (or failed before reading anything)
    waiting_backend,   // Initialising written, the backend is not in InitWait yet
    published,         // keys written, waiting for the backend to connect
    connected,
    closing,           // the backend is closing: we wrote Closed, rings kept until it is Closed
    closed,
    broken,
};
const char* phase_name(Phase phase);

class Frontend {
public:
    static constexpr unsigned kMaxPathLength = 192;
    static constexpr unsigned kTransactionAttempts = 8;

    // `device_path`: relative to the domain's home (e.g. "device/vif/0").
    // `after_publish`: the state written with the keys (connected or initialised).
    Frontend(Store& store, Device& device, const char* device_path, State after_publish);
    ~Frontend();
    Frontend(const Frontend&) = delete;
    Frontend& operator=(const Frontend&) = delete;

    Error start();
    // The watch on the backend's state fired for `path`; null: re-read anyway.
    void backend_changed(const char* path);
    // The guest is about to suspend: backend events wait for the resume hook.
    void suspending();
    // The suspend was cancelled (xl save -c, a failed migration): same domain,
    // same backend, same rings; re-reads the backend's state if an event was
    // held back meanwhile, else touches nothing.
    void suspend_cancelled();
    // Resumed in a new domain: see the comment above.
    Error resumed_in_new_domain();

    Phase phase() const { return phase_; }
    bool is_broken() const { return phase_ == Phase::broken; }
    domid_t backend_id() const { return backend_id_; }
    const char* backend_path() const { return backend_path_; }
    const char* device_path() const { return device_path_; }
    unsigned handshakes() const { return handshakes_; }  // successful connects
    unsigned publish_attempts() const { return publish_attempts_; }  // transactions tried

private:
    friend class FrontendKeys;
    Error read_backend_location();
    Error watch_backend();
    void unwatch_backend();
    Error write_state(State state, Store::Transaction tx = Store::kNoTransaction);
    Error publish();
    void handle(State backend);
    void connect();
    void go_closing();
    void go_closed(bool write = true);  // write: also our own state key
    void mark_broken(const char* what, const char* detail);
    void fail(const char* step, Error e);
    bool path_under_backend(const char* path) const;

    Store& store_;
    Device& device_;
    State after_publish_;
    Phase phase_ = Phase::stopped;
    bool rings_set_up_ = false;
    char device_path_[kMaxPathLength] = {};
    char backend_path_[kMaxPathLength] = {};
    domid_t backend_id_ = 0;
    bool watching_ = false;
    uint32_t watch_id_ = 0;
    unsigned handshakes_ = 0;
    unsigned publish_attempts_ = 0;
    bool warned_reconfigure_ = false;
    bool suspended_ = false;     // between suspending() and the resume hook
    bool missed_event_ = false;  // a backend event came while suspended
};

}  // namespace torpor::xenbus
