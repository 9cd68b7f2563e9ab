// Kernel log: printf-style lines to the console (the PV console ring once it is
// connected, Xen's console_io before that). Both are sinks registered from above:
// this calls no hypercall itself.
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

namespace torpor {

using LogSink = void (*)(const char* text, size_t length);
// Waits up to `timeout_ns` for what was written to reach its reader.
using LogDrain = void (*)(uint64_t timeout_ns);

// The early console: the platform registers it first thing at boot (output
// before that is dropped).
void set_early_log_sink(LogSink sink);
// Routes log output to `sink` (null: back to the early console). `panic_sink`
// is what a panic writes through: it must not block on a lock that a stopped
// vCPU or the faulting code may hold (null: `sink` is safe as it is).
// `drain` (optional) lets a panic wait for the output to be read before the
// domain dies.
void set_log_sink(LogSink sink, LogSink panic_sink = nullptr, LogDrain drain = nullptr);
// Writes raw bytes to the current sink.
void log_write(const char* text, size_t length);

[[gnu::format(printf, 1, 2)]] void klog(const char* format, ...);
void vklog(const char* format, va_list args);

// From here on every log line takes the panic path (base/panic.cpp). Never undone.
void enter_panic_logging();
// Waits (bounded) until the console's reader has taken everything written.
void drain_log(uint64_t timeout_ns);

}  // namespace torpor
