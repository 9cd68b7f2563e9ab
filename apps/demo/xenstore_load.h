#pragma once

namespace torpor::demo {

// demo=xsload: keeps xenstore busy from every vCPU so that a suspend finds
// requests in flight. Per vCPU a thread writes a key, reads it back and every
// 8th round commits a two-key transaction, with 1 ms between rounds; a watch
// on data/load (which dom0 rewrites flat out in the torpor-xenstore-load
// scenario) counts its events and reads the value. Once a second one line:
// "xsload: mono_ns=... events=... ops=... tx=... failures=... ..." with the
// client's counters. Every failed request is printed (the first 20).
void start_xenstore_load();

}  // namespace torpor::demo
