#!/usr/bin/env python3
"""Asserts the torpor-core scenario from torpor's own console log.

usage: check_torpor_core.py RESULTDIR
"""
import pathlib
import re
import sys

from harness_results import (HEARTBEAT as BEAT, Checker, read_console, read_steps,
                             stamped_lines, wall_clock_offset)

PERIOD_NS = 100_000_000


def boots(log: str) -> list:
    """Splits the log into one list of (timestamp, text) per boot."""
    runs = []
    for stamp, text in stamped_lines(log):
        if "booted on Xen" in text:
            runs.append([])
        if runs:  # lines before the first banner (xenconsoled's own) are not the guest's
            runs[-1].append((stamp, text))
    return runs


def main() -> int:
    results = pathlib.Path(sys.argv[1])
    c = Checker("torpor-core")
    steps = read_steps(results)
    c.check_steps(steps, ("create", "ready", "ping", "ping_seen", "console_input", "console_echo",
                          "invalidate", "stale_wait", "unknown_request", "unknown_logged",
                          "reboot", "rebooted", "ready_again", "shutdown", "gone"))

    log = read_console(results, "core")
    runs = boots(log)
    c.check(len(runs) >= 2, f"two boots (before and after xl reboot): {len(runs)}")
    first = runs[0] if runs else []
    texts = [t for _, t in first]

    window = (results / "heartbeat_window").read_text().split()
    b0, b1, ms = int(window[0]), int(window[1]), int(window[2])
    c.check(b1 - b0 >= 25 * ms / 5000, f"{b1 - b0} beats in {ms} ms of dom0 time (>= 25 per 5 s)")

    beats = [(s, BEAT.match(t)) for s, t in first if BEAT.match(t)]
    monos = [int(m.group(2)) for _, m in beats]
    deltas = [b - a for a, b in zip(monos, monos[1:])]
    c.check(len(deltas) > 10 and min(deltas) >= PERIOD_NS,
            f"no beat early: min delta {min(deltas) if deltas else None} ns over {len(deltas)}")
    c.check([int(m.group(1)) for _, m in beats] == list(range(len(beats))), "beats numbered 0..n")
    worst = 0.0
    for stamp, m in beats:
        worst = max(worst, abs(wall_clock_offset(stamp, int(m.group(3)))))
    c.check(beats and worst <= 2.5, f"wall clock within 2 s of dom0's (worst |offset| {worst:.2f} s)")

    c.check('watch data/ping fired: value="hello"' in texts, "watch fired with dom0's value")
    tx = next((t for t in texts if t.startswith("transaction committed:")), None)
    c.check(tx is not None, f"transaction committed: {tx}")
    if tx:
        a = re.search(r"data/tx-a=(\S+)", tx).group(1)
        b = re.search(r"data/tx-b=(\S+)", tx).group(1)
        da = (results / "tx-a").read_text().strip()
        db = (results / "tx-b").read_text().strip()
        c.check(da == a and db == b, f"dom0 reads both keys: {da} {db}")
    c.check('console: echo "hello torpor"' in texts, "console input reached the application")
    c.check(any(re.match(r'event-wait: port \d+ returned "stale handle"', t) for t in texts),
            "waiter on an invalidated handle got an error instead of hanging")
    c.check('torpor: unknown shutdown request "frobnicate" ignored' in texts, "unknown request ignored")
    c.check("torpor: shutdown requested: reboot" in texts, "reboot handled through the watch")
    if len(runs) >= 2:
        second = [t for _, t in runs[1]]
        banner = re.search(r"as domain (\d+)", second[0])
        after = int((results / "domid_after_reboot").read_text().strip() or -1)
        c.check(banner and int(banner.group(1)) == after, f"rebooted domain is {after}")
        c.check("torpor: shutdown requested: poweroff" in second, "poweroff handled after reboot")
    c.check("PANIC" not in log, "no panic")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
