// Deliberate failures, to prove on the real hypervisor what a panic reports
// (tools/harness/scenarios/torpor-panic.sh). The guest option
// `panic_test=KIND` (xl `extra=`) makes a thread "panic-test" on the
// highest-numbered online vCPU fail that way once boot is done:
//   assert     a VERIFY() that does not hold
//   pagefault  a write to an unmapped address
//   overflow   unbounded recursion until its stack runs out
//   nested     a panic while the console's output lock is held, whose own
//              message faults while being formatted
//   wx         a write into the kernel's (read-only) text
// Without the option nothing happens.
#pragma once

namespace torpor::panic_test {

void start_if_requested();

}  // namespace torpor::panic_test
