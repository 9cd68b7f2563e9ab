// The 2-level event-channel scan (xen/xen.h, struct shared_info and vcpu_info):
// the vCPU's selector word says which words of the shared pending bitmap may
// hold work; a port is delivered when pending and not masked, and its pending
// bit is cleared before the handler runs so a new notification is not lost.
#pragma once
#include <stdint.h>

namespace torpor::events {

inline constexpr unsigned kBitsPerWord = 64;

// Scans once; returns the number of ports delivered. `deliver(port)` runs for
// each. `owned` has a bit set for each port bound to this vCPU: the pending
// words are shared by all vCPUs, so a selected word may also hold another
// vCPU's pending ports, which must be left for that vCPU. `pending` and
// `mask` are shared_info's (one word per selector bit); `owned` has only
// `owned_words` words: the selector is written by Xen, and a bit beyond them
// (a port we can never have bound) is dropped, never used as an index.
// Generic over the word type so the host tests and the fuzzer can drive it.
template <typename Word, typename Deliver>
unsigned scan_pending_once(volatile uint8_t& upcall_pending, Word& pending_selector,
                           Word* pending, const Word* mask, const Word* owned,
                           unsigned owned_words, Deliver deliver) {
    upcall_pending = 0;
    Word selector = __atomic_exchange_n(&pending_selector, Word(0), __ATOMIC_ACQ_REL);
    if (owned_words < kBitsPerWord) selector &= (Word(1) << owned_words) - 1;
    unsigned delivered = 0;
    while (selector) {
        unsigned word = unsigned(__builtin_ctzll(selector));
        selector &= selector - 1;
        Word ready = __atomic_load_n(&pending[word], __ATOMIC_ACQUIRE) & ~mask[word] &
                     __atomic_load_n(&owned[word], __ATOMIC_ACQUIRE);
        while (ready) {
            unsigned bit = unsigned(__builtin_ctzll(ready));
            ready &= ready - 1;
            __atomic_fetch_and(&pending[word], ~(Word(1) << bit), __ATOMIC_ACQ_REL);
            deliver(word * kBitsPerWord + bit);
            ++delivered;
        }
    }
    return delivered;
}

}  // namespace torpor::events
