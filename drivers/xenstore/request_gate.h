// Who may start talking to xenstored while a suspend is being prepared.
//
// Open: everyone. Closed (quiescing for a suspend): new requests and new
// transactions are refused (their callers wait until it opens again), but a
// request inside a transaction that is already open (its id is known here) is
// admitted, so that the transaction can finish. Every admitted request is
// counted until its reply came or its caller gave up, and every transaction
// from its start request until its end request: the gate is drained when both
// counts are zero. Admission and counting happen under one lock, so a request
// either counts before the gate closes or is refused: quiesce cannot miss one.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/spinlock.h"

namespace torpor::xs {

class RequestGate {
public:
    static constexpr unsigned kMaxTransactions = 32;  // open at once (xenstored allows ~10)

    enum class Admission : uint8_t {
        admitted,  // counted: call the matching finish_* exactly once
        closed,    // wait until the gate opens, then ask again
        full,      // kMaxTransactions are open (transactions only)
    };

    // A request outside a transaction (tx == 0) or inside transaction `tx`.
    Admission begin_request(uint32_t tx);
    void finish_request();
    // XS_TRANSACTION_START. finish_transaction_start gets the new transaction's
    // id, or 0 when it failed.
    Admission begin_transaction_start();
    void finish_transaction_start(uint32_t started);
    // XS_TRANSACTION_END for transaction `tx`, admitted as one of its requests
    // with begin_request(tx): finishes that request, and the transaction is
    // over whatever the reply was (instead of finish_request).
    void finish_transaction_end(uint32_t tx);

    void close();
    void open();
    bool is_closed() const { return __atomic_load_n(&closed_, __ATOMIC_ACQUIRE); }

    struct Counts {
        unsigned requests;      // admitted and not finished
        unsigned transactions;  // open, or whose start is in flight
    };
    Counts counts() const;
    bool is_drained() const {
        Counts c = counts();
        return c.requests == 0 && c.transactions == 0;
    }
    bool is_open_transaction(uint32_t tx) const;

private:
    bool knows_locked(uint32_t tx) const;

    mutable Spinlock lock_;
    bool closed_ = false;
    unsigned requests_ = 0;
    unsigned starting_ = 0;  // transaction starts in flight: each holds a slot
    unsigned open_count_ = 0;
    uint32_t open_[kMaxTransactions] = {};  // ids of open transactions, 0 = free
};

}  // namespace torpor::xs
