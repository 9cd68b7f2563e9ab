// The PV console (xen/io/console.h): a shared page with an output and an input
// byte ring, and an event channel to xenconsoled in dom0.
#pragma once
#include <stddef.h>

#include "kernel/lib/error.h"
#include "xen/abi.h"

namespace torpor::console {

// Connects to the ring and routes the kernel log to it.
Error connect(xencons_interface* ring, evtchn_port_t port);
// Writes all of `text`, waiting (bounded) while the ring is full. Output the
// backend does not take within a few seconds is dropped and counted.
void write(const char* text, size_t length);
// Copies up to `capacity` bytes of pending input; never blocks.
ErrorOr<size_t> read(char* out, size_t capacity);
size_t dropped_bytes();

}  // namespace torpor::console
