// The PV console (xen/io/console.h): a shared page with an output and an input
// byte ring, and an event channel to xenconsoled in dom0.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "xen/abi.h"

namespace torpor::console {

// Connects to the ring and routes the kernel log to it. Output works from any
// context; input wakes reader threads once events are running.
Error connect(xencons_interface* ring, evtchn_port_t port);
// Writes all of `text` without blocking: what the ring cannot take yet waits
// in a 64 KiB buffer, in order, until xenconsoled drains the ring; only output
// beyond that is dropped (and counted) rather than hanging the kernel.
void write(const char* text, size_t length);
// The panic path's variants (base/log.h): write() without waiting on the
// output lock beyond a bound (its holder may be a stopped vCPU or the code
// that faulted), waiting instead for xenconsoled to make room; and a drain
// that waits until xenconsoled has read everything. Both bounded: together
// at most a couple of seconds, whatever the backend does.
void panic_write(const char* text, size_t length);
void panic_drain(uint64_t timeout_ns);
// For main/panic_test.cpp only: takes the output lock and never gives it
// back, as code that faults in the middle of a write would.
void hold_output_lock_for_panic_test();
// Copies up to `capacity` bytes of pending input; never blocks.
ErrorOr<size_t> read(char* out, size_t capacity);
// Blocks the calling thread until a whole line (ended by \n or \r) arrived;
// the terminator is dropped and the line NUL-terminated. Longer lines are
// returned in pieces of capacity - 1 bytes.
ErrorOr<size_t> read_line(char* out, size_t capacity, uint64_t deadline_ns = 0);
size_t dropped_bytes();
// For a resume that cannot finish (the guest is about to panic): output goes
// to `port` (start_info's console port now) again, so the reason reaches
// xenconsoled even though the console's own resume hook never ran.
void resume_output(evtchn_port_t port);
// Starts delivering input notifications (needs the event layer) and registers
// the console's suspend/resume hooks (resume re-reads the port from `si`).
Error start_input_events(const start_info* si);

}  // namespace torpor::console
