// Xenstore client over the shared ring (xen/io/xs_wire.h). Any number of
// threads may have requests in flight; a reader thread matches replies by
// request id and hands watch events to a watch thread, so watch callbacks may
// themselves use xenstore. Every request is bounded by a timeout. Relative
// paths are relative to /local/domain/<domid>/ (the daemon resolves them).
// Nothing xenstored sends is trusted: bad ring indices or headers make the
// reader resynchronise (logged, rate-limited, backing off), a reply for no
// waiting request is dropped, and the watch-event queue is bounded.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "base/string.h"
#include "xen/abi.h"

namespace torpor::xenstore {

// Connects to the ring and starts the reader and watch threads.
Error connect(xenstore_domain_interface* ring, evtchn_port_t port);
// Stops both threads and forgets every watch; no request may be in flight.
// The kernel never disconnects; the host tests connect a fresh client per test.
void disconnect();

using TransactionId = uint32_t;  // 0: not in a transaction
inline constexpr TransactionId kNoTransaction = 0;

ErrorOr<String> read(const char* path, TransactionId tx = kNoTransaction);
Error write(const char* path, const char* value, TransactionId tx = kNoTransaction);
Error mkdir(const char* path, TransactionId tx = kNoTransaction);
Error remove(const char* path, TransactionId tx = kNoTransaction);
// The children's names, NUL-separated, with `count` set to how many there are.
ErrorOr<String> directory(const char* path, unsigned* count, TransactionId tx = kNoTransaction);

ErrorOr<TransactionId> transaction_start();
// Error::try_again when the daemon saw a conflict (EAGAIN) and nothing was committed.
Error transaction_end(TransactionId tx, bool commit);
// Runs `body(tx)` in a transaction, retrying on conflicts up to `max_attempts`
// times. Reports how many attempts it took through `attempts` (may be null).
Error run_transaction(Error (*body)(TransactionId tx, void* context), void* context,
                      unsigned max_attempts, unsigned* attempts);

// Calls `callback(path, context)` on the watch thread whenever `path` (or a
// descendant) changes, and once right after registering (xenstore semantics:
// handlers must be idempotent).
using WatchCallback = void (*)(const char* path, void* context);
struct WatchId {
    uint32_t value = 0;
};
ErrorOr<WatchId> watch(const char* path, WatchCallback callback, void* context);
Error unwatch(WatchId id);

// Suspend (quiesce): new requests and new transactions wait at a gate, while
// the reader keeps reading until every request already admitted is answered
// and every open transaction has ended (requests inside an open transaction
// still pass, so it can finish); then the reader stops between two messages
// and the ring is left alone. Bounded: after 10 s it gives up with
// Error::busy, one log line, the gate open again and the reader running.
// Resume: always reopens the gate and restarts the reader, even when it fails;
// in a new domain the event channel is re-read from `si`, what the old
// xenstored left in the reply ring is dropped and every watch is registered
// again (each fires once more).
Error suspend();
Error resume(bool new_domain, const start_info* si);

struct Stats {
    uint64_t requests;
    uint64_t rejected_replies;   // malformed payload or impossible header: logged and dropped
    uint64_t dropped_replies;    // for no waiting request (late, duplicate, unknown id)
    uint64_t watch_events;       // queued for the watch thread
    uint64_t coalesced_watch_events;  // folded into one for the same watch and path still queued
    uint64_t dropped_watch_events;    // the queue was full
    uint64_t resyncs;            // the reply stream was resynchronised (bad indices or header)
    uint64_t reader_yields;      // the reader let other threads run in the middle of a flood
    uint64_t quiesce_aborts;     // suspend() gave up
};
Stats stats();

}  // namespace torpor::xenstore
