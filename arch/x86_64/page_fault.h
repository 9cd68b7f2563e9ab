// Decoding an x86 page fault for a panic message: the error code's bits (Intel
// SDM vol. 3, "Interrupt 14 - Page-Fault Exception") and the faulting address.
// In a PV guest the kernel runs in ring 3, but Xen rewrites the user bit to
// say whether the guest *kernel* or guest user mode faulted, and passes the
// address in vcpu_info's arch.cr2 (xen/arch-x86/xen-x86_64.h).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace arch {

namespace page_fault_bits {
inline constexpr uint64_t kPresent = 1u << 0;      // 0: the page was not present
inline constexpr uint64_t kWrite = 1u << 1;        // 0: a read
inline constexpr uint64_t kUser = 1u << 2;         // 0: in (guest) kernel mode
inline constexpr uint64_t kReserved = 1u << 3;     // a reserved bit set in a paging entry
inline constexpr uint64_t kInstruction = 1u << 4;  // an instruction fetch (NX)
inline constexpr uint64_t kProtectionKey = 1u << 5;
inline constexpr uint64_t kShadowStack = 1u << 6;
}  // namespace page_fault_bits

// Writes e.g. "not-present write in kernel mode" (plus ", reserved bit set",
// ", instruction fetch", ...) into `out`, always NUL-terminated. Returns the
// length written.
size_t describe_page_fault(uint64_t error_code, char* out, size_t capacity);

}  // namespace arch
