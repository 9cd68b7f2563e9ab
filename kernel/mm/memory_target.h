// memory/target (xl mem-set): a decimal count of KiB the toolstack wants the
// domain to hold. Another domain writes it, so it is checked, not trusted.
#pragma once
#include "base/error.h"

namespace torpor::memory {

// Frames (4 KiB) for a memory/target value: only digits, at most 16 TiB;
// invalid_argument otherwise.
ErrorOr<unsigned long> frames_of_target(const char* value);

}  // namespace torpor::memory
