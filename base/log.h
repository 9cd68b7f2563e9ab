// Kernel log: printf-style lines to the console (the PV console ring once it is
// connected, Xen's console_io before that). Both are sinks registered from above:
// this calls no hypercall itself.
#pragma once
#include <stdarg.h>
#include <stddef.h>

namespace torpor {

using LogSink = void (*)(const char* text, size_t length);

// The early console: the platform registers it first thing at boot (output
// before that is dropped).
void set_early_log_sink(LogSink sink);
// Routes log output to `sink` (null: back to the early console).
void set_log_sink(LogSink sink);
// Writes raw bytes to the current sink.
void log_write(const char* text, size_t length);

[[gnu::format(printf, 1, 2)]] void klog(const char* format, ...);
void vklog(const char* format, va_list args);

}  // namespace torpor
