// xl mem-set: watches memory/target and makes the allocator honour it
// (kernel/memory.h set_frame_limit): shrinking gives back free memory at once
// and logs what could not go because it is in use; growing lets the allocator
// populate again. The watch is registered again after every resume.
#pragma once
#include "base/error.h"

namespace torpor::memory_target_watch {

Error start();

}  // namespace torpor::memory_target_watch
