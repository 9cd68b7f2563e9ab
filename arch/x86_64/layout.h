// Virtual memory layout of the torpor image (x86-64 PV).
//
// The image is linked at kVirtBase and Xen's domain builder maps pseudo-physical
// frame N at kVirtBase + N * 4 KiB for the whole bootstrap area (kernel, p2m
// list, start_info, page tables, stack). torpor extends that direct map to every
// frame it owns, so "virtual = kVirtBase + pfn * kPageSize" holds everywhere.
#pragma once

#define TORPOR_VIRT_BASE 0xffffffff80000000

#ifndef __ASSEMBLY__
#include <stdint.h>

namespace arch {

inline constexpr uintptr_t kVirtBase = TORPOR_VIRT_BASE;
inline constexpr uintptr_t kPageSize = 4096;
inline constexpr unsigned kPageShift = 12;
// -mcmodel=kernel code lives in the top 2 GiB: the direct map cannot go past it.
inline constexpr unsigned long kMaxDirectMappedPages = (0x80000000ul - 0x1000ul) / kPageSize;

inline uintptr_t virt_of_pfn(unsigned long pfn) { return kVirtBase + (pfn << kPageShift); }
inline unsigned long pfn_of_virt(uintptr_t va) { return (va - kVirtBase) >> kPageShift; }
template <typename T>
inline T* ptr_of_pfn(unsigned long pfn) { return reinterpret_cast<T*>(virt_of_pfn(pfn)); }

}  // namespace arch
#endif
