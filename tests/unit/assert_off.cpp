// Built as if with TORPOR_ASSERTS=OFF: ASSERT must not evaluate (nor fail on)
// its condition, while VERIFY still does.
#define TORPOR_NO_ASSERTS 1
#include "base/assert.h"

int assert_off_evaluations() {
    int evaluated = 0;
    ASSERT(++evaluated == 42);  // false, with a side effect: neither may happen
    VERIFY(evaluated == 0);
    return evaluated;
}
