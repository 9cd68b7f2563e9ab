// The few C++ ABI pieces a freestanding kernel needs: operator new/delete on
// the C heap, pure-virtual traps and global constructors.
#include <stddef.h>
#include <stdlib.h>

#include <new>

#include "base/panic.h"

namespace std {
const nothrow_t nothrow{};
}

void* operator new(size_t size) { return malloc(size ? size : 1); }
void* operator new[](size_t size) { return malloc(size ? size : 1); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return malloc(size ? size : 1); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return malloc(size ? size : 1); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }

extern "C" {

void* __dso_handle = nullptr;

void __cxa_pure_virtual() { torpor::kpanic("pure virtual function called"); }

// Referenced by newlib's abort() path and by GCC's stack protector, which is off.
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }

}  // extern "C"

namespace torpor {

void run_global_constructors() {
    using Constructor = void (*)();
    extern Constructor __init_array_start[] asm("__init_array_start");
    extern Constructor __init_array_end[] asm("__init_array_end");
    for (Constructor* c = __init_array_start; c != __init_array_end; ++c) (*c)();
}

}  // namespace torpor
