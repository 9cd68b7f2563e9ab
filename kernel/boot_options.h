// The guest's command line (xl's `extra=`, start_info->cmd_line): words
// separated by blanks, each `key=value` or a bare `key`. The last word with a
// given key wins, as on Linux.
#pragma once

#include <stddef.h>

namespace torpor::boot_options {

struct OptionValue {
    bool found = false;
    const char* text = nullptr;  // points into the command line; not terminated
    size_t length = 0;           // 0 for a bare `key` or `key=`

    // Present with exactly this value.
    bool is(const char* value) const;
    // Present as a decimal number of 1..9 digits: true, and *out set.
    bool as_decimal(unsigned* out) const;
};

// Pure: looks KEY up in LINE (host-tested).
OptionValue find(const char* line, const char* key);
// True when KEY is present with exactly VALUE.
bool equals(const char* line, const char* key, const char* value);

// The kernel's copy of start_info's command line, taken at boot.
void init(const char* command_line);
const char* command_line();
// KEY=VALUE on the kernel's command line.
bool is_set_to(const char* key, const char* value);

}  // namespace torpor::boot_options
