#include "kernel/cpu_local.h"

#include "xen/hypercalls.h"

namespace torpor {

namespace {
// constinit: GS points here before global constructors run.
constinit CpuLocal cpus[kMaxCpus];
bool installed = false;
}

bool cpu_local_ready() { return __atomic_load_n(&installed, __ATOMIC_ACQUIRE); }

CpuLocal& cpu_local(unsigned vcpu_id) { return cpus[vcpu_id]; }

Error prepare_cpu_local(unsigned vcpu_id) {
    if (vcpu_id >= kMaxCpus) return Error::invalid_argument;
    CpuLocal& c = cpus[vcpu_id];
    c.base.self = &c.base;
    c.base.vcpu_id = vcpu_id;
    return Error::none;
}

Error install_cpu_local(unsigned vcpu_id) {
    TRY(prepare_cpu_local(vcpu_id));
    CpuLocal& c = cpus[vcpu_id];
    // In a 64-bit PV guest the kernel's GS base is set through Xen
    // (SEGBASE_GS_KERNEL, xen/arch-x86/xen-x86_64.h).
    if (xen::set_segment_base(SEGBASE_GS_KERNEL, reinterpret_cast<unsigned long>(&c)))
        return Error::hypercall_failed;
    __atomic_store_n(&installed, true, __ATOMIC_RELEASE);
    return Error::none;
}

}  // namespace torpor
