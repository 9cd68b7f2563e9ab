#!/usr/bin/env python3
"""Check the results of the linux-baseline scenario.

usage: check_linux_baseline.py RESULTDIR
RESULTDIR is the scenario's directory (run.sh's --out directory/linux-baseline)
or run.sh's --out directory itself.  Asserts:
  - the scenario exited 0, every step in steps.tsv has rc 0 and the required
    steps all ran;
  - the guest booted once ("linux-baseline ready" exactly once);
  - its counter, over all its console logs (guest-linux.log and the
    guest-linux--incoming.log of local migrations), never goes backwards,
    never repeats, has no gaps, and starts at 0;
  - after each operation the counter passed the value logged when the
    operation ended (ticks.tsv);
  - dom0 pinged it and fetched / over HTTP before and after the operations,
    and one TCP connection streamed through its echo port across all of them
    with every byte checked, the echo flowing in each operation's window and a
    gratuitous ARP after each resume in a new domain (harness_net.py);
  - no console log reports a kernel panic, and the serial log no Xen or dom0
    crash (nor a guest crashed by Xen during this scenario).
Prints PASS/FAIL lines and a closing "N passed, N failed"; exits 1 on failure.
"""
import pathlib
import re
import sys

from harness_net import check_client, check_ping_http
from harness_results import (Checker, all_console_logs, check_no_panic, check_serial,
                             console_files, read_steps)

SCENARIO = "linux-baseline"
REQUIRED_STEPS = ["create", "ready", "ping", "http", "net-connected", "save", "restore",
                  "restore-ticks", "restore-echo", "migrate-live", "migrate-live-ticks",
                  "migrate-live-echo", "ping-after", "http-after", "net-stop", "destroy"]
# The client's windows (the scenario's net_label calls); the guest resumes in
# a new domain in the first three.
NET_WINDOWS = ["save-restore", "migrate", "migrate-live", "save-c"]
NEW_DOMAIN_WINDOWS = ["save-restore", "migrate", "migrate-live"]
REQUIRED_OPS = ["restore", "migrate-live"]
TICK = re.compile(r"linux-baseline tick (\d+)")


def why(ok, detail):
    return "" if ok else " -- " + detail


def check_steps(c, d):
    rc = (d / "rc").read_text().strip() if (d / "rc").exists() else "missing"
    c.check(rc == "0", "scenario exit status 0" + why(rc == "0", "rc=" + rc))
    steps = read_steps(d)
    bad = ["%s rc=%s" % (n, r) for n, r in steps.items() if r != 0]
    ok = bool(steps) and not bad
    c.check(ok, "every step rc 0 (%d steps)" % len(steps)
            + why(ok, ", ".join(bad) or "no steps.tsv"))
    missing = [n for n in REQUIRED_STEPS if n not in steps]
    c.check(not missing, "required steps ran" + why(not missing, "missing " + ", ".join(missing)))


def check_counter(c, d):
    """Returns the set of tick values seen."""
    ready, all_ticks = 0, []
    logs = console_files(d, "linux")
    for path in logs:
        text = path.read_text(errors="replace")
        ready += text.count("linux-baseline ready")
        ticks = [int(n) for n in TICK.findall(text)]
        back = [(a, b) for a, b in zip(ticks, ticks[1:]) if b <= a]
        ok = ticks and not back  # the guest ran in every domain that logged
        c.check(ok, "%s: counter only increases (%d ticks%s)"
                % (path.name, len(ticks), ", %d..%d" % (ticks[0], ticks[-1]) if ticks else "")
                + why(ok, "goes from %d to %d" % back[0] if back else "no ticks"))
        all_ticks += ticks
    all_ticks.sort()
    c.check(bool(all_ticks), "guest console logs hold ticks"
            + why(bool(all_ticks), "logs: %s" % ([str(p) for p in logs] or "none")))
    c.check(ready == 1, "guest booted exactly once" + why(ready == 1, "'ready' seen %d times" % ready))
    if all_ticks:
        dups = sorted({a for a, b in zip(all_ticks, all_ticks[1:]) if a == b})
        gaps = ["%d->%d" % (a, b) for a, b in zip(all_ticks, all_ticks[1:]) if b > a + 1]
        c.check(all_ticks[0] == 0, "counter starts at 0"
                + why(all_ticks[0] == 0, "first tick %d" % all_ticks[0]))
        c.check(not dups, "no tick repeated across logs (no replay or reset)"
                + why(not dups, "repeated: %s" % dups[:10]))
        c.check(not gaps, "no tick missing (0..%d)" % all_ticks[-1]
                + why(not gaps, "gaps: " + ", ".join(gaps[:10])))
    return set(all_ticks)


def check_operations(c, d, seen):
    path = d / "ticks.tsv"
    rows = [l.split("\t") for l in path.read_text().splitlines()[1:]] if path.exists() else []
    prev_after = -1
    for name, before, end, after in ((r[0], *map(int, r[1:4])) for r in rows if len(r) >= 4):
        ok = prev_after <= before <= end < after and after in seen
        c.check(ok, "counter advanced after %s (before %d, at its end %d, then %d)"
                % (name, before, end, after)
                + why(ok, "expected %d <= before <= end < after, after logged" % prev_after))
        prev_after = after
    missing = [n for n in REQUIRED_OPS if n not in [r[0] for r in rows]]
    c.check(not missing, "counter checked after every required operation"
            + why(not missing, "missing " + ", ".join(missing)))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = pathlib.Path(sys.argv[1])
    if (d / SCENARIO / "steps.tsv").exists():
        d = d / SCENARIO
    def check(c):
        check_steps(c, d)
        seen = check_counter(c, d)
        check_operations(c, d, seen)
        check_ping_http(c, d, pings=2, gets=2, body="linux-baseline")
        check_client(c, d, NET_WINDOWS, NEW_DOMAIN_WINDOWS)
        check_no_panic(c, all_console_logs(d))
        check_serial(c, d)
    return Checker(SCENARIO).run(check)


if __name__ == "__main__":
    sys.exit(main())
