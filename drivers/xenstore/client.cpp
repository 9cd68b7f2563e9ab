#include "drivers/xenstore/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <new>
#include <utility>

#include "arch/x86_64/cpu.h"
#include "base/byte_ring.h"
#include "base/log.h"
#include "base/rate_limit.h"
#include "drivers/xenstore/pending_requests.h"
#include "drivers/xenstore/reader.h"
#include "drivers/xenstore/request_gate.h"
#include "drivers/xenstore/watch_queue.h"
#include "drivers/xenstore/wire.h"
#include "kernel/events/event_channels.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/mutex.h"
#include "kernel/time/clock.h"

namespace torpor::xenstore {

namespace {

using Ring = ByteRing<XENSTORE_RING_SIZE>;
static_assert(XENSTORE_RING_SIZE == xs::kRingSize, "the reader's ring size is xs_wire.h's");

constexpr uint64_t kMs = 1'000'000ull;
constexpr uint64_t kRequestTimeoutNs = 10'000 * kMs;
// The reader re-checks the ring this often even without a notification.
constexpr uint64_t kReaderPollNs = 200 * kMs;
// Quiesce: in-flight requests and open transactions get this long to finish.
// A request times out after kRequestTimeoutNs anyway, so only a transaction
// that stays open (or a stuck xenstored) makes a suspend give up.
constexpr uint64_t kQuiesceTimeoutNs = 10'000 * kMs;
// The reader stops between two passes; a pass is short.
constexpr uint64_t kParkTimeoutNs = 1'000 * kMs;
// Bounded work: a pass hands at most this many messages over, and after this
// much without sleeping the reader yields to the other threads on its vCPU.
constexpr unsigned kMessagesPerPass = 32;
constexpr uint32_t kYieldAfterBytes = 4 * xs::kRingSize;
constexpr unsigned kYieldAfterMessages = 64;
// After a resynchronisation the reader sleeps, doubling up to the maximum
// while xenstored stays broken (it cannot pin the vCPU by breaking the ring).
constexpr uint64_t kFirstBackoffNs = 1 * kMs;
constexpr uint64_t kMaxBackoffNs = 128 * kMs;
constexpr uint64_t kLogPeriodNs = 5'000 * kMs;
constexpr unsigned kMaxWatches = 32;

struct Watch {
    uint32_t id = 0;  // 0: slot free
    String path;
    WatchCallback callback = nullptr;
    void* context = nullptr;
};

// Locks that wake ups and the reader's dispatch take are spinlocks held with
// events masked (the scheduler's wait-queue rule).
class Masked {
public:
    Masked() : masked_(sched::this_scheduler().hooks()) {}

private:
    sched::EventsMasked masked_;
};

void bump(uint64_t& counter) { __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED); }
uint64_t now() { return clock::monotonic_ns(); }

class Client final : public xs::ReplySink {
public:
    Client(xenstore_domain_interface* shared_ring, EventHandle port)
        : ring(shared_ring), port(port) {}

    // --- requests ---
    enum class GateKind { request, transaction_start, transaction_end };
    Error enter_gate(GateKind kind, TransactionId tx);
    void leave_gate(GateKind kind, TransactionId tx, TransactionId started);
    struct Reply {
        uint32_t type;
        String payload;
    };
    ErrorOr<Reply> exchange(xs::MessageType type, TransactionId tx, const char* const* strings,
                            size_t count, const char* raw, size_t raw_length);
    ErrorOr<Reply> transact(xs::MessageType type, TransactionId tx, const char* const* strings,
                            size_t count, const char* raw = nullptr, size_t raw_length = 0);

    // --- the reader ---
    void read_loop();
    void park_reader();
    void back_off(uint64_t ns);
    bool park_or_stop_requested() const {
        return __atomic_load_n(&park_requested, __ATOMIC_ACQUIRE) ||
               __atomic_load_n(&stopping, __ATOMIC_ACQUIRE);
    }
    bool reader_is_parked() const {
        return __atomic_load_n(&parked_generation, __ATOMIC_ACQUIRE) ==
                   __atomic_load_n(&park_generation, __ATOMIC_ACQUIRE) &&
               __atomic_load_n(&park_requested, __ATOMIC_ACQUIRE);
    }
    void unpark_reader();
    bool deliver(uint32_t id, uint32_t type, Error error, String&& payload);
    void on_reply(const xs::Header& header, const char* payload) override;
    void on_watch_event(const xs::WatchEvent& event) override;
    void on_malformed_reply(const xs::Header& header) override;
    void on_malformed_event(const xs::Header& header) override;

    // --- watches ---
    void watch_loop();
    bool no_events_to_deliver() {
        LockGuard guard(watch_lock);
        return events.is_empty() && !__atomic_load_n(&stopping, __ATOMIC_ACQUIRE);
    }

    // --- suspend ---
    Error quiesce();
    void reopen_gate();

    volatile xenstore_domain_interface* ring;
    EventHandle port;
    sched::WaitQueue ring_activity;  // the store event: replies or free request space

    Mutex send_lock;  // one request's bytes at a time into the ring
    char request_buffer[xs::kHeaderSize + xs::kMaxPayload];
    uint32_t next_request_id = 1;

    Spinlock pending_lock;  // with events masked
    xs::PendingRequests pending;

    xs::RequestGate gate;
    sched::WaitQueue gate_opened;       // requests the closed gate refused
    sched::WaitQueue quiesce_progress;  // suspend(): requests finishing, the reader parking

    bool park_requested = false;
    uint32_t park_generation = 0;    // bumped by each park request
    uint32_t parked_generation = 0;  // the reader's acknowledgement
    bool stopping = false;
    sched::WaitQueue reader_control;  // the reader parks and backs off here
    xs::RingReader reader;
    RateLimit resync_log{kLogPeriodNs};
    RateLimit dropped_reply_log{kLogPeriodNs};
    RateLimit dropped_event_log{kLogPeriodNs};
    RateLimit event_log{kLogPeriodNs};
    RateLimit malformed_log{kLogPeriodNs};

    Spinlock watch_lock;  // with events masked
    Watch watches[kMaxWatches];
    uint32_t next_watch_id = 1;
    xs::WatchEventQueue events;
    sched::WaitQueue watch_events_ready;

    sched::Thread* reader_thread = nullptr;
    sched::Thread* watch_thread = nullptr;
    Stats counters{};
};

Client* client = nullptr;

void on_store_event(uint32_t, void*) {
    if (Client* c = client) c->ring_activity.wake_all();
}

// --- request side ---------------------------------------------------------

Error send_bytes(Client& c, const char* data, size_t length, uint64_t deadline) {
    while (length > 0) {
        uint32_t cons = c.ring->req_cons;
        uint32_t prod = c.ring->req_prod;
        arch::read_barrier();
        auto copied = Ring::write(const_cast<char*>(c.ring->req), prod, cons, data, length);
        if (copied.is_error()) {
            klog("xenstore: request ring indices out of range (prod=%u cons=%u)", prod, cons);
            return Error::protocol_error;
        }
        if (copied.value() > 0) {
            arch::write_barrier();
            c.ring->req_prod = prod + uint32_t(copied.value());
            (void)events::notify(c.port);
            data += copied.value();
            length -= copied.value();
            continue;
        }
        if (now() >= deadline) return Error::timed_out;
        (void)c.ring_activity.wait_if(
            [&c, prod] { return c.ring->req_cons + XENSTORE_RING_SIZE == prod; }, deadline);
    }
    return Error::none;
}

Error Client::enter_gate(GateKind kind, TransactionId tx) {
    for (;;) {
        xs::RequestGate::Admission a = kind == GateKind::transaction_start
                                           ? gate.begin_transaction_start()
                                           : gate.begin_request(tx);
        if (a == xs::RequestGate::Admission::admitted) return Error::none;
        if (a == xs::RequestGate::Admission::full) {
            klog("xenstore: %u transactions already open; not starting another",
                 xs::RequestGate::kMaxTransactions);
            return Error::busy;
        }
        // Closed for a suspend. It opens again when the suspend gives up (within
        // kQuiesceTimeoutNs) or when resume() runs, which every path after a
        // successful quiesce does. No deadline of our own: the time the domain
        // spends suspended counts on the monotonic clock.
        (void)gate_opened.wait_if([this] { return gate.is_closed(); });
    }
}

void Client::leave_gate(GateKind kind, TransactionId tx, TransactionId started) {
    switch (kind) {
        case GateKind::request: gate.finish_request(); break;
        case GateKind::transaction_start: gate.finish_transaction_start(started); break;
        case GateKind::transaction_end: gate.finish_transaction_end(tx); break;
    }
    if (gate.is_closed()) quiesce_progress.wake_all();
}

ErrorOr<Client::Reply> Client::exchange(xs::MessageType type, TransactionId tx,
                                        const char* const* strings, size_t count,
                                        const char* raw, size_t raw_length) {
    xs::PendingRequest request;
    sched::WaitQueue done;
    request.waiter = &done;
    uint64_t deadline = now() + kRequestTimeoutNs;
    send_lock.lock();
    request.id = next_request_id++;
    if (request.id == 0) request.id = next_request_id++;  // 0 is what watch events carry
    auto size = xs::encode_request(type, request.id, tx, strings, count, raw, raw_length,
                                   request_buffer, sizeof(request_buffer));
    if (size.is_error()) {
        send_lock.unlock();
        return size.error();
    }
    {
        Masked masked;
        LockGuard guard(pending_lock);
        pending.add(&request);
    }
    Error e = send_bytes(*this, request_buffer, size.value(), deadline);
    send_lock.unlock();
    bump(counters.requests);
    // The predicate reads `complete` without pending_lock: wait_if holds the
    // queue's lock, and pending_lock is never taken inside it.
    while (e == Error::none && !__atomic_load_n(&request.complete, __ATOMIC_ACQUIRE)) {
        e = done.wait_if(
            [&request] { return !__atomic_load_n(&request.complete, __ATOMIC_ACQUIRE); },
            deadline);
    }
    // Settle under pending_lock. The reader fills the request, marks it and
    // wakes `done` all under that lock, so once we hold it the reader is done
    // with both; if no reply came, withdrawing it means none can reach it now
    // (a late reply is dropped). Only then may `request` and `done` go away.
    bool completed;
    {
        Masked masked;
        LockGuard guard(pending_lock);
        completed = request.complete;
        if (!completed) (void)pending.withdraw(&request);
    }
    if (completed) e = Error::none;
    if (e != Error::none) {
        klog("xenstore: request %u (type %u) failed: %s", request.id, uint32_t(type),
             error_name(e));
        return e;
    }
    if (request.error != Error::none) return request.error;
    if (request.reply_type != uint32_t(type)) {
        klog("xenstore: reply type %u does not match request type %u", request.reply_type,
             uint32_t(type));
        return Error::protocol_error;
    }
    return Reply{request.reply_type, std::move(request.payload)};
}

ErrorOr<Client::Reply> Client::transact(xs::MessageType type, TransactionId tx,
                                        const char* const* strings, size_t count,
                                        const char* raw, size_t raw_length) {
    if (Error e = enter_gate(GateKind::request, tx); e != Error::none) return e;
    auto reply = exchange(type, tx, strings, count, raw, raw_length);
    leave_gate(GateKind::request, tx, 0);
    return reply;
}

// --- reply side -----------------------------------------------------------

// Completes the request waiting for `id`. False when there is none.
bool Client::deliver(uint32_t id, uint32_t type, Error error, String&& payload) {
    Masked masked;
    LockGuard guard(pending_lock);
    xs::PendingRequest* r = pending.complete(id, type, error, std::move(payload));
    if (!r) return false;
    // Woken under the lock: the requester takes it before it returns, so `r`
    // and its wait queue (on the requester's stack) outlive this call.
    static_cast<sched::WaitQueue*>(r->waiter)->wake_all();
    return true;
}

void Client::on_reply(const xs::Header& header, const char* payload) {
    Error error = Error::none;
    String copy;  // allocated before pending_lock; freed after it if nobody takes it
    if (header.type == uint32_t(xs::MessageType::error)) {
        error = xs::error_from_reply(payload, header.len);
    } else {
        auto c = String::copy_of(payload, header.len);
        if (c.is_error())
            error = c.error();
        else
            copy = c.release_value();
    }
    if (deliver(header.req_id, header.type, error, std::move(copy))) return;
    bump(counters.dropped_replies);
    uint64_t held = 0;
    if (dropped_reply_log.allow(now(), &held))
        klog("xenstore: dropped a reply to request %u (type %u): nobody waits for it (late, "
             "duplicate or unknown id; %llu more not logged)",
             header.req_id, header.type, (unsigned long long)held);
}

void Client::on_malformed_reply(const xs::Header& header) {
    bump(counters.rejected_replies);
    uint64_t held = 0;
    if (malformed_log.allow(now(), &held))
        klog("xenstore: rejected a malformed reply (type %u, %u bytes) to request %u (%llu "
             "more not logged)",
             header.type, header.len, header.req_id, (unsigned long long)held);
    // Its requester would otherwise wait until it times out: fail it now.
    if (!deliver(header.req_id, uint32_t(xs::MessageType::error), Error::protocol_error,
                 String()))
        bump(counters.dropped_replies);
}

void Client::on_malformed_event(const xs::Header& header) {
    bump(counters.rejected_replies);
    uint64_t held = 0;
    if (event_log.allow(now(), &held))
        klog("xenstore: dropped a malformed watch event (%u bytes; %llu more not logged)",
             header.len, (unsigned long long)held);
}

// Our tokens are "tw<decimal id>" (token_for).
bool parse_token(const char* token, uint32_t* id) {
    if (token[0] != 't' || token[1] != 'w' || token[2] < '0' || token[2] > '9') return false;
    char* end = nullptr;
    unsigned long value = strtoul(token + 2, &end, 10);
    if (*end != '\0' || value == 0 || value > 0xffffffffu) return false;
    *id = uint32_t(value);
    return true;
}

void token_for(uint32_t id, char (&token)[16]) { snprintf(token, sizeof(token), "tw%u", id); }

void Client::on_watch_event(const xs::WatchEvent& event) {
    uint32_t id;
    uint64_t held = 0;
    if (!parse_token(event.token, &id)) {
        bump(counters.rejected_replies);
        if (event_log.allow(now(), &held))
            klog("xenstore: watch event with a foreign token dropped (%llu more not logged)",
                 (unsigned long long)held);
        return;
    }
    auto path = String::copy_of(event.path);
    if (path.is_error()) {
        bump(counters.dropped_watch_events);
        klog("xenstore: out of memory, watch event for %s lost", event.path);
        return;
    }
    String copy = path.release_value();
    xs::WatchEventQueue::Push result;
    {
        Masked masked;
        LockGuard guard(watch_lock);
        result = events.push(id, std::move(copy));
    }
    switch (result) {
        case xs::WatchEventQueue::Push::queued:
            bump(counters.watch_events);
            watch_events_ready.wake_all();
            return;
        case xs::WatchEventQueue::Push::coalesced:
            bump(counters.coalesced_watch_events);
            return;
        case xs::WatchEventQueue::Push::dropped:
            bump(counters.dropped_watch_events);
            if (dropped_event_log.allow(now(), &held))
                klog("xenstore: %zu watch events already queued; dropped one for %s "
                     "(%llu more not logged)",
                     xs::WatchEventQueue::kCapacity, event.path, (unsigned long long)held);
            return;
    }
}

void Client::park_reader() {
    uint32_t generation = __atomic_load_n(&park_generation, __ATOMIC_ACQUIRE);
    // Between two passes: nothing is half done but a partly assembled message
    // inside `reader`, which a resume in a new domain may reset.
    __atomic_store_n(&parked_generation, generation, __ATOMIC_RELEASE);
    quiesce_progress.wake_all();
    auto stay = [this] {
        return __atomic_load_n(&park_requested, __ATOMIC_ACQUIRE) &&
               !__atomic_load_n(&stopping, __ATOMIC_ACQUIRE);
    };
    while (stay()) (void)reader_control.wait_if(stay);
}

void Client::unpark_reader() {
    __atomic_store_n(&park_requested, false, __ATOMIC_RELEASE);
    reader_control.wake_all();
}

// Sleeps `ns` unless a park or stop request comes first: ring notifications do
// not cut it short (a broken xenstored may send them without end).
void Client::back_off(uint64_t ns) {
    uint64_t until = now() + ns;
    while (now() < until && !park_or_stop_requested())
        (void)reader_control.wait_if([this] { return !park_or_stop_requested(); }, until);
}

void Client::read_loop() {
    uint32_t bytes_since_sleep = 0;
    unsigned messages_since_sleep = 0;
    uint64_t backoff = 0;
    for (;;) {
        if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) return;
        if (__atomic_load_n(&park_requested, __ATOMIC_ACQUIRE)) {
            park_reader();
            continue;
        }
        uint32_t prod = ring->rsp_prod;
        uint32_t cons = ring->rsp_cons;
        arch::read_barrier();
        xs::ReadPass pass = reader.consume(ring->rsp, prod, cons, kMessagesPerPass, *this);
        if (pass.new_cons != cons) {
            arch::full_barrier();  // our reads of the bytes before the peer may reuse them
            ring->rsp_cons = pass.new_cons;
            (void)events::notify(port);
        }
        if (pass.resynchronised()) {
            bump(counters.resyncs);
            bump(counters.rejected_replies);
            backoff = backoff ? (backoff * 2 < kMaxBackoffNs ? backoff * 2 : kMaxBackoffNs)
                              : kFirstBackoffNs;
            uint64_t held = 0;
            if (resync_log.allow(now(), &held)) {
                if (pass.status == xs::ReadPass::Status::bad_indices)
                    klog("xenstore: reply ring indices out of range (prod=%u cons=%u); "
                         "resynchronising at prod and backing off %llu ms (%llu more "
                         "resyncs not logged)",
                         prod, cons, (unsigned long long)(backoff / kMs),
                         (unsigned long long)held);
                else
                    klog("xenstore: rejected a reply header (%s); dropped %u bytes, "
                         "resynchronising and backing off %llu ms (%llu more resyncs not "
                         "logged)",
                         error_name(pass.header_error), pass.bytes,
                         (unsigned long long)(backoff / kMs), (unsigned long long)held);
            }
            bytes_since_sleep = messages_since_sleep = 0;
            back_off(backoff);
            continue;
        }
        if (pass.messages > 0) backoff = 0;  // a clean message: xenstored is sane again
        if (pass.bytes > 0 || pass.status == xs::ReadPass::Status::budget_spent) {
            bytes_since_sleep += pass.bytes;
            messages_since_sleep += pass.messages;
            if (bytes_since_sleep >= kYieldAfterBytes ||
                messages_since_sleep >= kYieldAfterMessages) {
                // Data keeps coming: let the other threads on this vCPU run.
                bump(counters.reader_yields);
                bytes_since_sleep = messages_since_sleep = 0;
                sched::this_scheduler().yield();
            }
            continue;
        }
        bytes_since_sleep = messages_since_sleep = 0;
        (void)ring_activity.wait_if(
            [this, prod] { return ring->rsp_prod == prod && !park_or_stop_requested(); },
            now() + kReaderPollNs);
    }
}

void reader_main(void* arg) { static_cast<Client*>(arg)->read_loop(); }

void Client::watch_loop() {
    for (;;) {
        if (__atomic_load_n(&stopping, __ATOMIC_ACQUIRE)) return;
        uint32_t id = 0;
        String path;
        bool got;
        {
            Masked masked;
            LockGuard guard(watch_lock);
            got = events.pop(&id, &path);
        }
        if (!got) {
            (void)watch_events_ready.wait_if([this] { return no_events_to_deliver(); });
            continue;
        }
        WatchCallback callback = nullptr;
        void* context = nullptr;
        {
            Masked masked;
            LockGuard guard(watch_lock);
            for (const Watch& w : watches) {
                if (w.id == id) {
                    callback = w.callback;
                    context = w.context;
                }
            }
        }
        if (callback) callback(path.c_str(), context);
    }
}

void watch_main(void* arg) { static_cast<Client*>(arg)->watch_loop(); }

// --- suspend --------------------------------------------------------------

void Client::reopen_gate() {
    gate.open();
    gate_opened.wake_all();
}

Error Client::quiesce() {
    uint64_t start = now();
    gate.close();
    xs::RequestGate::Counts at_close = gate.counts();
    uint64_t deadline = start + kQuiesceTimeoutNs;
    // The reader keeps running: the replies to what was admitted must be read.
    while (!gate.is_drained()) {
        if (now() >= deadline) {
            xs::RequestGate::Counts left = gate.counts();
            bump(counters.quiesce_aborts);
            klog("xenstore: quiesce gave up after %llu ms: %u requests in flight, %u "
                 "transactions open; suspend aborted, requests flow again",
                 (unsigned long long)(kQuiesceTimeoutNs / kMs), left.requests, left.transactions);
            reopen_gate();
            return Error::busy;
        }
        (void)quiesce_progress.wait_if([this] { return !gate.is_drained(); }, deadline);
    }
    uint64_t drained = now();
    // Nothing is in flight: stop the reader between two passes.
    __atomic_add_fetch(&park_generation, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&park_requested, true, __ATOMIC_RELEASE);
    ring_activity.wake_all();
    reader_control.wake_all();
    uint64_t park_deadline = drained + kParkTimeoutNs;
    while (!reader_is_parked()) {
        if (now() >= park_deadline) {
            bump(counters.quiesce_aborts);
            klog("xenstore: the reader did not stop within %llu ms; suspend aborted",
                 (unsigned long long)(kParkTimeoutNs / kMs));
            unpark_reader();
            reopen_gate();
            return Error::busy;
        }
        (void)quiesce_progress.wait_if([this] { return !reader_is_parked(); }, park_deadline);
    }
    klog("xenstore: quiesced in %llu us (at the freeze %u requests in flight and %u "
         "transactions open; drained in %llu us)",
         (unsigned long long)((now() - start) / 1000), at_close.requests, at_close.transactions,
         (unsigned long long)((drained - start) / 1000));
    return Error::none;
}

}  // namespace

Error connect(xenstore_domain_interface* shared_ring, evtchn_port_t port) {
    if (client) return Error::already_exists;
    if (Ring::used(shared_ring->req_prod, shared_ring->req_cons).is_error() ||
        Ring::used(shared_ring->rsp_prod, shared_ring->rsp_cons).is_error()) {
        klog("xenstore: ring indices out of range at connect");
        return Error::protocol_error;
    }
    auto handle = events::adopt(port, on_store_event, nullptr);
    if (handle.is_error()) return handle.error();
    auto* c = new (std::nothrow) Client(shared_ring, handle.value());
    if (!c) return Error::out_of_memory;
    client = c;
    sched::Scheduler& s = sched::this_scheduler();
    auto reader = s.spawn("xenstore-reader", reader_main, c);
    if (reader.is_error()) return reader.error();
    c->reader_thread = reader.value();
    auto watcher = s.spawn("xenwatch", watch_main, c);
    if (watcher.is_error()) return watcher.error();
    c->watch_thread = watcher.value();
    return Error::none;
}

void disconnect() {
    Client* c = client;
    if (!c) return;
    __atomic_store_n(&c->stopping, true, __ATOMIC_RELEASE);
    c->ring_activity.wake_all();
    c->reader_control.wake_all();
    c->watch_events_ready.wake_all();
    sched::Scheduler& s = sched::this_scheduler();
    if (c->reader_thread) (void)s.join(c->reader_thread);
    if (c->watch_thread) (void)s.join(c->watch_thread);
    client = nullptr;
    delete c;
}

ErrorOr<String> read(const char* path, TransactionId tx) {
    if (!client) return Error::not_supported;
    const char* strings[] = {path};
    auto reply = client->transact(xs::MessageType::read, tx, strings, 1);
    if (reply.is_error()) return reply.error();
    return std::move(reply.value().payload);
}

Error write(const char* path, const char* value, TransactionId tx) {
    if (!client) return Error::not_supported;
    const char* strings[] = {path};
    auto reply =
        client->transact(xs::MessageType::write, tx, strings, 1, value, strlen(value));
    return reply.is_error() ? reply.error() : Error::none;
}

Error mkdir(const char* path, TransactionId tx) {
    if (!client) return Error::not_supported;
    const char* strings[] = {path};
    auto reply = client->transact(xs::MessageType::mkdir, tx, strings, 1);
    return reply.is_error() ? reply.error() : Error::none;
}

Error remove(const char* path, TransactionId tx) {
    if (!client) return Error::not_supported;
    const char* strings[] = {path};
    auto reply = client->transact(xs::MessageType::rm, tx, strings, 1);
    return reply.is_error() ? reply.error() : Error::none;
}

ErrorOr<String> directory(const char* path, unsigned* count, TransactionId tx) {
    if (!client) return Error::not_supported;
    const char* strings[] = {path};
    auto reply = client->transact(xs::MessageType::directory, tx, strings, 1);
    if (reply.is_error()) return reply.error();
    const String& names = reply.value().payload;
    unsigned n = 0;
    for (size_t i = 0; i < names.length(); ++i) n += names.c_str()[i] == '\0';
    if (count) *count = n;
    return std::move(reply.value().payload);
}

ErrorOr<TransactionId> transaction_start() {
    Client* c = client;
    if (!c) return Error::not_supported;
    if (Error e = c->enter_gate(Client::GateKind::transaction_start, kNoTransaction);
        e != Error::none)
        return e;
    const char* strings[] = {""};
    auto reply = c->exchange(xs::MessageType::transaction_start, kNoTransaction, strings, 1,
                             nullptr, 0);
    Error error = reply.is_error() ? reply.error() : Error::none;
    TransactionId started = kNoTransaction;
    if (error == Error::none) {
        const String& p = reply.value().payload;
        xs::Header h{uint32_t(xs::MessageType::transaction_start), 0, 0, uint32_t(p.length())};
        auto id = xs::parse_transaction_id(h, p.c_str());
        if (id.is_error())
            error = id.error();
        else
            started = id.value();
    }
    c->leave_gate(Client::GateKind::transaction_start, kNoTransaction, started);
    if (error != Error::none) return error;
    return started;
}

Error transaction_end(TransactionId tx, bool commit) {
    Client* c = client;
    if (!c) return Error::not_supported;
    // Admitted while suspending too when `tx` is open: the transaction must end.
    if (Error e = c->enter_gate(Client::GateKind::request, tx); e != Error::none) return e;
    const char* strings[] = {commit ? "T" : "F"};
    auto reply = c->exchange(xs::MessageType::transaction_end, tx, strings, 1, nullptr, 0);
    c->leave_gate(Client::GateKind::transaction_end, tx, kNoTransaction);
    return reply.is_error() ? reply.error() : Error::none;
}

Error run_transaction(Error (*body)(TransactionId, void*), void* context, unsigned max_attempts,
                      unsigned* attempts) {
    for (unsigned attempt = 1; attempt <= max_attempts; ++attempt) {
        if (attempts) *attempts = attempt;
        auto tx = transaction_start();
        if (tx.is_error()) return tx.error();
        Error e = body(tx.value(), context);
        if (e != Error::none) {
            (void)transaction_end(tx.value(), false);
            if (e == Error::try_again) continue;
            return e;
        }
        e = transaction_end(tx.value(), true);
        if (e != Error::try_again) return e;
    }
    return Error::try_again;
}

ErrorOr<WatchId> watch(const char* path, WatchCallback callback, void* context) {
    Client* c = client;
    if (!c) return Error::not_supported;
    auto path_copy = String::copy_of(path);
    if (path_copy.is_error()) return path_copy.error();
    uint32_t id;
    {
        Masked masked;
        LockGuard guard(c->watch_lock);
        Watch* slot = nullptr;
        for (Watch& w : c->watches)
            if (w.id == 0 && !slot) slot = &w;
        if (!slot) return Error::out_of_memory;
        id = c->next_watch_id++;
        slot->id = id;
        slot->path = path_copy.release_value();
        slot->callback = callback;
        slot->context = context;
    }
    char token[16];
    token_for(id, token);
    const char* strings[] = {path, token};
    auto reply = c->transact(xs::MessageType::watch, kNoTransaction, strings, 2);
    if (reply.is_error()) {
        Masked masked;
        LockGuard guard(c->watch_lock);
        for (Watch& w : c->watches)
            if (w.id == id) w = Watch{};
        return reply.error();
    }
    return WatchId{id};
}

Error unwatch(WatchId id) {
    Client* c = client;
    if (!c) return Error::not_supported;
    String path;
    {
        Masked masked;
        LockGuard guard(c->watch_lock);
        Watch* found = nullptr;
        for (Watch& w : c->watches)
            if (w.id == id.value) found = &w;
        if (!found) return Error::not_found;
        path = std::move(found->path);
        *found = Watch{};
    }
    char token[16];
    token_for(id.value, token);
    const char* strings[] = {path.c_str(), token};
    auto reply = c->transact(xs::MessageType::unwatch, kNoTransaction, strings, 2);
    return reply.is_error() ? reply.error() : Error::none;
}

Stats stats() {
    Stats s{};
    if (Client* c = client) {
        Stats& k = c->counters;
        s.requests = __atomic_load_n(&k.requests, __ATOMIC_RELAXED);
        s.rejected_replies = __atomic_load_n(&k.rejected_replies, __ATOMIC_RELAXED);
        s.dropped_replies = __atomic_load_n(&k.dropped_replies, __ATOMIC_RELAXED);
        s.watch_events = __atomic_load_n(&k.watch_events, __ATOMIC_RELAXED);
        s.coalesced_watch_events = __atomic_load_n(&k.coalesced_watch_events, __ATOMIC_RELAXED);
        s.dropped_watch_events = __atomic_load_n(&k.dropped_watch_events, __ATOMIC_RELAXED);
        s.resyncs = __atomic_load_n(&k.resyncs, __ATOMIC_RELAXED);
        s.reader_yields = __atomic_load_n(&k.reader_yields, __ATOMIC_RELAXED);
        s.quiesce_aborts = __atomic_load_n(&k.quiesce_aborts, __ATOMIC_RELAXED);
    }
    return s;
}

Error suspend() {
    Client* c = client;
    if (!c) return Error::none;  // nothing talks to xenstored
    return c->quiesce();
}

Error resume(bool new_domain, const start_info* si) {
    Client* c = client;
    if (!c) return Error::none;
    Error first = Error::none;
    if (new_domain) {
        auto handle = events::adopt(si->store_evtchn, on_store_event, nullptr);
        if (handle.is_error()) {
            klog("xenstore: cannot bind the store event channel %u after resume: %s",
                 si->store_evtchn, error_name(handle.error()));
            first = handle.error();
        } else {
            c->port = handle.value();
        }
        // Only while the reader is parked: it owns the ring's consumer side.
        if (c->reader_is_parked()) {
            uint32_t left = c->ring->rsp_prod - c->ring->rsp_cons;
            if (left != 0 || c->reader.is_mid_message()) {
                klog("xenstore: %u bytes of the old xenstored's replies dropped after resume",
                     left);
                c->ring->rsp_cons = c->ring->rsp_prod;
            }
            c->reader.reset();
        }
    }
    // Whatever failed above: the reader runs and requests flow again, so the
    // guest is never left with every xenstore call blocked at the gate.
    c->unpark_reader();
    c->reopen_gate();
    c->ring_activity.wake_all();
    if (!new_domain || first != Error::none) return first;
    // xenstored of the new domain knows none of our watches.
    for (unsigned i = 0; i < kMaxWatches; ++i) {
        char path[xs::kMaxPathLength + 1];
        uint32_t id;
        {
            Masked masked;
            LockGuard guard(c->watch_lock);
            id = c->watches[i].id;
            if (id == 0) continue;
            snprintf(path, sizeof(path), "%s", c->watches[i].path.c_str());
        }
        char token[16];
        token_for(id, token);
        const char* strings[] = {path, token};
        auto reply = c->transact(xs::MessageType::watch, kNoTransaction, strings, 2);
        if (reply.is_error()) {
            klog("xenstore: cannot re-register the watch on %s: %s", path,
                 error_name(reply.error()));
            if (first == Error::none) first = reply.error();
        }
    }
    return first;
}

}  // namespace torpor::xenstore
