// What a PV device driver gives the xenbus frontend (frontend.h): the pieces of
// the handshake that are specific to its rings. The frontend calls them in
// order, never concurrently, and only these:
//   setup_rings -> publish (again on every transaction retry) -> connect
//   -> ... -> [closing] -> disconnect  (the backend closes, or a step failed)
//   forget_rings                  (resumed in a new domain: the old grants and
//                                  event channel are gone; then setup_rings
//                                  again for the new backend)
#pragma once
#include <stdint.h>

#include "base/error.h"
#include "base/string.h"
#include "xen/abi.h"

namespace torpor::xenbus {

// Writes `<device path>/<key>` inside the frontend's transaction.
class KeyWriter {
public:
    virtual Error write(const char* key, const char* value) = 0;
    Error write_uint(const char* key, uint64_t value);

protected:
    ~KeyWriter() = default;
};

// Reads `<backend path>/<key>` (the backend's offers) or `<device path>/<key>`.
class KeyReader {
public:
    virtual ErrorOr<String> read_backend(const char* key) = 0;
    virtual ErrorOr<String> read_frontend(const char* key) = 0;

protected:
    ~KeyReader() = default;
};

class Device {
public:
    // The backend waits for us: grant fresh rings to `backend_id` and allocate
    // an unbound event channel for it.
    virtual Error setup_rings(domid_t backend_id) = 0;
    // Writes the frontend's keys (ring references, event channel, features).
    // Called inside a transaction, once per attempt: must write the same keys
    // each time and change nothing else.
    virtual Error publish(KeyWriter& keys) = 0;
    // The backend is Connected: read what it offers, start I/O.
    virtual Error connect(KeyReader& keys) = 0;
    // The backend is closing (a detach): post nothing more, but keep the rings
    // granted and keep taking responses, because the backend still maps them
    // until it is Closed (blkback and netback unmap only when the frontend says
    // Closed). Default: nothing to do.
    virtual void closing() {}
    // Stops I/O and gives back what setup_rings took (ungrant, close the port).
    // Requests not yet answered are kept for a later connect.
    virtual void disconnect() = 0;
    // After a resume into a new domain: the grant table and every event channel
    // are new, so drop the old references without touching them. Requests not
    // yet answered are kept, to be sent again on the new rings.
    virtual void forget_rings() = 0;

protected:
    ~Device() = default;
};

}  // namespace torpor::xenbus
