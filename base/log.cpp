#include "base/log.h"

#include <stdio.h>

namespace torpor {

namespace {

void drop_output(const char*, size_t) {}

LogSink early_sink = drop_output;
LogSink current_sink = drop_output;
LogSink current_panic_sink = drop_output;
LogDrain current_drain = nullptr;
bool panicking = false;

}  // namespace

void set_early_log_sink(LogSink sink) {
    LogSink previous = early_sink;
    early_sink = sink ? sink : drop_output;
    if (current_sink == previous) {
        current_sink = early_sink;
        current_panic_sink = early_sink;
    }
}

void set_log_sink(LogSink sink, LogSink panic_sink, LogDrain drain) {
    current_sink = sink ? sink : early_sink;
    current_panic_sink = sink ? (panic_sink ? panic_sink : sink) : early_sink;
    current_drain = sink ? drain : nullptr;
}

void log_write(const char* text, size_t length) {
    if (__atomic_load_n(&panicking, __ATOMIC_ACQUIRE))
        current_panic_sink(text, length);
    else
        current_sink(text, length);
}

void enter_panic_logging() { __atomic_store_n(&panicking, true, __ATOMIC_RELEASE); }

void drain_log(uint64_t timeout_ns) {
    if (current_drain) current_drain(timeout_ns);
}

void vklog(const char* format, va_list args) {
    char line[512];
    int n = vsnprintf(line, sizeof(line) - 1, format, args);
    if (n < 0) return;
    size_t length = size_t(n) < sizeof(line) - 1 ? size_t(n) : sizeof(line) - 2;
    line[length++] = '\n';
    log_write(line, length);
}

void klog(const char* format, ...) {
    va_list args;
    va_start(args, format);
    vklog(format, args);
    va_end(args);
}

}  // namespace torpor
