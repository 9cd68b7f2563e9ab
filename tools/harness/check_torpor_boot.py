#!/usr/bin/env python3
"""Asserts, from torpor's own console log, what the torpor-boot scenario must show.

usage: check_torpor_boot.py RESULTDIR EXPECTED_VERSION
"""
import pathlib
import re
import sys

from harness_results import Checker, read_steps, read_console


def main() -> int:
    results = pathlib.Path(sys.argv[1])
    version = sys.argv[2]
    c = Checker("torpor-boot")
    steps = read_steps(results)
    c.check_steps(steps, ("create", "ready", "unknown_request", "unknown_logged", "shutdown", "gone"))

    log = read_console(results, "torpor")
    c.check(bool(log), "guest console log collected")
    banner = re.search(
        r"^(?:\[[^]]*\] )?torpor (\S+): booted on Xen (\d+)\.(\d+) as domain (-?\d+), nr_pages=(\d+)", log, re.M)
    c.check(banner is not None, "boot banner printed")
    if banner:
        domid = int((results / "domid").read_text().strip())
        memory_mb = int((results / "memory_mb").read_text().strip())
        c.check(banner.group(1) == version, f"version {banner.group(1)} == {version}")
        c.check(banner.group(2) == "4" and banner.group(3) == "17",
                f"Xen version {banner.group(2)}.{banner.group(3)} == 4.17")
        c.check(int(banner.group(4)) == domid,
                f"domain id printed with %d ({banner.group(4)}) == xl domid ({domid})")
        c.check(int(banner.group(5)) == memory_mb * 256,
                f"nr_pages {banner.group(5)} == memory {memory_mb} MiB * 256")
    c.check("torpor: ready" in log, "ready line")
    c.check('unknown shutdown request "frobnicate" ignored' in log, "unknown request ignored")
    c.check("torpor: shutdown requested: poweroff" in log, "poweroff request handled")
    c.check("PANIC" not in log, "no panic")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
