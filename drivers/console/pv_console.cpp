#include "drivers/console/pv_console.h"

#include "arch/x86_64/cpu.h"
#include "base/byte_ring.h"
#include "base/log.h"
#include "base/spinlock.h"
#include "kernel/device_hooks.h"
#include "kernel/events/event_channels.h"
#include "kernel/sched/wait_queue.h"
#include "kernel/time/clock.h"
#include "xen/event_mask.h"
#include "xen/hypercalls.h"

namespace torpor::console {

namespace {

using OutRing = ByteRing<sizeof(xencons_interface::out)>;
using InRing = ByteRing<sizeof(xencons_interface::in)>;

constexpr uint64_t kInputPollNs = 500'000'000ull;

volatile xencons_interface* ring = nullptr;
evtchn_port_t event_port = 0;
Spinlock output_lock;  // with events masked: output may come from event handlers
constexpr size_t kOverflowSize = 64 * 1024;
char overflow[kOverflowSize];  // output the ring could not take yet
size_t overflow_head = 0;
size_t overflow_length = 0;
size_t dropped = 0;
bool broken = false;
sched::WaitQueue input_ready;

// Line assembly for read_line (one reader at a time).
char pending_line[256];
size_t pending_length = 0;

void report_broken(const char* what) {
    if (broken) return;
    broken = true;
    set_log_sink(nullptr);  // fall back to Xen's console for the report
    klog("console: backend broke the ring protocol (%s); console disabled", what);
}

void ring_sink(const char* text, size_t length) { write(text, length); }

void flush_and_notify();

// The backend consumed output or produced input.
void on_console_event(uint32_t, void*) {
    flush_and_notify();
    input_ready.wake_all();
}

bool input_available() { return ring->in_prod != ring->in_cons; }

// While suspended the port number may not be ours any more: output still goes
// into the ring (it is our page), but nobody is notified until resume.
bool suspended = false;
const start_info* boot_start_info = nullptr;

Error suspend_console() {
    xen::EventMaskGuard masked;
    LockGuard guard(output_lock);
    suspended = true;
    return Error::none;
}

// Reopens the gate whatever happens: a console that failed to resume is
// marked broken (the log falls back to Xen's console), never left suspended.
Error resume_console(bool new_domain) {
    Error result = Error::none;
    evtchn_port_t port = event_port;
    if (new_domain) {
        port = boot_start_info->console.domU.evtchn;  // a new port in a new domain
        auto h = events::adopt(port, on_console_event, nullptr);
        if (h.is_error()) {
            result = h.error();
        } else if (OutRing::used(ring->out_prod, ring->out_cons).is_error() ||
                   InRing::used(ring->in_prod, ring->in_cons).is_error()) {
            result = Error::protocol_error;
        }
    }
    {
        xen::EventMaskGuard masked;
        LockGuard guard(output_lock);
        event_port = port;
        suspended = false;
    }
    if (result == Error::protocol_error) report_broken("bad indices after resume");
    else if (result != Error::none) report_broken("cannot bind the new console port");
    flush_and_notify();  // what was written meanwhile
    if (!broken) xen::notify(event_port);
    input_ready.wake_all();
    return result;
}

// Notifies the backend unless suspended (the port may not be ours then).
void notify_unless_suspended() {
    xen::EventMaskGuard masked;
    LockGuard guard(output_lock);
    if (!suspended) xen::notify(event_port);
}

}  // namespace

Error connect(xencons_interface* shared_ring, evtchn_port_t port) {
    if (OutRing::used(shared_ring->out_prod, shared_ring->out_cons).is_error() ||
        InRing::used(shared_ring->in_prod, shared_ring->in_cons).is_error()) {
        report_broken("bad indices at connect");
        return Error::protocol_error;
    }
    ring = shared_ring;
    event_port = port;
    broken = false;
    set_log_sink(ring_sink, panic_write, panic_drain);
    return Error::none;
}

Error start_input_events(const start_info* si) {
    boot_start_info = si;
    if (!ring) return Error::none;  // no PV console: Xen's console only
    auto h = events::adopt(event_port, on_console_event, nullptr);
    if (h.is_error()) return h.error();
    return devices::register_hooks({"console", suspend_console, resume_console});
}

namespace {

// Moves as much as fits from `data` into the ring. Returns the count, or
// -1 when the backend broke the indices. Output lock held.
long push_to_ring(const char* data, size_t length) {
    uint32_t cons = ring->out_cons;
    uint32_t prod = ring->out_prod;
    arch::read_barrier();
    auto copied = OutRing::write(const_cast<char*>(ring->out), prod, cons, data, length);
    if (copied.is_error()) return -1;
    if (copied.value() > 0) {
        arch::write_barrier();
        ring->out_prod = prod + uint32_t(copied.value());
    }
    return long(copied.value());
}

// Drains the overflow buffer into the ring as far as it goes. Lock held.
bool flush_overflow() {
    while (overflow_length > 0) {
        size_t start = overflow_head;
        size_t run = overflow_length < kOverflowSize - start ? overflow_length : kOverflowSize - start;
        long n = push_to_ring(overflow + start, run);
        if (n < 0) return false;
        if (n == 0) break;
        overflow_head = (overflow_head + size_t(n)) % kOverflowSize;
        overflow_length -= size_t(n);
    }
    return true;
}

void append_to_overflow(const char* text, size_t length) {
    for (size_t i = 0; i < length; ++i) {
        if (overflow_length == kOverflowSize) {
            dropped += length - i;
            return;
        }
        overflow[(overflow_head + overflow_length) % kOverflowSize] = text[i];
        ++overflow_length;
    }
}

void flush_and_notify() {
    xen::EventMaskGuard masked;
    LockGuard guard(output_lock);
    if (!ring || broken || overflow_length == 0) return;
    size_t before = overflow_length;
    if (!flush_overflow()) {
        report_broken("output indices out of range");
        return;
    }
    // Only when output moved: xenconsoled answers every notification it acts on.
    if (!suspended && overflow_length != before) xen::notify(event_port);
}

}  // namespace

// Never blocks: what the ring cannot take yet (xenconsoled is slow, or not yet
// attached to a freshly restored domain) waits in the overflow buffer, in
// order, and goes out on the next write or when the backend signals progress.
void write(const char* text, size_t length) {
    if (!ring || broken) {
        dropped += length;
        return;
    }
    xen::EventMaskGuard masked;
    LockGuard guard(output_lock);
    if (!flush_overflow()) {
        dropped += length;
        report_broken("output indices out of range");
        return;
    }
    if (overflow_length == 0) {
        long n = push_to_ring(text, length);
        if (n < 0) {
            dropped += length;
            report_broken("output indices out of range");
            return;
        }
        text += n;
        length -= size_t(n);
    }
    append_to_overflow(text, length);
    if (!suspended) xen::notify(event_port);
}

namespace {

// The panic path. Every wait in it is bounded by one deadline for the whole
// panic, set at its first write, so a dead backend costs at most that once.
constexpr uint64_t kPanicOutputBudgetNs = 2'000'000'000ull;
constexpr uint64_t kPanicNotifyIntervalNs = 5'000'000ull;
constexpr unsigned kPanicLockSpins = 1u << 20;  // ~ms: a running holder finishes well within
uint64_t panic_deadline_ns = 0;
bool panic_lock_abandoned = false;  // a try-lock failed once: the holder is not coming back

uint64_t panic_now() { return clock::xen_system_time_ns(); }

bool panic_time_left() {
    if (panic_deadline_ns == 0) panic_deadline_ns = panic_now() + kPanicOutputBudgetNs;
    return panic_now() < panic_deadline_ns;
}

// Lets xenconsoled (in dom0, on the other physical CPUs) run until it moved
// out_cons, or the panic's time is up. False when no progress came.
bool wait_for_backend(uint32_t cons_before) {
    uint64_t next_notify = 0;
    while (panic_time_left()) {
        if (ring->out_cons != cons_before) return true;
        uint64_t now = panic_now();
        if (now >= next_notify) {
            xen::notify(event_port);
            next_notify = now + kPanicNotifyIntervalNs;
        }
        xen::yield();
    }
    return false;
}

bool try_lock_bounded(Spinlock& lock) {
    for (unsigned i = 0; i < kPanicLockSpins; ++i) {
        if (lock.try_lock()) return true;
        arch::cpu_relax();
    }
    return false;
}

// Pushes all of `data` into the ring, waiting for room as long as the panic's
// budget lasts. Returns how much did not fit (dropped), or -1 on bad indices.
long push_all_waiting(const char* data, size_t length) {
    while (length > 0) {
        uint32_t cons = ring->out_cons;
        long n = push_to_ring(data, length);
        if (n < 0) return -1;
        data += n;
        length -= size_t(n);
        if (length > 0 && n == 0 && !wait_for_backend(cons)) break;
    }
    return long(length);
}

}  // namespace

void panic_write(const char* text, size_t length) {
    if (!ring || broken) {
        (void)xen::console_io_write(text, unsigned(length));
        return;
    }
    // Without the lock (held by a stopped vCPU, or by the code that faulted on
    // this one) the overflow buffer may be half-updated: leave it alone and
    // write straight into the ring, which only this vCPU touches now.
    bool locked = !panic_lock_abandoned && try_lock_bounded(output_lock);
    if (!locked) panic_lock_abandoned = true;
    long left = 0;
    if (locked) {
        while (overflow_length > 0) {
            size_t start = overflow_head;
            size_t run = overflow_length < kOverflowSize - start ? overflow_length
                                                                 : kOverflowSize - start;
            long rest = push_all_waiting(overflow + start, run);
            if (rest < 0) break;
            size_t pushed = run - size_t(rest);
            overflow_head = (overflow_head + pushed) % kOverflowSize;
            overflow_length -= pushed;
            if (rest > 0) break;  // out of time: the new text still gets its turn
        }
    }
    left = push_all_waiting(text, length);
    if (left > 0) dropped += size_t(left);
    xen::notify(event_port);
    if (locked) output_lock.unlock();
    if (left < 0) {
        broken = true;
        (void)xen::console_io_write(text, unsigned(length));
    }
}

void hold_output_lock_for_panic_test() {
    (void)xen::mask_events();  // as write() holds it: a handler here would spin forever
    output_lock.lock();
}

void panic_drain(uint64_t timeout_ns) {
    if (!ring || broken) return;
    uint64_t deadline = panic_now() + timeout_ns;
    uint64_t next_notify = 0;
    while (panic_now() < deadline) {
        if (ring->out_cons == ring->out_prod) return;
        uint64_t now = panic_now();
        if (now >= next_notify) {
            xen::notify(event_port);
            next_notify = now + kPanicNotifyIntervalNs;
        }
        xen::yield();
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
        notify_unless_suspended();
    }
    return copied.value();
}

ErrorOr<size_t> read_line(char* out, size_t capacity, uint64_t deadline_ns) {
    if (capacity < 2) return Error::invalid_argument;
    for (;;) {
        for (size_t i = 0; i < pending_length; ++i) {
            char c = pending_line[i];
            if (c != '\n' && c != '\r' && i + 1 < capacity) continue;
            size_t n = i;  // a full buffer without terminator: return what fits
            if (c != '\n' && c != '\r') n = capacity - 1;
            for (size_t j = 0; j < n; ++j) out[j] = pending_line[j];
            out[n] = '\0';
            size_t consumed = (c == '\n' || c == '\r') ? i + 1 : n;
            for (size_t j = consumed; j < pending_length; ++j)
                pending_line[j - consumed] = pending_line[j];
            pending_length -= consumed;
            return n;
        }
        if (pending_length == sizeof(pending_line)) pending_length = 0;  // overlong: drop
        auto got = read(pending_line + pending_length, sizeof(pending_line) - pending_length);
        if (got.is_error()) return got.error();
        if (got.value() > 0) {
            pending_length += got.value();
            continue;
        }
        uint64_t now = clock::monotonic_ns();
        if (deadline_ns && now >= deadline_ns) return Error::timed_out;
        uint64_t slice = now + kInputPollNs;
        (void)input_ready.wait_if([] { return !input_available(); },
                                  deadline_ns && deadline_ns < slice ? deadline_ns : slice);
    }
}

size_t dropped_bytes() { return dropped; }

void resume_output(evtchn_port_t port) {
    {
        xen::EventMaskGuard masked;
        LockGuard guard(output_lock);
        event_port = port;
        suspended = false;
    }
    flush_and_notify();
    if (ring && !broken) xen::notify(event_port);
}

}  // namespace torpor::console
