#include "drivers/xenstore/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "base/byte_ring.h"
#include "base/log.h"
#include "base/spinlock.h"
#include "drivers/xenstore/wire.h"
#include "kernel/events/event_channels.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sync/mutex.h"
#include "kernel/time/clock.h"
#include "xen/event_mask.h"

namespace torpor::xenstore {

namespace {

using Ring = ByteRing<XENSTORE_RING_SIZE>;
constexpr uint64_t kRequestTimeoutNs = 10'000'000'000ull;
// The reader re-checks the ring this often even without a notification.
constexpr uint64_t kReaderPollNs = 200'000'000ull;
constexpr unsigned kMaxWatches = 32;

struct PendingRequest {
    uint32_t id = 0;
    bool complete = false;
    uint32_t reply_type = 0;
    Error error = Error::none;
    String payload;
    sched::WaitQueue done;
    PendingRequest* next = nullptr;
};

struct WatchEventItem {
    String path;
    uint32_t watch_id;
    WatchEventItem* next;
};

struct Watch {
    uint32_t id = 0;  // 0: slot free
    String path;
    WatchCallback callback = nullptr;
    void* context = nullptr;
};

volatile xenstore_domain_interface* ring = nullptr;
EventHandle port_handle;
sched::WaitQueue ring_activity;  // woken by the store event: replies or free space

Mutex send_lock;          // one request's bytes at a time into the ring
Spinlock pending_lock;    // pending list, with events masked
PendingRequest* pending_head = nullptr;
uint32_t next_request_id = 1;

Spinlock watch_lock;
Watch watches[kMaxWatches];
uint32_t next_watch_id = 1;
WatchEventItem* event_head = nullptr;
WatchEventItem* event_tail = nullptr;
sched::WaitQueue watch_events_ready;

Stats counters{};

// Suspend gate: requests and the reader wait while it is closed.
bool frozen = false;
sched::WaitQueue gate;
xs::ReplyAssembler reply_assembler;
constexpr uint64_t kQuiesceTimeoutNs = 5'000'000'000ull;

void wait_while_frozen() {
    while (__atomic_load_n(&frozen, __ATOMIC_ACQUIRE))
        (void)gate.wait_if([] { return __atomic_load_n(&frozen, __ATOMIC_ACQUIRE); });
}

void on_store_event(uint32_t, void*) { ring_activity.wake_all(); }

// --- request side ---------------------------------------------------------

Error send_bytes(const char* data, size_t length, uint64_t deadline) {
    while (length > 0) {
        uint32_t cons = ring->req_cons;
        uint32_t prod = ring->req_prod;
        arch::read_barrier();
        auto copied = Ring::write(const_cast<char*>(ring->req), prod, cons, data, length);
        if (copied.is_error()) {
            klog("xenstore: request ring indices out of range (prod=%u cons=%u)", prod, cons);
            return Error::protocol_error;
        }
        if (copied.value() > 0) {
            arch::write_barrier();
            ring->req_prod = prod + uint32_t(copied.value());
            (void)events::notify(port_handle);
            data += copied.value();
            length -= copied.value();
            continue;
        }
        if (clock::monotonic_ns() >= deadline) return Error::timed_out;
        (void)ring_activity.wait_if(
            [prod] { return ring->req_cons + XENSTORE_RING_SIZE == prod; }, deadline);
    }
    return Error::none;
}

void add_pending(PendingRequest* r) {
    xen::EventMaskGuard masked;
    LockGuard guard(pending_lock);
    r->next = pending_head;
    pending_head = r;
}

void remove_pending(PendingRequest* r) {
    xen::EventMaskGuard masked;
    LockGuard guard(pending_lock);
    for (PendingRequest** link = &pending_head; *link; link = &(*link)->next) {
        if (*link == r) {
            *link = r->next;
            return;
        }
    }
}

struct Reply {
    uint32_t type;
    String payload;
};

ErrorOr<Reply> transact(xs::MessageType type, TransactionId tx, const char* const* strings,
                        size_t count, const char* raw = nullptr, size_t raw_length = 0) {
    if (!ring) return Error::not_supported;
    // One request encoded at a time; the buffer is too big for a thread stack.
    static char buffer[xs::kHeaderSize + xs::kMaxPayload];
    PendingRequest request;
    wait_while_frozen();
    uint64_t deadline = clock::monotonic_ns() + kRequestTimeoutNs;
    send_lock.lock();
    request.id = __atomic_fetch_add(&next_request_id, 1, __ATOMIC_RELAXED);
    auto size = xs::encode_request(type, request.id, tx, strings, count, raw, raw_length, buffer,
                                   sizeof(buffer));
    if (size.is_error()) {
        send_lock.unlock();
        return size.error();
    }
    add_pending(&request);
    Error e = send_bytes(buffer, size.value(), deadline);
    send_lock.unlock();
    __atomic_fetch_add(&counters.requests, 1, __ATOMIC_RELAXED);
    while (e == Error::none && !__atomic_load_n(&request.complete, __ATOMIC_ACQUIRE)) {
        e = request.done.wait_if(
            [&request] { return !__atomic_load_n(&request.complete, __ATOMIC_ACQUIRE); },
            deadline);
    }
    remove_pending(&request);
    if (e == Error::timed_out && __atomic_load_n(&request.complete, __ATOMIC_ACQUIRE))
        e = Error::none;
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

// --- reply side -----------------------------------------------------------

void complete_request(const xs::Header& header, const char* payload) {
    xen::EventMaskGuard masked;
    PendingRequest* r = nullptr;
    {
        LockGuard guard(pending_lock);
        for (r = pending_head; r && r->id != header.req_id; r = r->next) {
        }
    }
    if (!r) {
        __atomic_fetch_add(&counters.rejected_replies, 1, __ATOMIC_RELAXED);
        klog("xenstore: dropped a reply to unknown request %u", header.req_id);
        return;
    }
    r->reply_type = header.type;
    if (header.type == uint32_t(xs::MessageType::error)) {
        r->error = xs::error_from_reply(payload, header.len);
    } else {
        auto copy = String::copy_of(payload, header.len);
        if (copy.is_error())
            r->error = copy.error();
        else
            r->payload = copy.release_value();
    }
    __atomic_store_n(&r->complete, true, __ATOMIC_RELEASE);
    r->done.wake_all();
}

void queue_watch_event(const xs::Header& header, const char* payload) {
    auto event = xs::parse_watch_event(header, payload);
    if (event.is_error()) return;  // validate_reply already accepted its shape
    // Our tokens are "tw<id>"; anything else is not ours.
    const char* token = event.value().token;
    if (token[0] != 't' || token[1] != 'w' || token[2] < '0' || token[2] > '9') {
        __atomic_fetch_add(&counters.rejected_replies, 1, __ATOMIC_RELAXED);
        klog("xenstore: watch event with a foreign token dropped");
        return;
    }
    uint32_t id = uint32_t(strtoul(token + 2, nullptr, 10));
    auto path = String::copy_of(event.value().path);
    auto* item = static_cast<WatchEventItem*>(malloc(sizeof(WatchEventItem)));
    if (path.is_error() || !item) {
        free(item);
        klog("xenstore: out of memory, watch event for %s lost", event.value().path);
        return;
    }
    new (item) WatchEventItem{path.release_value(), id, nullptr};
    {
        xen::EventMaskGuard masked;
        LockGuard guard(watch_lock);
        if (event_tail)
            event_tail->next = item;
        else
            event_head = item;
        event_tail = item;
    }
    __atomic_fetch_add(&counters.watch_events, 1, __ATOMIC_RELAXED);
    watch_events_ready.wake_all();
}

void handle_message(const xs::Header& header, const char* payload) {
    Error shape = xs::validate_reply(header, payload);
    if (shape != Error::none) {
        __atomic_fetch_add(&counters.rejected_replies, 1, __ATOMIC_RELAXED);
        klog("xenstore: rejected a malformed reply (type %u, %u bytes)", header.type, header.len);
        // A request waiting for this id would otherwise time out: fail it now.
        static const char kIoError[] = "EIO";
        xs::Header failed = header;
        failed.type = uint32_t(xs::MessageType::error);
        failed.len = sizeof(kIoError);
        complete_request(failed, kIoError);
        return;
    }
    if (header.type == uint32_t(xs::MessageType::watch_event))
        queue_watch_event(header, payload);
    else
        complete_request(header, payload);
}

void reader_thread(void*) {
    xs::ReplyAssembler& assembler = reply_assembler;
    char chunk[XENSTORE_RING_SIZE];
    for (;;) {
        wait_while_frozen();
        uint32_t prod = ring->rsp_prod;
        uint32_t cons = ring->rsp_cons;
        arch::read_barrier();
        auto copied = Ring::read(const_cast<const char*>(ring->rsp), prod, cons, chunk,
                                 sizeof(chunk));
        if (copied.is_error()) {
            klog("xenstore: reply ring indices out of range (prod=%u cons=%u); resynchronising",
                 prod, cons);
            ring->rsp_cons = prod;
            assembler.reset();
            continue;
        }
        size_t offset = 0;
        while (offset < copied.value()) {
            auto used = assembler.feed(chunk + offset, copied.value() - offset);
            if (used.is_error()) {
                __atomic_fetch_add(&counters.rejected_replies, 1, __ATOMIC_RELAXED);
                klog("xenstore: rejected a reply header (%s); dropping buffered replies",
                     error_name(used.error()));
                assembler.reset();
                offset = copied.value();  // nothing after a bad header can be trusted
                break;
            }
            offset += used.value();
            if (assembler.is_complete()) {
                handle_message(assembler.header(), assembler.payload());
                assembler.reset();
            }
        }
        if (copied.value() > 0) {
            arch::full_barrier();
            ring->rsp_cons = cons + uint32_t(copied.value());
            (void)events::notify(port_handle);
            continue;
        }
        (void)ring_activity.wait_if(
            [prod] { return ring->rsp_prod == prod && !__atomic_load_n(&frozen, __ATOMIC_ACQUIRE); },
            clock::monotonic_ns() + kReaderPollNs);
    }
}

void watch_thread(void*) {
    for (;;) {
        WatchEventItem* item;
        {
            xen::EventMaskGuard masked;
            LockGuard guard(watch_lock);
            item = event_head;
            if (item) {
                event_head = item->next;
                if (!event_head) event_tail = nullptr;
            }
        }
        if (!item) {
            (void)watch_events_ready.wait_if([] { return event_head == nullptr; });
            continue;
        }
        WatchCallback callback = nullptr;
        void* context = nullptr;
        {
            xen::EventMaskGuard masked;
            LockGuard guard(watch_lock);
            for (const Watch& w : watches) {
                if (w.id == item->watch_id) {
                    callback = w.callback;
                    context = w.context;
                }
            }
        }
        if (callback) callback(item->path.c_str(), context);
        item->~WatchEventItem();
        free(item);
    }
}

void token_for(uint32_t id, char (&token)[16]) { snprintf(token, sizeof(token), "tw%u", id); }

}  // namespace

Error connect(xenstore_domain_interface* shared_ring, evtchn_port_t port) {
    if (Ring::used(shared_ring->req_prod, shared_ring->req_cons).is_error() ||
        Ring::used(shared_ring->rsp_prod, shared_ring->rsp_cons).is_error()) {
        klog("xenstore: ring indices out of range at connect");
        return Error::protocol_error;
    }
    auto handle = events::adopt(port, on_store_event, nullptr);
    if (handle.is_error()) return handle.error();
    port_handle = handle.value();
    ring = shared_ring;
    sched::Scheduler& s = sched::this_scheduler();
    auto reader = s.spawn("xenstore-reader", reader_thread, nullptr);
    if (reader.is_error()) return reader.error();
    auto watcher = s.spawn("xenwatch", watch_thread, nullptr);
    if (watcher.is_error()) return watcher.error();
    return Error::none;
}

ErrorOr<String> read(const char* path, TransactionId tx) {
    const char* strings[] = {path};
    auto reply = transact(xs::MessageType::read, tx, strings, 1);
    if (reply.is_error()) return reply.error();
    return std::move(reply.value().payload);
}

Error write(const char* path, const char* value, TransactionId tx) {
    const char* strings[] = {path};
    auto reply = transact(xs::MessageType::write, tx, strings, 1, value, strlen(value));
    return reply.is_error() ? reply.error() : Error::none;
}

Error mkdir(const char* path, TransactionId tx) {
    const char* strings[] = {path};
    auto reply = transact(xs::MessageType::mkdir, tx, strings, 1);
    return reply.is_error() ? reply.error() : Error::none;
}

Error remove(const char* path, TransactionId tx) {
    const char* strings[] = {path};
    auto reply = transact(xs::MessageType::rm, tx, strings, 1);
    return reply.is_error() ? reply.error() : Error::none;
}

ErrorOr<String> directory(const char* path, unsigned* count, TransactionId tx) {
    const char* strings[] = {path};
    auto reply = transact(xs::MessageType::directory, tx, strings, 1);
    if (reply.is_error()) return reply.error();
    const String& names = reply.value().payload;
    unsigned n = 0;
    for (size_t i = 0; i < names.length(); ++i) n += names.c_str()[i] == '\0';
    if (count) *count = n;
    return std::move(reply.value().payload);
}

ErrorOr<TransactionId> transaction_start() {
    const char* strings[] = {""};
    auto reply = transact(xs::MessageType::transaction_start, kNoTransaction, strings, 1);
    if (reply.is_error()) return reply.error();
    const String& p = reply.value().payload;
    xs::Header h{uint32_t(xs::MessageType::transaction_start), 0, 0, uint32_t(p.length())};
    return xs::parse_transaction_id(h, p.c_str());
}

Error transaction_end(TransactionId tx, bool commit) {
    const char* strings[] = {commit ? "T" : "F"};
    auto reply = transact(xs::MessageType::transaction_end, tx, strings, 1);
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
    auto path_copy = String::copy_of(path);
    if (path_copy.is_error()) return path_copy.error();
    uint32_t id;
    {
        xen::EventMaskGuard masked;
        LockGuard guard(watch_lock);
        Watch* slot = nullptr;
        for (Watch& w : watches)
            if (w.id == 0 && !slot) slot = &w;
        if (!slot) return Error::out_of_memory;
        id = next_watch_id++;
        slot->id = id;
        slot->path = path_copy.release_value();
        slot->callback = callback;
        slot->context = context;
    }
    char token[16];
    token_for(id, token);
    const char* strings[] = {path, token};
    auto reply = transact(xs::MessageType::watch, kNoTransaction, strings, 2);
    if (reply.is_error()) {
        xen::EventMaskGuard masked;
        LockGuard guard(watch_lock);
        for (Watch& w : watches)
            if (w.id == id) w = Watch{};
        return reply.error();
    }
    return WatchId{id};
}

Error unwatch(WatchId id) {
    String path;
    {
        xen::EventMaskGuard masked;
        LockGuard guard(watch_lock);
        Watch* found = nullptr;
        for (Watch& w : watches)
            if (w.id == id.value) found = &w;
        if (!found) return Error::not_found;
        path = std::move(found->path);
        *found = Watch{};
    }
    char token[16];
    token_for(id.value, token);
    const char* strings[] = {path.c_str(), token};
    auto reply = transact(xs::MessageType::unwatch, kNoTransaction, strings, 2);
    return reply.is_error() ? reply.error() : Error::none;
}

Stats stats() { return counters; }

bool has_pending_requests() {
    xen::EventMaskGuard masked;
    LockGuard guard(pending_lock);
    return pending_head != nullptr;
}

Error suspend() {
    __atomic_store_n(&frozen, true, __ATOMIC_RELEASE);
    ring_activity.wake_all();
    uint64_t deadline = clock::monotonic_ns() + kQuiesceTimeoutNs;
    while (has_pending_requests()) {
        if (clock::monotonic_ns() > deadline) {
            klog("xenstore: requests still in flight after %llu ms; not suspending",
                 (unsigned long long)(kQuiesceTimeoutNs / 1'000'000));
            __atomic_store_n(&frozen, false, __ATOMIC_RELEASE);
            gate.wake_all();
            return Error::busy;
        }
        sched::this_scheduler().sleep_until(clock::monotonic_ns() + 1'000'000);
    }
    return Error::none;
}

Error resume(bool new_domain, const start_info* si) {
    if (new_domain) {
        auto handle = events::adopt(si->store_evtchn, on_store_event, nullptr);
        if (handle.is_error()) return handle.error();
        port_handle = handle.value();
        if (ring->rsp_prod != ring->rsp_cons) {
            klog("xenstore: replies left in the ring after resume; dropped");
            ring->rsp_cons = ring->rsp_prod;
        }
        reply_assembler.reset();
    }
    __atomic_store_n(&frozen, false, __ATOMIC_RELEASE);
    gate.wake_all();
    ring_activity.wake_all();
    if (!new_domain) return Error::none;
    // xenstored of the new domain knows none of our watches.
    Error first = Error::none;
    for (unsigned i = 0; i < kMaxWatches; ++i) {
        char path[xs::kMaxPathLength + 1];
        uint32_t id;
        {
            xen::EventMaskGuard masked;
            LockGuard guard(watch_lock);
            id = watches[i].id;
            if (id == 0) continue;
            snprintf(path, sizeof(path), "%s", watches[i].path.c_str());
        }
        char token[16];
        token_for(id, token);
        const char* strings[] = {path, token};
        auto reply = transact(xs::MessageType::watch, kNoTransaction, strings, 2);
        if (reply.is_error()) {
            klog("xenstore: cannot re-register the watch on %s: %s", path,
                 error_name(reply.error()));
            if (first == Error::none) first = reply.error();
        }
    }
    return first;
}

}  // namespace torpor::xenstore
