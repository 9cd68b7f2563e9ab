#include "arch/x86_64/page_fault.h"

namespace arch {

namespace {

// Appends `text` if it fits (never a partial word); keeps `out` terminated.
// Once something did not fit nothing more is added, so the text is a prefix.
void append(char* out, size_t capacity, size_t& length, const char* text) {
    size_t n = 0;
    while (text[n]) ++n;
    if (length + n + 1 > capacity) {
        length = capacity;  // full: later words are dropped too
        return;
    }
    for (size_t i = 0; i < n; ++i) out[length + i] = text[i];
    length += n;
    out[length] = '\0';
}

}  // namespace

size_t describe_page_fault(uint64_t error_code, char* out, size_t capacity) {
    using namespace page_fault_bits;
    if (capacity == 0) return 0;
    size_t length = 0;
    out[0] = '\0';
    append(out, capacity, length, error_code & kPresent ? "protection violation on a present page"
                                                        : "not-present page");
    append(out, capacity, length, error_code & kInstruction ? ", instruction fetch"
                                  : error_code & kWrite     ? ", write"
                                                            : ", read");
    append(out, capacity, length, error_code & kUser ? " in user mode" : " in kernel mode");
    if (error_code & kReserved) append(out, capacity, length, ", reserved bit set");
    if (error_code & kProtectionKey) append(out, capacity, length, ", protection key");
    if (error_code & kShadowStack) append(out, capacity, length, ", shadow stack");
    size_t written = 0;
    while (out[written]) ++written;
    return written;
}

}  // namespace arch
