#!/usr/bin/env python3
"""Asserts the torpor-smp scenario from torpor's own console logs.

usage: check_torpor_smp.py RESULTDIR
"""
import pathlib
import re
import sys

from harness_results import Checker, read_console, read_steps, stamped_lines


def guest_lines(log: str) -> list:
    return [text for _, text in stamped_lines(log)]


def counters(lines: list) -> list:
    rows = []
    for line in lines:
        if line.startswith("counters:"):
            rows.append({int(c): int(v) for c, v in re.findall(r"cpu(\d+)=(\d+)", line)})
    return rows


def main() -> int:
    results = pathlib.Path(sys.argv[1])
    c = Checker("torpor-smp")
    steps = read_steps(results)
    c.check_steps(steps, ("create4", "selftest4", "counters4", "shutdown4", "create2", "ready2",
                          "counters2", "shutdown2"))

    four = guest_lines(read_console(results, "smp4"))
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
    rows = counters(four)
    c.check(len(rows) >= 2, f"counter reports: {len(rows)}")
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        c.check(sorted(b) == [0, 1, 2, 3], f"counters for cpus {sorted(b)}")
        c.check(all(b[k] > a.get(k, 0) for k in b), f"all counters advance: {a} -> {b}")

    two = guest_lines(read_console(results, "smp2"))
    c.check(any(re.search(r"booted on Xen .* vcpus=2 of 4$", l) for l in two),
            "maxvcpus=4, vcpus=2: exactly 2 online")
    rows = counters(two)
    c.check(bool(rows) and sorted(rows[-1]) == [0, 1], "counters only on cpu0 and cpu1")
    if len(rows) >= 2:
        c.check(all(rows[-1][k] > rows[-2].get(k, 0) for k in rows[-1]), "both counters advance")
    c.check("PANIC" not in "\n".join(four + two), "no panic")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
