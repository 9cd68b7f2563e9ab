#pragma once

namespace torpor::demo {

// demo=xsload: keeps xenstore busy from every vCPU so that a suspend finds
// requests in flight. Per vCPU a thread writes a key, reads it back and every
// 8th round commits a two-key transaction, with 3 ms between rounds; a watch
// on data/load (whose keys dom0 rewrites flat out in the torpor-xenstore-load
// scenario) counts its events and reads what changed. Once a second one line:
// "xsload: mono_ns=... events=... ops=... tx=... failures=... ..." with the
// client's counters. Every failed request is printed (the first 20); a key
// written just before a restore or migration and missing when read back is
// counted as vanished, not failed (a new domain's xenstore directory is new).
void start_xenstore_load();

}  // namespace torpor::demo
