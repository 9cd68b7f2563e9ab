// The one application linked into the kernel (apps/<name>/). It runs on the
// boot thread once every kernel service is up; if it returns, the kernel keeps
// serving control requests.
#pragma once

namespace torpor {

void app_main();

}  // namespace torpor
