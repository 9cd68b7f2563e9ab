#include "drivers/console/pv_console.h"

#include "arch/x86_64/cpu.h"
#include "drivers/console/byte_ring.h"
#include "kernel/log.h"
#include "kernel/time/clock.h"
#include "kernel/wait.h"
#include "xen/hypercalls.h"

namespace torpor::console {

namespace {

using OutRing = ByteRing<sizeof(xencons_interface::out)>;
using InRing = ByteRing<sizeof(xencons_interface::in)>;

constexpr uint64_t kStallLimitNs = 3'000'000'000ull;
constexpr uint64_t kPollSliceNs = 10'000'000ull;

volatile xencons_interface* ring = nullptr;
evtchn_port_t event_port = 0;
size_t dropped = 0;
bool broken = false;

void report_broken(const char* what) {
    if (broken) return;
    broken = true;
    set_log_sink(nullptr);  // fall back to Xen's console for the report
    klog("console: backend broke the ring protocol (%s); console output disabled", what);
}

void ring_sink(const char* text, size_t length) { write(text, length); }

}  // namespace

Error connect(xencons_interface* shared_ring, evtchn_port_t port) {
    ring = shared_ring;
    event_port = port;
    broken = false;
    auto used = OutRing::used(ring->out_prod, ring->out_cons);
    if (used.is_error()) {
        report_broken("bad output indices at connect");
        return Error::protocol_error;
    }
    set_log_sink(ring_sink);
    return Error::none;
}

void write(const char* text, size_t length) {
    if (!ring || broken) {
        dropped += length;
        return;
    }
    uint64_t last_progress = clock::xen_system_time_ns();
    while (length > 0) {
        acknowledge_port(event_port);
        uint32_t cons = ring->out_cons;
        uint32_t prod = ring->out_prod;
        arch::read_barrier();
        auto copied = OutRing::write(const_cast<char*>(ring->out), prod, cons, text, length);
        if (copied.is_error()) {
            dropped += length;
            report_broken("output indices out of range");
            return;
        }
        if (copied.value() > 0) {
            arch::write_barrier();
            ring->out_prod = prod + uint32_t(copied.value());
            xen::notify(event_port);
            text += copied.value();
            length -= copied.value();
            last_progress = clock::xen_system_time_ns();
            continue;
        }
        uint64_t now = clock::xen_system_time_ns();
        if (now - last_progress > kStallLimitNs) {
            dropped += length;
            return;
        }
        wait_for_port(event_port, now + kPollSliceNs);
    }
}

ErrorOr<size_t> read(char* out, size_t capacity) {
    if (!ring || broken) return Error::not_supported;
    uint32_t cons = ring->in_cons;
    uint32_t prod = ring->in_prod;
    arch::read_barrier();
    auto copied = InRing::read(const_cast<const char*>(ring->in), prod, cons, out, capacity);
    if (copied.is_error()) {
        report_broken("input indices out of range");
        return copied.error();
    }
    if (copied.value() > 0) {
        arch::full_barrier();
        ring->in_cons = cons + uint32_t(copied.value());
        xen::notify(event_port);
    }
    return copied.value();
}

size_t dropped_bytes() { return dropped; }

}  // namespace torpor::console
