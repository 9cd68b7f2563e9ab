#include "base/log.h"

#include <stdio.h>

namespace torpor {

namespace {

void drop_output(const char*, size_t) {}

LogSink early_sink = drop_output;
LogSink current_sink = drop_output;

}  // namespace

void set_early_log_sink(LogSink sink) {
    LogSink previous = early_sink;
    early_sink = sink ? sink : drop_output;
    if (current_sink == previous) current_sink = early_sink;
}

void set_log_sink(LogSink sink) { current_sink = sink ? sink : early_sink; }

void log_write(const char* text, size_t length) { current_sink(text, length); }

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
