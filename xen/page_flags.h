// x86-64 page-table entry bits as a PV guest writes them. Xen validates every
// entry and adds _PAGE_USER itself for 64-bit PV kernel mappings (the guest
// kernel runs in ring 3).
#pragma once
#include <stdint.h>

namespace xen {

inline constexpr uint64_t kPagePresent = 1u << 0;
inline constexpr uint64_t kPageRw = 1u << 1;
inline constexpr uint64_t kPageUser = 1u << 2;
inline constexpr uint64_t kPageAccessed = 1u << 5;
inline constexpr uint64_t kPageDirty = 1u << 6;
inline constexpr uint64_t kPageAddressMask = 0x000ffffffffff000ull;
// No-execute (bit 63): Xen accepts it in a PV guest's L1 entries when the CPU
// has NX (it then runs with EFER.NXE); never in a table entry above L1 here,
// where it would cover everything below.
inline constexpr uint64_t kPageNoExecute = 1ull << 63;

inline constexpr uint64_t kPageWritableFlags = kPagePresent | kPageRw | kPageAccessed | kPageDirty;
inline constexpr uint64_t kPageReadOnlyFlags = kPagePresent | kPageAccessed;
inline constexpr uint64_t kPageTableFlags = kPageWritableFlags | kPageUser;

}  // namespace xen
