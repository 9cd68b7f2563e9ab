// The host tests' verify_failed (kernel/lib/assert.h): the kernel panics; here
// the message goes to stderr and the process aborts, which death tests expect.
#include <cstdio>
#include <cstdlib>

#include "kernel/lib/assert.h"

namespace torpor {

void verify_failed(const char* kind, const char* condition, const char* file, int line,
                   const char* function) {
    std::fprintf(stderr, "%s(%s) failed at %s:%d in %s()\n", kind, condition, file, line,
                 function);
    std::abort();
}

}  // namespace torpor
