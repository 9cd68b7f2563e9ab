// XenbusState values (/usr/include/xen/io/xenbus.h) and the strict parsers for
// what a frontend reads from xenstore: a state, a domain id. Everything read
// there was written by another domain and is checked before use.
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "xen/abi.h"
#include <xen/io/xenbus.h>

namespace torpor::xenbus {

enum class State : uint8_t {
    unknown = XenbusStateUnknown,
    initialising = XenbusStateInitialising,
    init_wait = XenbusStateInitWait,  // backend only: waiting for the frontend's details
    initialised = XenbusStateInitialised,
    connected = XenbusStateConnected,
    closing = XenbusStateClosing,
    closed = XenbusStateClosed,
    reconfiguring = XenbusStateReconfiguring,
    reconfigured = XenbusStateReconfigured,
};

const char* state_name(State state);

// A decimal number 0..8 with nothing around it ("4"; not "04 ", "+4", "4x",
// "" or "9"): protocol_error otherwise.
ErrorOr<State> parse_state(const char* text);
// A decimal domain id below DOMID_FIRST_RESERVED (xen/xen.h): protocol_error
// otherwise (empty, signs, spaces, leading zeros, out of range).
ErrorOr<domid_t> parse_domid(const char* text);

}  // namespace torpor::xenbus
