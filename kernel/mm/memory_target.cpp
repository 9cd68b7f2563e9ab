#include "kernel/mm/memory_target.h"

namespace torpor::memory {

ErrorOr<unsigned long> frames_of_target(const char* value) {
    constexpr unsigned long kMaxKib = 16ul << 30;  // 16 TiB
    if (!value || !*value) return Error::invalid_argument;
    unsigned long kib = 0;
    for (const char* p = value; *p; ++p) {
        if (*p < '0' || *p > '9') return Error::invalid_argument;
        kib = kib * 10 + unsigned(*p - '0');
        if (kib > kMaxKib) return Error::invalid_argument;
    }
    return kib / 4;
}

}  // namespace torpor::memory
