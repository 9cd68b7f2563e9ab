#pragma once

namespace torpor::demo {

// Application state that must survive suspend/resume: a memory region whose
// checksum is compared after every resume, and a timer armed before each
// suspend that must fire after it. Prints what it observes.
void install_suspend_hooks();

// In 500 ms, prints "app: LABEL A of O vcpus advanced: ..." (O: vCPUs
// online, A: those whose counter thread ran meanwhile). `label` is copied.
void check_vcpus_advance(const char* label);

}  // namespace torpor::demo
