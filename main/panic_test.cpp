#include "main/panic_test.h"

#include "base/assert.h"
#include "base/log.h"
#include "base/panic.h"
#include "drivers/console/pv_console.h"
#include "kernel/boot_options.h"
#include "kernel/cpu_local.h"
#include "kernel/smp/smp.h"

namespace torpor::panic_test {

namespace {

enum class Kind { none, verify, page_fault, overflow, nested, write_text };

volatile unsigned never_zero = 1;
// Unmapped in every torpor guest (only the top 2 GiB are), easy to spot in the report.
constexpr uintptr_t kUnmappedAddress = 0xdead000;
// Unmapped too: the bad string pointer the nested test hands to its panic.
constexpr uintptr_t kBadStringAddress = 0xbad0;

[[gnu::noinline]] void fail_verify() { VERIFY(never_zero == 0); }

[[gnu::noinline]] void fail_page_fault() { *reinterpret_cast<volatile uint64_t*>(kUnmappedAddress) = 42; }

volatile unsigned recursion_limit = ~0u;  // far beyond any stack

// 256 bytes of frame per call and no tail call: each level really takes stack.
[[gnu::noinline, gnu::optimize("no-optimize-sibling-calls")]] unsigned recurse(unsigned depth) {
    if (depth == recursion_limit) return 0;
    volatile char frame[256];
    frame[0] = char(depth);
    return recurse(depth + 1) + frame[0];
}

// The kernel's text is mapped read-only (linker.ld, protect_kernel_image).
[[gnu::noinline]] void fail_write_text() {
    auto* code = reinterpret_cast<volatile unsigned char*>(&fail_verify);
    *code = 0xcc;
}

[[gnu::noinline]] void fail_nested() {
    console::hold_output_lock_for_panic_test();
    kpanic("panic test: this message faults while being formatted: %s",
           reinterpret_cast<const char*>(kBadStringAddress));
}

void run(void* arg) {
    switch (static_cast<Kind>(reinterpret_cast<uintptr_t>(arg))) {
        case Kind::verify: fail_verify(); break;
        case Kind::page_fault: fail_page_fault(); break;
        case Kind::overflow: (void)recurse(0); break;
        case Kind::nested: fail_nested(); break;
        case Kind::write_text: fail_write_text(); break;
        case Kind::none: return;
    }
    kpanic("panic test: the deliberate failure did not happen");
}

Kind requested_kind(const boot_options::OptionValue& option) {
    if (option.is("assert")) return Kind::verify;
    if (option.is("pagefault")) return Kind::page_fault;
    if (option.is("overflow")) return Kind::overflow;
    if (option.is("nested")) return Kind::nested;
    if (option.is("wx")) return Kind::write_text;
    return Kind::none;
}

}  // namespace

void start_if_requested() {
    auto option = boot_options::find(boot_options::command_line(), "panic_test");
    if (!option.found) return;
    Kind kind = requested_kind(option);
    if (kind == Kind::none) {
        klog("panic_test: unknown kind \"%.*s\" (want assert, pagefault, overflow, nested or wx); "
             "ignored", int(option.length), option.text);
        return;
    }
    unsigned cpu = 0;
    for (unsigned i = 0; i < kMaxCpus; ++i)
        if (smp::is_online(i)) cpu = i;
    klog("panic_test: triggering \"%.*s\" in thread panic-test on vcpu %u", int(option.length),
         option.text, cpu);
    Error e = cpu_local(cpu).scheduler.spawn_detached(
        "panic-test", run, reinterpret_cast<void*>(uintptr_t(kind)));
    if (e != Error::none) klog("panic_test: cannot start the thread: %s", error_name(e));
}

}  // namespace torpor::panic_test
