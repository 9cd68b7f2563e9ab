#!/usr/bin/env python3
"""Asserts the torpor-smp scenario from torpor's own console logs.

usage: check_torpor_smp.py RESULTDIR
"""
import pathlib
import re
import sys

from harness_results import (Checker, all_console_logs, check_boot_self_tests, check_no_panic,
                             check_serial, read_console, read_steps, stamped_lines)


def guest_lines(log: str) -> list:
    return [text for _, text in stamped_lines(log)]


def counters(lines: list) -> list:
    rows = []
    for line in lines:
        if line.startswith("counters:"):
            rows.append({int(c): int(v) for c, v in re.findall(r"cpu(\d+)=(\d+)", line)})
    return rows


def check_counters(c: Checker, rows: list, cpus: list, what: str) -> None:
    """The last two counter reports name exactly `cpus` and every one advanced."""
    c.check(len(rows) >= 2, f"{what}: counter reports: {len(rows)} (>= 2)")
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        c.check(sorted(b) == cpus, f"{what}: counters for cpus {sorted(b)} == {cpus}")
        c.check(b and all(b[k] > a.get(k, 0) for k in b), f"{what}: all counters advance: {a} -> {b}")


def check(c: Checker, results: pathlib.Path) -> None:
    c.check_scenario_ran(results)
    steps = read_steps(results)
    c.check_steps(steps, ("create4", "selftest4", "counters4", "shutdown4", "create2", "ready2",
                          "counters2", "shutdown2"))

    log4 = read_console(results, "smp4")
    four = guest_lines(log4)
    c.check(any(re.search(r"booted on Xen .* vcpus=4 of 4$", l) for l in four), "4 of 4 vCPUs online")
    for cpu in (1, 2, 3):
        c.check(f"smp: vcpu {cpu} up" in four, f"vcpu {cpu} reported its id")
    pairs = [l for l in four if l.startswith("ipi ping-pong")]
    complete = [l for l in pairs if re.search(r": 1000 round trips in \d+ us$", l)]
    c.check(len(pairs) == 6 and len(complete) == 6,
            f"1000 IPI round trips for all 6 pairs ({len(complete)} of {len(pairs)})")
    for l in pairs:
        print(f"  {l}")
    pause = next((l for l in four if l.startswith("pause test:")), "")
    print(f"  {pause}")
    c.check(pause == "pause test: 100 rounds, 100 saw all 3 other vcpus parked, 100 with their "
            "counters frozen, 100 resumed all", "100 pauses: all parked, frozen, resumed")
    check_counters(c, counters(four), [0, 1, 2, 3], "4 vCPUs")

    log2 = read_console(results, "smp2")
    two = guest_lines(log2)
    c.check(any(re.search(r"booted on Xen .* vcpus=2 of 4$", l) for l in two),
            "maxvcpus=4, vcpus=2: exactly 2 online")
    check_counters(c, counters(two), [0, 1], "maxvcpus=4, vcpus=2")
    check_boot_self_tests(c, log4)
    check_boot_self_tests(c, log2)
    check_no_panic(c, all_console_logs(results))
    check_serial(c, results)


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    return Checker("torpor-smp").run(lambda c: check(c, pathlib.Path(sys.argv[1])))


if __name__ == "__main__":
    sys.exit(main())
