#!/usr/bin/env python3
"""Asserts, from the guest's console and `xl list`, what the torpor-memory scenario must show:
a torpor whose `memory =` is more than half of Xen's free memory live-migrates locally while its
app allocates and frees, and honours `xl mem-set` down (mallocs fail with NULL, the guest carries
on, Xen's count stays at the target) and up (it grows again).

usage: check_torpor_memory.py RESULTDIR
"""
import pathlib
import re
import sys

from harness_results import (Checker, all_console_logs, check_no_panic, check_serial, read_console,
                             read_steps, read_text)

STEPS = ("create", "ready", "reclaimed", "memload-after-rest", "memload", "list-before",
         "migrate-live", "resumed",
         "memload-after-migrate", "memset-down", "target-down", "null", "memload-down", "list-down",
         "memset-up", "target-up", "memload-up", "list-up", "destroy")


def listed_mib(results: pathlib.Path, name: str) -> int:
    """The Mem column of `xl list NAME` saved by the scenario, or -1."""
    rows = read_text(results / name).splitlines()
    fields = rows[1].split() if len(rows) > 1 else []
    return int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else -1


def number(results: pathlib.Path, name: str) -> int:
    text = read_text(results / name).strip()
    return int(text) if text.isdigit() else 0


def check(c: Checker, results: pathlib.Path) -> None:
    c.check_scenario_ran(results)
    c.check_steps(read_steps(results), STEPS)
    free_mb, memory_mb, down_mb = (number(results, n) for n in ("free_mb", "memory_mb", "down_mb"))
    c.check(free_mb > 0 and memory_mb * 2 > free_mb,
            f"memory = {memory_mb} MiB is more than half of Xen's {free_mb} MiB free")
    # Lines may carry the console daemon's timestamp.
    log = re.sub(r"^\[[^]\n]*\] ", "", read_console(results, "mem"), flags=re.M)
    c.check(log, "guest console log collected")
    gave = re.search(r"^memory: free memory lives in Xen: gave (\d+) frames.*holding (\d+) frames",
                     log, re.M)
    c.check(gave is not None and int(gave.group(1)) >= memory_mb * 256 // 2,
            f"gave {gave.group(1) if gave else 'no'} frames back at boot (of {memory_mb * 256})")
    before = listed_mib(results, "list-before.txt")
    c.check(0 < before < memory_mb // 2,
            f"xl list before the migration: {before} MiB held of {memory_mb}")
    reports = re.findall(r"^memload: rounds=(\d+) chunks=(\d+) live_kib=(\d+) nulls=(\d+) "
                         r"corrupt=(\d+) peak_kib=(\d+)$", log, re.M)
    c.check(len(reports) >= 12, f"{len(reports)} memload reports (>= 12)")
    c.check(reports and all(r[4] == "0" for r in reports), "memload: no chunk ever corrupt")
    rounds = [int(r[0]) for r in reports]
    c.check(len(rounds) > 1 and rounds[-1] > rounds[0] and rounds == sorted(rounds),
            f"memload rounds advance across the migration ({rounds[0] if rounds else '?'}.."
            f"{rounds[-1] if rounds else '?'})")
    c.check(re.search(r"^suspend #1: resumed in a new domain", log, re.M),
            "migrate --live: resumed in a new domain")
    down = re.search(rf"^memory: target {down_mb * 1024} KiB: .*$", log, re.M)
    c.check(down_mb and down is not None, f"mem-set down logged ({down.group(0) if down else 'missing'})")
    nulls = re.findall(r"^memload: malloc\(1048576\) returned NULL", log, re.M)
    refused = re.findall(r"^memory: Xen has no memory for .*$", log, re.M)
    c.check(nulls and refused, f"{len(nulls)} mallocs returned NULL, {len(refused)} refusals "
                               "logged by the kernel")
    mib_down = listed_mib(results, "list-down.txt")
    # libxl lets Xen hold the target plus LIBXL_MAXMEM_CONSTANT (1 MiB), and
    # what the guest said it could not give back because it was in use.
    over = re.search(rf"^memory: target {down_mb * 1024} KiB: gave back \d+ frames, still holding "
                     r"\d+ frames \((\d+) KiB over the target: in use, cannot go\)$", log, re.M)
    over_mb = -(-int(over.group(1)) // 1024) if over else 0
    c.check(0 < mib_down <= down_mb + 1 + over_mb,
            f"xl list after mem-set {down_mb}m: {mib_down} MiB (<= {down_mb} + 1 + {over_mb} in use)")
    # The target back up (the last such line; the first is the boot's): after
    # it the load gets its whole 16 MiB again and no allocation is refused.
    ups = list(re.finditer(rf"^memory: target {memory_mb * 1024} KiB: .*$", log, re.M))
    downs = list(re.finditer(rf"^memory: target {down_mb * 1024} KiB: .*$", log, re.M))
    up = ups[-1] if ups and downs and ups[-1].start() > downs[-1].start() else None
    c.check(up is not None, f"mem-set up logged after the mem-set down "
                            f"({up.group(0) if up else 'missing'})")
    after_up = log[up.end():] if up else ""
    peaks = [int(m.group(1)) for m in re.finditer(r"^memload: rounds=.* peak_kib=(\d+)$", after_up,
                                                   re.M)]
    refused = re.findall(r"^memload: malloc\(1048576\) returned NULL", after_up, re.M)
    c.check(peaks and max(peaks) >= 16 * 1024 and not refused,
            f"after mem-set up: memload back to {max(peaks, default=0)} KiB at its peak, "
            f"{len(refused)} NULLs")
    mib_up = listed_mib(results, "list-up.txt")
    c.check(mib_up >= mib_down, f"xl list after mem-set up: {mib_up} MiB (at least {mib_down})")
    # The peak since the previous report: a report's own live_kib is a sample.
    full = [r for r in reports if int(r[5]) >= 16 * 1024]
    c.check(full, "memload reached its 16 MiB at some point")
    # The load's rest: what stayed free for a whole reclaim period went back
    # to Xen (beyond the 4 MiB reserve: most of the load's 16 MiB), and the
    # next rounds populated it again without a NULL or a corrupt chunk.
    rest = re.search(r"^memload: resting \d+ s with nothing allocated.*$", log, re.M)
    after_rest = log[rest.end():] if rest else ""
    idle = re.search(r"^memory: gave back (\d+) frames unused for \d+ s, holding (\d+) frames.*$",
                     after_rest, re.M)
    c.check(idle is not None and int(idle.group(1)) >= 2048,
            f"idle memory given back during the load's rest ({idle.group(0) if idle else 'missing'})")
    after_idle = after_rest[idle.end():] if idle else ""
    refilled = [r for r in re.findall(r"^memload: rounds=.* nulls=(\d+) corrupt=(\d+) "
                                      r"peak_kib=(\d+)$", after_idle, re.M)]
    c.check(refilled and max(int(r[2]) for r in refilled) >= 16 * 1024
            and all(r[1] == "0" for r in refilled),
            f"after the rest the load got its 16 MiB again ({len(refilled)} reports)")
    check_no_panic(c, all_console_logs(results))
    check_serial(c, results)


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    c = Checker("torpor-memory")
    return c.run(lambda c: check(c, pathlib.Path(sys.argv[1])))


if __name__ == "__main__":
    sys.exit(main())
