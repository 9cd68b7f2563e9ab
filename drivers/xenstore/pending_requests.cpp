#include "drivers/xenstore/pending_requests.h"

#include <utility>

namespace torpor::xs {

void PendingRequests::add(PendingRequest* request) {
    request->complete = false;
    request->next = head_;
    head_ = request;
}

PendingRequest* PendingRequests::complete(uint32_t id, uint32_t reply_type, Error error,
                                          String&& payload) {
    for (PendingRequest** link = &head_; *link; link = &(*link)->next) {
        PendingRequest* r = *link;
        if (r->id != id) continue;
        *link = r->next;
        r->next = nullptr;
        r->reply_type = reply_type;
        r->error = error;
        r->payload = std::move(payload);
        __atomic_store_n(&r->complete, true, __ATOMIC_RELEASE);
        return r;
    }
    return nullptr;
}

bool PendingRequests::withdraw(PendingRequest* request) {
    for (PendingRequest** link = &head_; *link; link = &(*link)->next) {
        if (*link != request) continue;
        *link = request->next;
        request->next = nullptr;
        return true;
    }
    return false;
}

size_t PendingRequests::count() const {
    size_t n = 0;
    for (PendingRequest* r = head_; r; r = r->next) ++n;
    return n;
}

}  // namespace torpor::xs
