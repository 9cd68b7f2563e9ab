// Backtraces by frame pointers (the kernel keeps them: -fno-omit-frame-pointer).
// With a frame pointer, every x86-64 function's frame starts, at its rbp, with
// the caller's rbp and above it the return address into the caller.
//
// Pure and bounds-checked so that a panic on a corrupt stack cannot fault in
// the walker itself: only frames inside one known stack are followed.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace arch {

// A stack's address range [low, high).
struct StackBounds {
    uintptr_t low = 0;
    uintptr_t high = 0;
    bool contains(uintptr_t address) const { return address >= low && address < high; }
};

// Follows the chain of saved frame pointers from `rbp`, writing each return
// address to `out` (at most `max`). Stops at a frame pointer that is null,
// misaligned, outside `bounds` (the whole two-word record must lie inside),
// not above the previous one (stacks grow down: each caller's frame is higher;
// this also ends loops), or a zero return address. Returns the count written.
size_t walk_frame_pointers(uintptr_t rbp, StackBounds bounds, uintptr_t* out, size_t max);

}  // namespace arch
