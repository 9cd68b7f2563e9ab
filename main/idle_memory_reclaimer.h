// Gives free memory back to Xen once it stayed unused for a whole period
// (kernel/memory.h give_back_idle): a thread that looks every few seconds.
#pragma once
#include "base/error.h"

namespace torpor::idle_memory_reclaimer {

// not_supported: free memory does not live in Xen (nothing to give back).
Error start();

}  // namespace torpor::idle_memory_reclaimer
