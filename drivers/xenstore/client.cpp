#include "drivers/xenstore/client.h"

#include <string.h>

#include "arch/x86_64/cpu.h"
#include "drivers/console/byte_ring.h"
#include "drivers/xenstore/wire.h"
#include "kernel/log.h"
#include "kernel/time/clock.h"
#include "kernel/wait.h"
#include "xen/hypercalls.h"

namespace torpor::xenstore {

namespace {

using Ring = ByteRing<XENSTORE_RING_SIZE>;
constexpr uint64_t kRequestTimeoutNs = 10'000'000'000ull;

volatile xenstore_domain_interface* ring = nullptr;
evtchn_port_t event_port = 0;
uint32_t next_request_id = 1;
unsigned rejected = 0;
char request_buffer[xs::kHeaderSize + xs::kMaxPayload];
xs::ReplyAssembler assembler;

Error send_bytes(const char* data, size_t length, uint64_t deadline) {
    while (length > 0) {
        acknowledge_port(event_port);
        uint32_t cons = ring->req_cons;
        uint32_t prod = ring->req_prod;
        arch::read_barrier();
        auto copied = Ring::write(const_cast<char*>(ring->req), prod, cons, data, length);
        if (copied.is_error()) {
            klog("xenstore: request ring indices out of range (prod=%u cons=%u)", prod, cons);
            return Error::protocol_error;
        }
        if (copied.value() > 0) {
            arch::write_barrier();
            ring->req_prod = prod + uint32_t(copied.value());
            xen::notify(event_port);
            data += copied.value();
            length -= copied.value();
            continue;
        }
        if (clock::xen_system_time_ns() >= deadline) return Error::timed_out;
        wait_for_port(event_port, deadline);
    }
    return Error::none;
}

void discard_pending_replies() {
    ring->rsp_cons = ring->rsp_prod;
    arch::full_barrier();
    xen::notify(event_port);
    assembler.reset();
}

// Feeds reply bytes into the assembler until a whole message is there.
Error receive_message(uint64_t deadline) {
    for (;;) {
        acknowledge_port(event_port);
        uint32_t prod = ring->rsp_prod;
        uint32_t cons = ring->rsp_cons;
        arch::read_barrier();
        char chunk[XENSTORE_RING_SIZE];
        auto copied = Ring::read(const_cast<const char*>(ring->rsp), prod, cons, chunk,
                                 sizeof(chunk));
        if (copied.is_error()) {
            klog("xenstore: reply ring indices out of range (prod=%u cons=%u)", prod, cons);
            return Error::protocol_error;
        }
        auto used = assembler.feed(chunk, copied.value());
        if (used.is_error()) {
            ++rejected;
            klog("xenstore: rejected a malformed reply header (%s); dropping pending replies",
                 error_name(used.error()));
            discard_pending_replies();
            return used.error();
        }
        if (used.value() > 0) {
            arch::full_barrier();
            ring->rsp_cons = cons + uint32_t(used.value());
            xen::notify(event_port);
        }
        if (assembler.is_complete()) return Error::none;
        if (used.value() > 0) continue;
        if (clock::xen_system_time_ns() >= deadline) return Error::timed_out;
        wait_for_port(event_port, deadline);
    }
}

// Sends one request and returns the validated reply in `assembler`.
Error transact(xs::MessageType type, const char* const* strings, size_t count, const char* raw,
               size_t raw_length) {
    if (!ring) return Error::not_supported;
    uint32_t id = next_request_id++;
    auto size = xs::encode_request(type, id, 0, strings, count, raw, raw_length, request_buffer,
                                   sizeof(request_buffer));
    if (size.is_error()) return size.error();
    uint64_t deadline = clock::xen_system_time_ns() + kRequestTimeoutNs;
    Error e = send_bytes(request_buffer, size.value(), deadline);
    if (e != Error::none) return e;
    for (;;) {
        e = receive_message(deadline);
        if (e != Error::none) return e;
        const xs::Header header = assembler.header();
        Error shape = xs::validate_reply(header, assembler.payload());
        if (shape != Error::none) {
            ++rejected;
            klog("xenstore: rejected a malformed reply (type %u, %u bytes)", header.type,
                 header.len);
            assembler.reset();
            return Error::protocol_error;
        }
        if (header.type == uint32_t(xs::MessageType::watch_event)) {
            assembler.reset();  // no watches are registered by this client yet
            continue;
        }
        if (header.req_id != id) {
            ++rejected;
            klog("xenstore: dropped a reply to request %u while waiting for %u", header.req_id,
                 id);
            assembler.reset();
            continue;
        }
        if (header.type == uint32_t(xs::MessageType::error)) {
            Error remote = xs::error_from_reply(assembler.payload(), header.len);
            assembler.reset();
            return remote;
        }
        if (header.type != uint32_t(type)) {
            ++rejected;
            klog("xenstore: reply type %u does not match request type %u", header.type,
                 uint32_t(type));
            assembler.reset();
            return Error::protocol_error;
        }
        return Error::none;
    }
}

}  // namespace

Error connect(xenstore_domain_interface* shared_ring, evtchn_port_t port) {
    ring = shared_ring;
    event_port = port;
    assembler.reset();
    if (Ring::used(ring->req_prod, ring->req_cons).is_error() ||
        Ring::used(ring->rsp_prod, ring->rsp_cons).is_error()) {
        klog("xenstore: ring indices out of range at connect");
        ring = nullptr;
        return Error::protocol_error;
    }
    return Error::none;
}

ErrorOr<String> read(const char* path) {
    const char* strings[] = {path};
    Error e = transact(xs::MessageType::read, strings, 1, nullptr, 0);
    if (e != Error::none) return e;
    auto value = String::copy_of(assembler.payload(), assembler.header().len);
    assembler.reset();
    return value;
}

Error write(const char* path, const char* value) {
    const char* strings[] = {path};
    Error e = transact(xs::MessageType::write, strings, 1, value, strlen(value));
    assembler.reset();
    return e;
}

unsigned rejected_replies() { return rejected; }

}  // namespace torpor::xenstore
