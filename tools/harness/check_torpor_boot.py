#!/usr/bin/env python3
"""Asserts, from torpor's own console log, what the torpor-boot scenario must show.

usage: check_torpor_boot.py RESULTDIR EXPECTED_VERSION
"""
import pathlib
import re
import sys

from harness_results import (Checker, all_console_logs, check_boot_self_tests, check_no_panic,
                             check_serial, read_console, read_steps, read_text)


def check(c: Checker, results: pathlib.Path, version: str) -> None:
    c.check_scenario_ran(results)
    steps = read_steps(results)
    c.check_steps(steps, ("create", "ready", "unknown_request", "unknown_logged", "shutdown", "gone"))

    log = read_console(results, "torpor")
    c.check(log, "guest console log collected")
    banner = re.search(
        r"^(?:\[[^]]*\] )?torpor (\S+): booted on Xen (\d+)\.(\d+) as domain (-?\d+), nr_pages=(\d+)", log, re.M)
    c.check(banner is not None, "boot banner printed")
    if banner:
        domid = read_text(results / "domid").strip()
        memory_mb = read_text(results / "memory_mb").strip()
        c.check(banner.group(1) == version, f"version {banner.group(1)} == {version}")
        c.check(banner.group(2) == "4" and banner.group(3) == "17",
                f"Xen version {banner.group(2)}.{banner.group(3)} == 4.17")
        c.check(banner.group(4) == domid,
                f"domain id printed with %d ({banner.group(4)}) == xl domid ({domid or 'missing'})")
        c.check(memory_mb.isdigit() and int(banner.group(5)) == int(memory_mb) * 256,
                f"nr_pages {banner.group(5)} == memory {memory_mb or 'missing'} MiB * 256")
    check_boot_self_tests(c, log)
    c.check("torpor: ready" in log, "ready line")
    c.check('unknown shutdown request "frobnicate" ignored' in log, "unknown request ignored")
    c.check("torpor: shutdown requested: poweroff" in log, "poweroff request handled")
    check_no_panic(c, all_console_logs(results))
    check_serial(c, results)


def main() -> int:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    c = Checker("torpor-boot")
    return c.run(lambda c: check(c, pathlib.Path(sys.argv[1]), sys.argv[2]))


if __name__ == "__main__":
    sys.exit(main())
