// Xenstore client over the shared ring (xen/io/xs_wire.h). Requests are sent
// one at a time and the reply is awaited with SCHEDOP_poll, bounded by a timeout.
// Relative paths are relative to /local/domain/<domid>/ (the daemon resolves them).
#pragma once
#include "kernel/lib/error.h"
#include "kernel/lib/string.h"
#include "xen/abi.h"

namespace torpor::xenstore {

Error connect(xenstore_domain_interface* ring, evtchn_port_t port);
ErrorOr<String> read(const char* path);
Error write(const char* path, const char* value);
// Replies dropped because they were malformed, oversized or unexpected.
unsigned rejected_replies();

}  // namespace torpor::xenstore
