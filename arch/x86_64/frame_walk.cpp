#include "arch/x86_64/frame_walk.h"

namespace arch {

size_t walk_frame_pointers(uintptr_t rbp, StackBounds bounds, uintptr_t* out, size_t max) {
    size_t count = 0;
    uintptr_t previous = 0;
    while (count < max) {
        if (rbp == 0 || rbp % sizeof(uintptr_t) != 0) break;
        if (rbp < bounds.low || bounds.high < 2 * sizeof(uintptr_t) ||
            rbp > bounds.high - 2 * sizeof(uintptr_t))
            break;
        if (previous != 0 && rbp <= previous) break;
        const auto* frame = reinterpret_cast<const uintptr_t*>(rbp);
        uintptr_t return_address = frame[1];
        if (return_address == 0) break;
        out[count++] = return_address;
        previous = rbp;
        rbp = frame[0];
    }
    return count;
}

}  // namespace arch
