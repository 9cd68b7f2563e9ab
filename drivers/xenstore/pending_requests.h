// Requests waiting for their reply, matched by req_id. Plain data: the client
// guards it with its lock. A reply fills its request, marks it complete and
// unlinks it in one step, so nothing that arrives later with the same id (a
// duplicate or a late reply) can reach it: complete() then finds nobody and
// the caller drops and counts that reply.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/string.h"

namespace torpor::xs {

struct PendingRequest {
    uint32_t id = 0;
    // Set by complete(), under the owner's lock, after every other field.
    bool complete = false;
    uint32_t reply_type = 0;
    Error error = Error::none;
    String payload;
    void* waiter = nullptr;  // the client's wait primitive (opaque here)
    PendingRequest* next = nullptr;
};

class PendingRequests {
public:
    void add(PendingRequest* request);
    // Fills the request waiting for `id` (taking `payload`), marks it complete
    // and unlinks it. Null when no request waits for `id`.
    PendingRequest* complete(uint32_t id, uint32_t reply_type, Error error, String&& payload);
    // The requester gives up waiting: true when it was still in the table
    // (now unlinked), false when a reply completed it first.
    bool withdraw(PendingRequest* request);
    bool is_empty() const { return head_ == nullptr; }
    size_t count() const;

private:
    PendingRequest* head_ = nullptr;
};

}  // namespace torpor::xs
