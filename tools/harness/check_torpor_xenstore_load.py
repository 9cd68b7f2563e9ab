#!/usr/bin/env python3
"""Asserts the torpor-xenstore-load scenario from torpor's own console output.

usage: check_torpor_xenstore_load.py RESULTDIR

Every dom0 step and xl operation exited 0; the guest suspended and resumed for
each operation (told cancelled only for save -c); it counted watch events on
data/load before each operation and more than a re-registration's worth after
it (the dom0 writers reached the resumed domain); each suspend breakdown has the
xenstore quiesce time and xenstore logged how much was in flight at the freeze
(at least once something was); no quiesce gave up, no suspend step failed, no
xenstore request failed, no panic. An empty or missing RESULTDIR fails.
"""
import pathlib
import re
import sys

from harness_results import Checker, console_lines_without_replay, read_steps

GUEST = "xl"
XSLOAD = re.compile(r"^xsload: mono_ns=(\d+) events=(\d+) .*failures=(\d+) ")
SUSPENDING = re.compile(r"^app: suspending \(#(\d+)\) at mono_ns=(\d+)$")
RESUMED = re.compile(r"^app: resumed \(#(\d+)\) cancelled=(\d) downtime_ms=(\d+) mono_ns=(\d+) ")
QUIESCED = re.compile(r"^xenstore: quiesced in (\d+) us \(at the freeze (\d+) requests in flight "
                      r"and (\d+) transactions open; drained in (\d+) us\)$")
# The re-registered watch fires once by itself: more than this shows dom0's writes arriving.
MIN_EVENTS_AFTER = 10


def read_ops(results: pathlib.Path) -> list:
    path = results / "ops.tsv"
    if not path.exists():
        return []
    ops = []
    for line in path.read_text().splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) == 4 and parts[0].isdigit():
            ops.append((int(parts[0]), parts[1], parts[2] == "1", int(parts[3])))
    return ops


def events_at(reports: list, mono: int) -> int:
    """The event count on the last report at or before `mono` (0 before any)."""
    count = 0
    for t, events in reports:
        if t > mono:
            break
        count = events
    return count


def main() -> int:
    results = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path("/nonexistent")
    c = Checker("torpor-xenstore-load")
    steps = read_steps(results)
    bad = {n: rc for n, rc in steps.items() if rc != 0}
    c.check(len(steps) > 0 and not bad, f"{len(steps)} dom0 steps, failures: {bad or 'none'}")
    for name in ("create", "save", "restore", "checkpoint", "migrate-live", "shutdown"):
        c.check(steps.get(name) == 0, f"step {name} rc={steps.get(name)}")

    ops = read_ops(results)
    c.check([op for _, op, _, _ in ops] == ["save-restore", "save-c", "migrate-live"],
            f"operations run: {[op for _, op, _, _ in ops] or 'none'}")

    # A live migration can print a line twice (sender and --incoming log).
    lines = console_lines_without_replay(results, GUEST)
    text = "\n".join(lines)
    c.check(len(lines) > 0, f"{len(lines)} console lines from the guest")
    # Both console logs (sender and --incoming) in the guest's own time order:
    # its monotonic clock runs on across every suspend and host.
    reports = sorted((int(m.group(1)), int(m.group(2))) for m in map(XSLOAD.match, lines) if m)
    failures = [int(m.group(3)) for m in map(XSLOAD.match, lines) if m]
    suspending = {int(m.group(1)): int(m.group(2)) for m in map(SUSPENDING.match, lines) if m}
    resumed = {int(m.group(1)): m for m in map(RESUMED.match, lines) if m}
    c.check(len(reports) >= 5, f"{len(reports)} xsload reports")

    previous_resume = 0
    quiesce_us = []
    for k, op, cancelled, rc in ops:
        what = f"#{k} {op}"
        c.check(rc == 0, f"{what}: xl rc {rc}")
        res = resumed.get(k)
        if k not in suspending or res is None:
            c.check(False, f"{what}: suspend and resume reported")
            continue
        c.check(res.group(2) == ("1" if cancelled else "0"),
                f"{what}: resumed, told cancelled={res.group(2)}, downtime {res.group(3)} ms")
        outcome = re.search(rf"^suspend #{k}: (resumed in a new domain|cancelled) ", text, re.M)
        c.check(outcome is not None and (outcome.group(1) == "cancelled") == cancelled,
                f"{what}: suspend outcome {outcome.group(1) if outcome else 'missing'}")
        suspend_mono, resume_mono = suspending[k], int(res.group(4))
        before = events_at(reports, suspend_mono) - events_at(reports, previous_resume)
        c.check(before > 0, f"{what}: {before} watch events since the previous resume, "
                            "before this suspend")
        next_suspend = suspending.get(k + 1, 1 << 63)
        after = events_at(reports, next_suspend) - events_at(reports, resume_mono)
        c.check(after > MIN_EVENTS_AFTER, f"{what}: {after} watch events after the resume "
                                          f"(more than {MIN_EVENTS_AFTER})")
        previous_resume = resume_mono
        path = re.search(rf"^suspend #{k} path \(us\):.* xenstore=(\d+) .*total=\d+$", text, re.M)
        c.check(path is not None, f"{what}: quiesce time in the suspend breakdown "
                                  f"(xenstore={path.group(1) if path else 'missing'} us)")
        if path:
            quiesce_us.append(int(path.group(1)))

    quiesced = [m for m in map(QUIESCED.match, lines) if m]
    c.check(len(quiesced) == len(ops) > 0,
            f"{len(quiesced)} xenstore quiesce reports for {len(ops)} operations")
    in_flight = [(int(m.group(2)), int(m.group(3))) for m in quiesced]
    c.check(any(r + t > 0 for r, t in in_flight),
            f"requests or transactions were in flight at the freeze (requests, transactions: "
            f"{in_flight})")
    c.check(not re.search(r"^xenstore: quiesce gave up|^xenstore: the reader did not stop",
                          text, re.M), "no quiesce gave up")
    failed_steps = re.findall(r"^suspend #\d+: step .* failed.*$", text, re.M)
    c.check(not failed_steps, f"no failed suspend or resume step ({failed_steps[:2] or 'none'})")
    request_failures = re.findall(r"^xsload: cpu\d+ .* failed.*$|^xenstore: request \d+ .* failed.*$",
                                  text, re.M)
    c.check(bool(failures) and max(failures) == 0 and not request_failures,
            f"no xenstore request failed ({request_failures[:3] or 'none'})")
    # With suspend_evtchn=off every request comes through control/shutdown.
    by_xenstore = len(re.findall(r"^torpor: shutdown requested: suspend$", text, re.M))
    by_channel = len(re.findall(r"^torpor: suspend requested on the suspend event channel", text,
                                re.M))
    c.check(re.search(r"^suspend: suspend event channel off", text, re.M) and
            by_xenstore == len(ops) > 0 and by_channel == 0,
            f"suspend_evtchn=off: {by_xenstore} requests through control/shutdown for "
            f"{len(ops)} operations, {by_channel} on the event channel")
    c.check("PANIC" not in text, "no panic")
    if quiesce_us:
        print(f"  quiesce (xenstore step) us: {quiesce_us}; at the freeze (requests, "
              f"transactions): {in_flight}")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
