// The xenbus frontends' Store (drivers/xenbus/store.h) on the kernel's
// xenstore client (drivers/xenstore/client.h). It lives in the composition root
// because drivers never include each other. Not used yet: no frontend runs in
// the kernel so far (see README, "PV block/net frontends").
#pragma once
#include "drivers/xenbus/store.h"

namespace torpor {

// The one instance; every call forwards to xenstore::. Watch callbacks arrive on
// the xenstore watch thread: a frontend's owner must serialise them with its
// own calls into the Frontend (drivers/xenbus/frontend.h).
xenbus::Store& xenstore_backed_store();

}  // namespace torpor
