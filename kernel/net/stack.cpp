#include "kernel/net/stack.h"

#include <lwip/init.h>
#include <lwip/tcpip.h>

#include "base/log.h"
#include "kernel/sync/completion.h"
#include "kernel/time/clock.h"

namespace torpor::net {
namespace {

constexpr uint64_t kStartDeadlineNs = 5'000'000'000;

// Static: if the wait times out, lwIP may still complete it later.
Completion initialised;
bool start_called = false;  // set once, atomically

void on_tcpip_initialised(void*) { initialised.complete(); }

}  // namespace

Error start_stack() {
    if (__atomic_exchange_n(&start_called, true, __ATOMIC_ACQ_REL)) {
        // A later caller waits for the first one's outcome.
        Error e = initialised.wait(clock::monotonic_ns() + kStartDeadlineNs);
        return e == Error::none ? Error::none : Error::timed_out;
    }
    tcpip_init(on_tcpip_initialised, nullptr);
    Error e = initialised.wait(clock::monotonic_ns() + kStartDeadlineNs);
    if (e != Error::none) {
        klog("net: lwIP's tcpip thread did not start within 5 s");
        return e;
    }
    klog("net: lwIP %s tcpip thread running", LWIP_VERSION_STRING);
    return Error::none;
}

bool stack_running() { return initialised.is_complete(); }

}  // namespace torpor::net
