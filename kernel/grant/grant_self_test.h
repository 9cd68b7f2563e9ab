// Boot-time check of the grant table (after xen::grant_table::init): grants a
// page read-only to domain 0, reads the entry back, revokes it and checks the
// ref is free again. Logs one line through klog and returns what went wrong.
#pragma once
#include "base/error.h"

namespace torpor::grant {

Error run_self_test();

}  // namespace torpor::grant
