#include "kernel/log.h"

#include <stdio.h>

#include "xen/hypercalls.h"

namespace torpor {

namespace {

void early_console_write(const char* text, size_t length) {
    // Only reaches Xen's console on hypervisors that let a domU write there
    // (debug builds); otherwise it fails with -EPERM and we carry on.
    (void)xen::console_io_write(text, unsigned(length));
}

LogSink current_sink = early_console_write;

}  // namespace

void set_log_sink(LogSink sink) { current_sink = sink ? sink : early_console_write; }

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
