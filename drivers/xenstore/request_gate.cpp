#include "drivers/xenstore/request_gate.h"

namespace torpor::xs {

bool RequestGate::knows_locked(uint32_t tx) const {
    if (tx == 0) return false;
    for (uint32_t id : open_)
        if (id == tx) return true;
    return false;
}

RequestGate::Admission RequestGate::begin_request(uint32_t tx) {
    LockGuard guard(lock_);
    if (closed_ && !knows_locked(tx)) return Admission::closed;
    ++requests_;
    return Admission::admitted;
}

void RequestGate::finish_request() {
    LockGuard guard(lock_);
    if (requests_ > 0) --requests_;
}

RequestGate::Admission RequestGate::begin_transaction_start() {
    LockGuard guard(lock_);
    if (closed_) return Admission::closed;
    if (starting_ + open_count_ >= kMaxTransactions) return Admission::full;
    ++requests_;
    ++starting_;
    return Admission::admitted;
}

void RequestGate::finish_transaction_start(uint32_t started) {
    LockGuard guard(lock_);
    if (requests_ > 0) --requests_;
    if (starting_ > 0) --starting_;
    // xenstored never hands out an id twice while it is open; if it did, one
    // entry is enough to let the transaction's requests through.
    if (started == 0 || knows_locked(started)) return;
    for (uint32_t& slot : open_) {
        if (slot == 0) {
            slot = started;
            ++open_count_;
            return;
        }
    }
}

void RequestGate::finish_transaction_end(uint32_t tx) {
    LockGuard guard(lock_);
    if (requests_ > 0) --requests_;
    for (uint32_t& slot : open_) {
        if (tx != 0 && slot == tx) {
            slot = 0;
            --open_count_;
            return;
        }
    }
}

void RequestGate::close() {
    LockGuard guard(lock_);
    __atomic_store_n(&closed_, true, __ATOMIC_RELEASE);
}

void RequestGate::open() {
    LockGuard guard(lock_);
    __atomic_store_n(&closed_, false, __ATOMIC_RELEASE);
}

RequestGate::Counts RequestGate::counts() const {
    LockGuard guard(lock_);
    return Counts{requests_, starting_ + open_count_};
}

bool RequestGate::is_open_transaction(uint32_t tx) const {
    LockGuard guard(lock_);
    return knows_locked(tx);
}

}  // namespace torpor::xs
