// The fewest free frames the allocator had since the last look: what stayed
// unused for a whole window. Memory that a load frees and takes again within
// the window is never in it, so it is not given back to Xen only to be
// populated again a moment later.
#pragma once
#include <stddef.h>

namespace torpor {

class FreeLowWater {
public:
    static constexpr size_t kUnseen = ~size_t(0);

    // After every change to the free count.
    void note(size_t free_frames) {
        if (free_frames < low_) low_ = free_frames;
    }
    // The low-water mark of the window that ends now (`free_frames` is the
    // count now, so it never exceeds it); the next window starts from it.
    size_t end_window(size_t free_frames) {
        note(free_frames);
        size_t low = low_;
        low_ = free_frames;
        return low;
    }

private:
    size_t low_ = kUnseen;
};

}  // namespace torpor
