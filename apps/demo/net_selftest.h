// A self-test of the demo's servers over lwIP's loopback interface, with no
// vif: a client thread holds several echo connections to 127.0.0.1:7 open at
// once and checks every byte that comes back, and while they are open sends
// HTTP requests on concurrent connections to 127.0.0.1:80 (GET /, a missing
// page, binary garbage, an oversized head) and checks each status and the
// page. Prints one line, "net: self-test LABEL PASS: ..." or
// "net: self-test LABEL FAIL: what", within a few seconds (each socket call
// is bounded by a 20 s timeout: the monotonic clock runs on while the
// domain is suspended, and a suspend may come in the middle of a run).
#pragma once

namespace torpor::demo {

// In a new thread; `label` (e.g. "at boot") is copied.
void start_net_self_test(const char* label);

// Runs the self-test again after every resume ("after resume #N").
void run_net_self_test_after_each_resume();

}  // namespace torpor::demo
