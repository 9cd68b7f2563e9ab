#include "xen/p2m.h"

namespace xen {

P2m& p2m() {
    static P2m instance;
    return instance;
}

}  // namespace xen
