// libFuzzer target: the 2-level event-channel scan (kernel/events/pending_scan.h)
// with every word Xen writes arbitrary: the vCPU's selector, the shared
// pending and mask bitmaps. `owned` is exactly as long as the caller says
// (1..16 words, on the heap), so AddressSanitizer catches any selector bit
// used as an index beyond it.
//
// Input: byte 0 picks owned_words (1 + byte % 16); then the selector, 64
// pending words, 64 mask words and the owned words, little-endian, zero
// where the input is short.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memory>
#include <vector>

#include "kernel/events/pending_scan.h"

using torpor::events::kBitsPerWord;
using torpor::events::scan_pending_once;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

namespace {

constexpr unsigned kSharedWords = 64;  // shared_info's evtchn_pending/evtchn_mask
constexpr unsigned kMaxOwnedWords = 16;  // kMaxPorts / 64

class Input {
public:
    Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    uint8_t byte() { return at_ < size_ ? data_[at_++] : 0; }
    uint64_t word() {
        uint64_t w = 0;
        for (unsigned i = 0; i < 8; ++i) w |= uint64_t(byte()) << (8 * i);
        return w;
    }

private:
    const uint8_t* data_;
    size_t size_;
    size_t at_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Input in(data, size);
    unsigned owned_words = 1 + in.byte() % kMaxOwnedWords;
    uint64_t selector = in.word();
    std::vector<uint64_t> pending(kSharedWords), mask(kSharedWords);
    for (auto& w : pending) w = in.word();
    for (auto& w : mask) w = in.word();
    std::unique_ptr<uint64_t[]> owned(new uint64_t[owned_words]);
    for (unsigned i = 0; i < owned_words; ++i) owned[i] = in.word();

    const uint64_t selected = selector;
    const std::vector<uint64_t> before = pending;
    volatile uint8_t upcall_pending = 1;
    std::vector<uint32_t> ports;
    unsigned n = scan_pending_once(upcall_pending, selector, pending.data(), mask.data(),
                                   owned.get(), owned_words,
                                   [&](uint32_t port) { ports.push_back(port); });

    CHECK(upcall_pending == 0);
    CHECK(selector == 0);
    CHECK(n == ports.size());
    // Exactly the ports that were selected, pending, unmasked and owned, in
    // ascending order, each once; their pending bits (and only theirs) cleared.
    std::vector<uint32_t> expected;
    std::vector<uint64_t> after = before;
    for (unsigned word = 0; word < owned_words; ++word) {
        if (!((selected >> word) & 1)) continue;
        uint64_t ready = before[word] & ~mask[word] & owned[word];
        for (unsigned bit = 0; bit < kBitsPerWord; ++bit) {
            if (!((ready >> bit) & 1)) continue;
            expected.push_back(word * kBitsPerWord + bit);
            after[word] &= ~(uint64_t(1) << bit);
        }
    }
    CHECK(ports == expected);
    CHECK(pending == after);
    for (uint32_t port : ports) CHECK(port < owned_words * kBitsPerWord);
    return 0;
}
