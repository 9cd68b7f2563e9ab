#pragma once

namespace torpor::demo {

// Application state that must survive suspend/resume: a memory region whose
// checksum is compared after every resume, and a timer armed before each
// suspend that must fire after it. Prints what it observes.
void install_suspend_hooks();

}  // namespace torpor::demo
