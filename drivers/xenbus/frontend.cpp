#include "drivers/xenbus/frontend.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"

namespace torpor::xenbus {

const char* phase_name(Phase phase) {
    switch (phase) {
        case Phase::stopped: return "stopped";
        case Phase::waiting_backend: return "waiting for the backend";
        case Phase::published: return "published";
        case Phase::connected: return "connected";
        case Phase::closing: return "closing";
        case Phase::closed: return "closed";
        case Phase::broken: return "broken";
    }
    return "?";
}

Error KeyWriter::write_uint(const char* key, uint64_t value) {
    char text[24];
    snprintf(text, sizeof(text), "%llu", static_cast<unsigned long long>(value));
    return write(key, text);
}

namespace {

// `a/b` into `out`; too_big if it does not fit.
template <size_t N>
Error join(char (&out)[N], const char* a, const char* b) {
    int n = snprintf(out, N, "%s/%s", a, b);
    return n < 0 || size_t(n) >= N ? Error::too_big : Error::none;
}

// The toolstack writes `/local/domain/<backend-id>/backend/<class>/...`: an
// absolute path, inside the backend domain's own tree, of plain characters.
bool backend_path_is_plausible(const char* path, domid_t backend_id) {
    char prefix[40];
    snprintf(prefix, sizeof(prefix), "/local/domain/%u/", unsigned(backend_id));
    size_t prefix_length = strlen(prefix);
    if (strncmp(path, prefix, prefix_length) != 0) return false;
    if (path[prefix_length] == '\0') return false;
    for (const char* p = path; *p; ++p) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '/' || *p == '-' || *p == '_' ||
                     *p == '.' || *p == '@';
        if (!plain) return false;
        if (p[0] == '/' && (p[1] == '/' || p[1] == '.')) return false;  // no "//", "/.", "/.."
    }
    return path[strlen(path) - 1] != '/';
}

void on_backend_watch(const char* path, void* context) {
    static_cast<Frontend*>(context)->backend_changed(path);
}

}  // namespace

// The Device's view of the transaction and of the two directories.
class FrontendKeys final : public KeyWriter, public KeyReader {
public:
    FrontendKeys(Frontend& f, Store::Transaction tx) : f_(f), tx_(tx) {}
    Error write(const char* key, const char* value) override {
        char path[Frontend::kMaxPathLength];
        TRY(join(path, f_.device_path_, key));
        return f_.store_.write(path, value, tx_);
    }
    ErrorOr<String> read_backend(const char* key) override {
        char path[Frontend::kMaxPathLength];
        TRY(join(path, f_.backend_path_, key));
        return f_.store_.read(path, tx_);
    }
    ErrorOr<String> read_frontend(const char* key) override {
        char path[Frontend::kMaxPathLength];
        TRY(join(path, f_.device_path_, key));
        return f_.store_.read(path, tx_);
    }

private:
    Frontend& f_;
    Store::Transaction tx_;
};

Frontend::Frontend(Store& store, Device& device, const char* device_path, State after_publish)
    : store_(store), device_(device), after_publish_(after_publish) {
    if (strlen(device_path) < sizeof(device_path_))
        strcpy(device_path_, device_path);
    else
        mark_broken("device path too long", device_path);
}

Frontend::~Frontend() { unwatch_backend(); }

void Frontend::mark_broken(const char* what, const char* detail) {
    if (phase_ == Phase::broken) return;
    klog("xenbus: %s: %s (%s); device marked broken", device_path_, what, detail);
    phase_ = Phase::broken;
}

void Frontend::fail(const char* step, Error e) {
    if (rings_set_up_) {
        device_.disconnect();
        rings_set_up_ = false;
    }
    mark_broken(step, error_name(e));
}

Error Frontend::read_backend_location() {
    char path[kMaxPathLength];
    TRY(join(path, device_path_, "backend-id"));
    auto id_text = store_.read(path);
    if (id_text.is_error()) {
        mark_broken("cannot read backend-id", error_name(id_text.error()));
        return id_text.error();
    }
    auto id = parse_domid(id_text.value().c_str());
    if (id.is_error()) {
        mark_broken("backend-id is not a domain id", id_text.value().c_str());
        return id.error();
    }
    TRY(join(path, device_path_, "backend"));
    auto backend = store_.read(path);
    if (backend.is_error()) {
        mark_broken("cannot read the backend path", error_name(backend.error()));
        return backend.error();
    }
    const char* b = backend.value().c_str();
    if (backend.value().length() >= sizeof(backend_path_) - 8 ||
        !backend_path_is_plausible(b, id.value())) {
        mark_broken("backend path is not inside the backend domain", b);
        return Error::protocol_error;
    }
    strcpy(backend_path_, b);
    backend_id_ = id.value();
    return Error::none;
}

Error Frontend::watch_backend() {
    char path[kMaxPathLength];
    TRY(join(path, backend_path_, "state"));
    auto id = store_.watch(path, on_backend_watch, this);
    if (id.is_error()) {
        mark_broken("cannot watch the backend's state", error_name(id.error()));
        return id.error();
    }
    watch_id_ = id.value();
    watching_ = true;
    return Error::none;
}

void Frontend::unwatch_backend() {
    if (!watching_) return;
    (void)store_.unwatch(watch_id_);
    watching_ = false;
}

Error Frontend::write_state(State state, Store::Transaction tx) {
    char path[kMaxPathLength];
    TRY(join(path, device_path_, "state"));
    char value[4];
    snprintf(value, sizeof(value), "%u", unsigned(state));
    return store_.write(path, value, tx);
}

Error Frontend::start() {
    if (phase_ == Phase::broken) return Error::protocol_error;
    TRY(read_backend_location());
    if (Error e = write_state(State::initialising); e != Error::none) {
        mark_broken("cannot write state Initialising", error_name(e));
        return e;
    }
    phase_ = Phase::waiting_backend;
    return watch_backend();
}

bool Frontend::path_under_backend(const char* path) const {
    size_t n = strlen(backend_path_);
    return n > 0 && strncmp(path, backend_path_, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

void Frontend::backend_changed(const char* path) {
    if (phase_ == Phase::broken || phase_ == Phase::stopped) return;
    // Suspended: the resume hook restarts or re-reads (the path below may
    // already be the next domain's backend, same domain id on another host).
    if (suspended_) {
        missed_event_ = true;
        return;
    }
    // A late event for the backend we had before a resume: not ours any more.
    if (path && !path_under_backend(path)) return;
    char state_path[kMaxPathLength];
    if (join(state_path, backend_path_, "state") != Error::none) return;
    auto text = store_.read(state_path);
    if (text.is_error()) {
        if (text.error() == Error::not_found) {
            // The toolstack removed the backend (network-detach): it is gone.
            // Our own directory may be going too: write nothing into it.
            if (phase_ != Phase::closed)
                klog("xenbus: %s: backend %s is gone; closed", device_path_, backend_path_);
            go_closed(/*write=*/false);
            return;
        }
        klog("xenbus: %s: cannot read the backend's state (%s); will retry on the next event",
             device_path_, error_name(text.error()));
        return;
    }
    auto state = parse_state(text.value().c_str());
    if (state.is_error()) {
        fail("backend state is not a XenbusState", Error::protocol_error);
        return;
    }
    handle(state.value());
}

void Frontend::handle(State backend) {
    if (backend == State::reconfiguring || backend == State::reconfigured) {
        if (!warned_reconfigure_)
            klog("xenbus: %s: backend is %s, which torpor does not support; ignored",
                 device_path_, state_name(backend));
        warned_reconfigure_ = true;
        return;
    }
    switch (phase_) {
        case Phase::waiting_backend:
            if (backend == State::init_wait || backend == State::initialised ||
                backend == State::connected) {
                if (publish() != Error::none) return;
                if (backend == State::connected) connect();
            }
            return;  // Unknown/Initialising: not ready; Closing/Closed: not ours yet
        case Phase::published:
            if (backend == State::connected)
                connect();
            else if (backend == State::closing)
                go_closing();
            else if (backend == State::closed)
                go_closed();
            return;
        case Phase::connected:
            if (backend == State::closing) {
                go_closing();
            } else if (backend == State::closed) {
                go_closed();
            } else if (backend == State::init_wait) {
                // The backend started over without closing (restarted): so do we.
                klog("xenbus: %s: backend went back to InitWait; reconnecting", device_path_);
                device_.disconnect();
                rings_set_up_ = false;
                phase_ = Phase::waiting_backend;
                handle(backend);
            }
            return;
        case Phase::closing:
            if (backend == State::closed) {
                go_closed();
            } else if (backend == State::init_wait) {
                // Re-attached before we saw it close: start over.
                go_closed();
                phase_ = Phase::closed;
                handle(backend);
            }
            return;
        case Phase::closed:
            if (backend == State::init_wait) {
                // Re-attached: start the handshake again.
                if (Error e = write_state(State::initialising); e != Error::none) {
                    fail("cannot write state Initialising", e);
                    return;
                }
                phase_ = Phase::waiting_backend;
                handle(backend);
            }
            return;
        case Phase::stopped:
        case Phase::broken:
            return;
    }
}

Error Frontend::publish() {
    if (!rings_set_up_) {
        if (Error e = device_.setup_rings(backend_id_); e != Error::none) {
            fail("setting up the rings failed", e);
            return e;
        }
        rings_set_up_ = true;
    }
    Error e = Error::try_again;
    for (unsigned attempt = 0; attempt < kTransactionAttempts && e == Error::try_again; ++attempt) {
        ++publish_attempts_;
        auto tx = store_.transaction_start();
        if (tx.is_error()) {
            e = tx.error();
            break;
        }
        FrontendKeys keys(*this, tx.value());
        e = device_.publish(keys);
        if (e == Error::none) e = write_state(after_publish_, tx.value());
        if (e != Error::none) {
            (void)store_.transaction_end(tx.value(), /*commit=*/false);
            break;
        }
        e = store_.transaction_end(tx.value(), /*commit=*/true);
    }
    if (e != Error::none) {
        fail("publishing the frontend's keys failed", e);
        return e;
    }
    phase_ = Phase::published;
    return Error::none;
}

void Frontend::connect() {
    FrontendKeys keys(*this, Store::kNoTransaction);
    if (Error e = device_.connect(keys); e != Error::none) {
        fail("connecting to the backend failed", e);
        return;
    }
    if (after_publish_ != State::connected) {
        if (Error e = write_state(State::connected); e != Error::none) {
            fail("cannot write state Connected", e);
            return;
        }
    }
    phase_ = Phase::connected;
    ++handshakes_;
}

void Frontend::go_closing() {
    if (phase_ == Phase::closing) return;
    if (rings_set_up_) device_.closing();
    // Closed, not Closing: the backend keeps its mappings until it sees Closed.
    (void)write_state(State::closed);
    phase_ = Phase::closing;
}

void Frontend::go_closed(bool write) {
    if (rings_set_up_) {
        device_.disconnect();
        rings_set_up_ = false;
    }
    // Already said Closed in go_closing(): the directory may be gone by now.
    if (write && phase_ != Phase::closed && phase_ != Phase::closing)
        (void)write_state(State::closed);
    phase_ = Phase::closed;
}

void Frontend::suspending() {
    suspended_ = true;
    missed_event_ = false;
}

void Frontend::suspend_cancelled() {
    suspended_ = false;
    // Only when an event came meanwhile: a checkpoint (xl remus) stays cheap.
    if (missed_event_) backend_changed(nullptr);
}

Error Frontend::resumed_in_new_domain() {
    suspended_ = false;
    if (phase_ == Phase::broken) return Error::protocol_error;
    if (rings_set_up_) {
        device_.forget_rings();
        rings_set_up_ = false;
    }
    unwatch_backend();
    backend_path_[0] = '\0';
    phase_ = Phase::stopped;
    return start();
}

}  // namespace torpor::xenbus
