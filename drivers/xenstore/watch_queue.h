// Watch events waiting for the watch thread, bounded. xenstore's watch
// semantics make a handler read the current state (events fire spuriously on
// registration and after every resume, so handlers are idempotent): an event
// for a watch and path that is still queued already stands for a new one with
// the same watch and path, so the new one is coalesced into it. A flooding
// writer therefore costs one slot per distinct path. Beyond kCapacity distinct
// events the newest is dropped (the caller logs and counts it): memory stays
// bounded whatever xenstored sends. No allocation: a fixed pool of slots.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/string.h"

namespace torpor::xs {

class WatchEventQueue {
public:
    static constexpr size_t kCapacity = 256;

    enum class Push : uint8_t { queued, coalesced, dropped };

    WatchEventQueue();
    WatchEventQueue(const WatchEventQueue&) = delete;
    WatchEventQueue& operator=(const WatchEventQueue&) = delete;

    // Queues an event for `watch_id` on `path`, taking the string only when
    // the result is `queued`.
    Push push(uint32_t watch_id, String&& path);
    // The oldest event, in the order queued. False when empty.
    bool pop(uint32_t* watch_id, String* path);
    size_t size() const { return size_; }
    bool is_empty() const { return size_ == 0; }
    void clear();

private:
    struct Slot {
        uint32_t watch_id = 0;
        String path;
        Slot* next = nullptr;
    };
    Slot slots_[kCapacity];
    Slot* free_ = nullptr;
    Slot* head_ = nullptr;
    Slot* tail_ = nullptr;
    size_t size_ = 0;
};

}  // namespace torpor::xs
