// What the toolstack asks for through control/shutdown (libxl writes
// "poweroff", "reboot", "suspend", ...; the guest acknowledges by writing "").
#pragma once

namespace torpor {

enum class ShutdownRequest { none, poweroff, reboot, suspend, crash, unknown };

ShutdownRequest parse_shutdown_request(const char* value);
const char* shutdown_request_name(ShutdownRequest request);

}  // namespace torpor
