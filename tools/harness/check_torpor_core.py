#!/usr/bin/env python3
"""Asserts the torpor-core scenario from torpor's own console log.

usage: check_torpor_core.py RESULTDIR
"""
import pathlib
import re
import sys

from harness_results import (HEARTBEAT as BEAT, Checker, all_console_logs, check_boot_self_tests,
                             check_no_panic, check_serial, check_wall_clock, read_console,
                             read_steps, read_text, stamped_lines)

PERIOD_NS = 100_000_000
# The scenario counts heartbeats over `sleep 5` of dom0 time: at least 25 of
# the 50 a 100 ms beat gives (the guest competes with dom0 for 2 emulated CPUs).
WINDOW_MIN_MS = 4500
MIN_BEATS_PER_5S = 25
NET_LISTENING = ("net: echo listening on port 7", "net: http listening on port 80")
NET_SELF_TEST_PASS = re.compile(r"net: self-test at boot PASS: (\d+) concurrent echo connections "
                                r"\((\d+) bytes checked\), http 200/404/400/400")
NET_SELF_TEST_FAIL = re.compile(r"net: self-test .*FAIL.*")


def boots(log: str) -> list:
    """Splits the log into one list of (timestamp, text) per boot."""
    runs = []
    for stamp, text in stamped_lines(log):
        if "booted on Xen" in text:
            runs.append([])
        if runs:  # lines before the first banner (xenconsoled's own) are not the guest's
            runs[-1].append((stamp, text))
    return runs


def check_heartbeat(c: Checker, results: pathlib.Path, first: list) -> None:
    window = read_text(results / "heartbeat_window").split()
    if c.check(len(window) == 3 and all(w.isdigit() for w in window),
               f"heartbeat window recorded: {window}"):
        b0, b1, ms = map(int, window)
        c.check(ms >= WINDOW_MIN_MS and b1 - b0 >= MIN_BEATS_PER_5S * ms / 5000,
                f"{b1 - b0} beats in {ms} ms of dom0 time (>= {MIN_BEATS_PER_5S} per 5 s, "
                f"window >= {WINDOW_MIN_MS} ms)")

    beats = [(s, m) for s, t in first if (m := BEAT.match(t))]
    monos = [int(m.group(2)) for _, m in beats]
    deltas = [b - a for a, b in zip(monos, monos[1:])]
    c.check(len(deltas) >= MIN_BEATS_PER_5S and min(deltas) >= PERIOD_NS,
            f"no beat early: min delta {min(deltas, default=None)} ns over {len(deltas)} "
            f"(>= {MIN_BEATS_PER_5S})")
    numbers = [int(m.group(1)) for _, m in beats]
    c.check(len(numbers) >= MIN_BEATS_PER_5S and numbers == list(range(len(numbers))),
            f"beats numbered 0..{len(numbers) - 1}, none lost or repeated (>= {MIN_BEATS_PER_5S})")
    check_wall_clock(c, beats)


def check_net_servers(c: Checker, log: str, runs: list) -> None:
    """Both servers listen and the loopback self-test passes in the first boot
    (concurrent echo connections with their bytes checked, the HTTP statuses);
    no self-test fails in any boot."""
    texts = [t for _, t in runs[0]] if runs else []
    for line in NET_LISTENING:
        c.check(line in texts, f"first boot: {line}")
    passed = [m for t in texts if (m := NET_SELF_TEST_PASS.match(t))]
    c.check(len(passed) == 1 and int(passed[0].group(1)) >= 2 and int(passed[0].group(2)) > 0,
            f"first boot: network self-test over loopback passed once: "
            f"{passed[0].group(0) if passed else None}")
    failed = NET_SELF_TEST_FAIL.search(log)
    c.check(not failed, f"no network self-test failed: {failed.group(0) if failed else 'none'}")


def check(c: Checker, results: pathlib.Path) -> None:
    c.check_scenario_ran(results)
    steps = read_steps(results)
    c.check_steps(steps, ("create", "ready", "ping", "ping_seen", "console_input", "console_echo",
                          "invalidate", "stale_wait", "unknown_request", "unknown_logged",
                          "reboot", "rebooted", "ready_again", "shutdown", "gone"))

    log = read_console(results, "core")
    runs = boots(log)
    c.check(len(runs) >= 2, f"two boots (before and after xl reboot): {len(runs)}")
    check_boot_self_tests(c, log)
    first = runs[0] if runs else []
    texts = [t for _, t in first]
    check_heartbeat(c, results, first)
    check_net_servers(c, log, runs)

    c.check('watch data/ping fired: value="hello"' in texts, "watch fired with dom0's value")
    tx = next((t for t in texts if t.startswith("transaction committed:")), None)
    c.check(tx is not None, f"transaction committed: {tx}")
    if tx:
        a = re.search(r"data/tx-a=(\S+)", tx)
        b = re.search(r"data/tx-b=(\S+)", tx)
        da = read_text(results / "tx-a").strip()
        db = read_text(results / "tx-b").strip()
        c.check(a and b and da == a.group(1) and db == b.group(1), f"dom0 reads both keys: {da} {db}")
    c.check('console: echo "hello torpor"' in texts, "console input reached the application")
    c.check(any(re.match(r'event-wait: port \d+ returned "stale handle"', t) for t in texts),
            "waiter on an invalidated handle got an error instead of hanging")
    c.check('torpor: unknown shutdown request "frobnicate" ignored' in texts, "unknown request ignored")
    c.check("torpor: shutdown requested: reboot" in texts, "reboot handled through the watch")
    if len(runs) >= 2:
        second = [t for _, t in runs[1]]
        banner = re.search(r"as domain (\d+)", second[0])
        after = read_text(results / "domid_after_reboot").strip()
        c.check(banner and banner.group(1) == after, f"rebooted domain is {after or 'missing'}")
        c.check("torpor: shutdown requested: poweroff" in second, "poweroff handled after reboot")
    check_no_panic(c, all_console_logs(results))
    check_serial(c, results)


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    return Checker("torpor-core").run(lambda c: check(c, pathlib.Path(sys.argv[1])))


if __name__ == "__main__":
    sys.exit(main())
