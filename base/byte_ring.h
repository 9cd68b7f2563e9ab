// Byte rings shared with another domain (console, xenstore): free-running 32-bit
// indices, the slot of index i is i & (Size - 1) (xen/io/console.h, xs_wire.h).
// The peer's index is never trusted: if prod - cons claims more bytes than the
// ring holds, the peer is broken and we report a protocol error instead of
// reading or writing out of place. Barriers and index publication are the
// caller's job; these functions only do the arithmetic and the copying.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

namespace torpor {

template <uint32_t Size>
struct ByteRing {
    static_assert(Size != 0 && (Size & (Size - 1)) == 0, "ring size must be a power of two");

    static uint32_t slot(uint32_t index) { return index & (Size - 1); }

    // Bytes between cons and prod, or protocol_error when that is impossible.
    static ErrorOr<uint32_t> used(uint32_t prod, uint32_t cons) {
        uint32_t n = prod - cons;
        if (n > Size) return Error::protocol_error;
        return n;
    }

    // Copies up to len bytes into the ring at prod. Returns the count copied
    // (0 when full); the caller then publishes prod + count.
    static ErrorOr<size_t> write(char* ring, uint32_t prod, uint32_t cons, const char* src,
                                 size_t len) {
        auto in_use = used(prod, cons);
        if (in_use.is_error()) return in_use.error();
        size_t space = Size - in_use.value();
        size_t count = len < space ? len : space;
        for (size_t i = 0; i < count; ++i) ring[slot(prod + uint32_t(i))] = src[i];
        return count;
    }

    // Copies up to len bytes out of the ring from cons. Returns the count
    // copied; the caller then publishes cons + count.
    static ErrorOr<size_t> read(const char* ring, uint32_t prod, uint32_t cons, char* dst,
                                size_t len) {
        auto available = used(prod, cons);
        if (available.is_error()) return available.error();
        size_t count = len < available.value() ? len : available.value();
        for (size_t i = 0; i < count; ++i) dst[i] = ring[slot(cons + uint32_t(i))];
        return count;
    }
};

}  // namespace torpor
