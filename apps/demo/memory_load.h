#pragma once

namespace torpor::demo {

// demo=memload: one thread allocates and frees through malloc, so the heap
// grows into memory populated on demand and trims whole regions back to Xen.
// Each round it mallocs 1 MiB chunks (every page written with the round's
// byte) up to 16 MiB, checks every chunk, then frees them newest first; 50 ms
// between chunks. A malloc that returns NULL (Xen refused, or xl mem-set's
// target) is printed ("memload: malloc(N) returned NULL ...", the first 20)
// and the round carries on with what it has. Once a second one line:
// "memload: rounds=R chunks=C live_kib=K nulls=N corrupt=X".
void start_memory_load();

}  // namespace torpor::demo
