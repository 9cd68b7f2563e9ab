// Xen's own console (CONSOLEIO_write), the log sink until the PV console ring
// is connected.
#pragma once
#include <stddef.h>

namespace xen {

void early_console_write(const char* text, size_t length);

}  // namespace xen
