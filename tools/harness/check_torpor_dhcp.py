#!/usr/bin/env python3
"""Asserts the torpor-dhcp scenario from torpor's console and dom0's clients.

usage: check_torpor_dhcp.py RESULTDIR

Every dom0 step exited 0; with no `ip` key from the backend the guest asked
DHCP and logged one address from udhcpd's pool (10.77.0.100-109), the one
dom0 pinged; after `xl migrate --live` (a resume into a new domain) the same
address answered ping and HTTP, and the guest never asked for another. An
empty, missing or cut-short RESULTDIR fails.
"""
import pathlib
import re
import sys

from harness_net import check_ping_http
from harness_results import (Checker, all_console_logs, check_boot_self_tests, check_no_panic,
                             check_serial, read_console, read_steps, read_text)

STEPS = ("create", "ready", "asked", "bound", "ping", "migrate-live", "resumed", "ping-after",
         "http-after", "shutdown")
POOL = re.compile(r"^10\.77\.0\.10\d$")


def check(c: Checker, results: pathlib.Path) -> None:
    c.check_scenario_ran(results)
    c.check_steps(read_steps(results), STEPS)
    log = re.sub(r"^\[[^]\n]*\] ", "", read_console(results, "dh"), flags=re.M)
    c.check(log, "guest console log collected")
    check_boot_self_tests(c, log)
    asked = re.findall(r"^net: vif0: no ip from the backend or the command line: asking DHCP$",
                       log, re.M)
    c.check(len(asked) == 1, f"asked DHCP once ({len(asked)} times)")
    ups = re.findall(r"^net: vif0 up mac=(\S+) ip=(\S+) netmask=(\S+) gw=(\S+) \((\w+)\)$", log,
                     re.M)
    leased = read_text(results / "dhcp_ip").strip()
    c.check(len(ups) == 1 and ups[0][4] == "dhcp" and POOL.match(ups[0][1]) and
            ups[0][1] == leased and ups[0][2] == "255.255.255.0" and ups[0][3] == "10.77.0.1",
            f"one DHCP address from the pool, the one dom0 used ({ups or 'none'}; dom0: "
            f"{leased or 'none'})")
    c.check(re.search(r"^suspend #1: resumed in a new domain", log, re.M),
            "migrate --live: resumed in a new domain")
    check_ping_http(c, results, pings=2, gets=1, body="")
    check_no_panic(c, all_console_logs(results))
    check_serial(c, results)


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    return Checker("torpor-dhcp").run(lambda c: check(c, pathlib.Path(sys.argv[1])))


if __name__ == "__main__":
    sys.exit(main())
