#include "drivers/xenstore/watch_queue.h"

#include <string.h>

#include <utility>

namespace torpor::xs {

WatchEventQueue::WatchEventQueue() { clear(); }

void WatchEventQueue::clear() {
    free_ = nullptr;
    for (size_t i = kCapacity; i-- > 0;) {
        slots_[i].path = String();
        slots_[i].watch_id = 0;
        slots_[i].next = free_;
        free_ = &slots_[i];
    }
    head_ = tail_ = nullptr;
    size_ = 0;
}

WatchEventQueue::Push WatchEventQueue::push(uint32_t watch_id, String&& path) {
    for (Slot* s = head_; s; s = s->next) {
        if (s->watch_id == watch_id && s->path.length() == path.length() &&
            memcmp(s->path.c_str(), path.c_str(), path.length()) == 0)
            return Push::coalesced;
    }
    Slot* s = free_;
    if (!s) return Push::dropped;
    free_ = s->next;
    s->watch_id = watch_id;
    s->path = std::move(path);
    s->next = nullptr;
    if (tail_)
        tail_->next = s;
    else
        head_ = s;
    tail_ = s;
    ++size_;
    return Push::queued;
}

bool WatchEventQueue::pop(uint32_t* watch_id, String* path) {
    Slot* s = head_;
    if (!s) return false;
    head_ = s->next;
    if (!head_) tail_ = nullptr;
    --size_;
    *watch_id = s->watch_id;
    *path = std::move(s->path);
    s->next = free_;
    free_ = s;
    return true;
}

}  // namespace torpor::xs
