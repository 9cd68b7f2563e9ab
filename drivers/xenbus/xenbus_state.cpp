#include "drivers/xenbus/xenbus_state.h"

namespace torpor::xenbus {

const char* state_name(State state) {
    switch (state) {
        case State::unknown: return "Unknown";
        case State::initialising: return "Initialising";
        case State::init_wait: return "InitWait";
        case State::initialised: return "Initialised";
        case State::connected: return "Connected";
        case State::closing: return "Closing";
        case State::closed: return "Closed";
        case State::reconfiguring: return "Reconfiguring";
        case State::reconfigured: return "Reconfigured";
    }
    return "?";
}

namespace {

// Plain decimal without sign, spaces or leading zeros, at most `max`.
ErrorOr<uint32_t> parse_decimal(const char* text, uint32_t max) {
    if (!text || !*text) return Error::protocol_error;
    if (text[0] == '0' && text[1] != '\0') return Error::protocol_error;
    uint32_t value = 0;
    for (const char* p = text; *p; ++p) {
        if (*p < '0' || *p > '9') return Error::protocol_error;
        value = value * 10 + uint32_t(*p - '0');
        if (value > max) return Error::protocol_error;
    }
    return value;
}

}  // namespace

ErrorOr<State> parse_state(const char* text) {
    auto value = parse_decimal(text, XenbusStateReconfigured);
    if (value.is_error()) return value.error();
    return State(value.value());
}

ErrorOr<domid_t> parse_domid(const char* text) {
    auto value = parse_decimal(text, DOMID_FIRST_RESERVED - 1);
    if (value.is_error()) return value.error();
    return domid_t(value.value());
}

}  // namespace torpor::xenbus
