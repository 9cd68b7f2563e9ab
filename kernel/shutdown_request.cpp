#include "kernel/shutdown_request.h"

#include <string.h>

namespace torpor {

ShutdownRequest parse_shutdown_request(const char* value) {
    if (value[0] == '\0') return ShutdownRequest::none;
    if (strcmp(value, "poweroff") == 0 || strcmp(value, "halt") == 0)
        return ShutdownRequest::poweroff;
    if (strcmp(value, "reboot") == 0) return ShutdownRequest::reboot;
    if (strcmp(value, "suspend") == 0) return ShutdownRequest::suspend;
    if (strcmp(value, "crash") == 0) return ShutdownRequest::crash;
    return ShutdownRequest::unknown;
}

const char* shutdown_request_name(ShutdownRequest request) {
    switch (request) {
        case ShutdownRequest::none: return "none";
        case ShutdownRequest::poweroff: return "poweroff";
        case ShutdownRequest::reboot: return "reboot";
        case ShutdownRequest::suspend: return "suspend";
        case ShutdownRequest::crash: return "crash";
        case ShutdownRequest::unknown: return "unknown";
    }
    return "unknown";
}

}  // namespace torpor
