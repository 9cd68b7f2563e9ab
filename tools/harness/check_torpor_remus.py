#!/usr/bin/env python3
"""Asserts the torpor-remus scenario (xl remus -b at -i 100, then a failed
backup) from torpor's own console output and xl's log.

usage: check_torpor_remus.py RESULTDIR
"""
import pathlib
import re
import sys

from harness_results import (HEARTBEAT, Checker, check_boot_self_tests, check_no_panic,
                             check_serial, check_wall_clock, console_files, read_steps, read_text,
                             stamped_lines, all_console_logs)

# torpor took 201-222 checkpoints in 40 s on this kind of machine (notes); a
# loaded run is slower. Any sane run of 60 s at -i 100 takes far more than this.
MIN_CHECKPOINTS = 60
MIN_BEATS_AFTER = 10
SUSPEND = re.compile(r"^suspend #(\d+): (cancelled|resumed in a new domain) "
                     r"\(hypercall returned (-?\d+)\), downtime (\d+) ms$")
RESUMED = re.compile(r"^app: resumed \(#(\d+)\) cancelled=(\d) downtime_ms=(\d+) ")


def check(c: Checker, results: pathlib.Path) -> None:
    c.check_scenario_ran(results)
    steps = read_steps(results)
    c.check_steps(steps, ("create", "ready", "published", "remus", "still-running", "ping",
                          "watched", "type", "echoed", "shutdown"))
    files = console_files(results, "r")
    per_file = [stamped_lines(read_text(f)) for f in files]
    lines = [t for parsed in per_file for _, t in parsed]
    text = "\n".join(lines)
    c.check(len(files) == 1, f"{len(files)} console log (checkpoints never leave the domain)")
    check_boot_self_tests(c, "".join(read_text(f) for f in files))

    suspends = [m for m in map(SUSPEND.match, lines) if m]
    numbers = [int(m.group(1)) for m in suspends]
    cancelled = [m for m in suspends if m.group(2) == "cancelled" and m.group(3) == "1"]
    c.check(len(suspends) >= MIN_CHECKPOINTS and numbers == list(range(1, len(numbers) + 1)),
            f"{len(suspends)} checkpoints (>= {MIN_CHECKPOINTS}), numbered 1..{len(numbers)}")
    c.check(suspends and len(cancelled) == len(suspends),
            f"every checkpoint a cancelled suspend in the same domain ({len(cancelled)} of "
            f"{len(suspends)})")
    resumed = [m for m in map(RESUMED.match, lines) if m]
    c.check(suspends and len(resumed) == len(suspends) and
            all(m.group(2) == "1" for m in resumed),
            f"the app heard of every checkpoint as a cancel ({len(resumed)} resume reports)")
    by_channel = len(re.findall(r"^torpor: suspend requested on the suspend event channel "
                                r"\(port \d+\)$", text, re.M))
    by_xenstore = len(re.findall(r"^torpor: shutdown requested: suspend$", text, re.M))
    c.check(suspends and by_channel >= len(suspends) and by_xenstore == 0,
            f"{by_channel} requests on the suspend event channel, {by_xenstore} through "
            f"control/shutdown, for {len(suspends)} checkpoints")
    xl_log = read_text(results / "remus.log")
    c.check("issuing PV suspend request via event channel" in xl_log and
            "via XenBus control node" not in xl_log,
            "xl remus notified the suspend event channel, never wrote control/shutdown")
    failed = re.findall(r"^suspend #\d+: step .* failed.*$", text, re.M)
    c.check(not failed, f"no suspend step failed ({failed[:1] or 'none'})")

    # The guest carries on after the backup failed: heartbeats, monotonic.
    beats = [(s, m) for parsed in per_file for s, t in parsed if (m := HEARTBEAT.match(t))]
    monos = [int(m.group(2)) for _, m in beats]
    c.check(len(monos) > 20 and all(b > a for a, b in zip(monos, monos[1:])),
            f"{len(monos)} heartbeats, monotonic time strictly increasing")
    last = max((i for i, t in enumerate(lines) if SUSPEND.match(t)), default=None)
    after = sum(1 for t in lines[last + 1:] if HEARTBEAT.match(t)) if last is not None else 0
    c.check(after >= MIN_BEATS_AFTER, f"{after} heartbeats after the last checkpoint "
                                      f"(>= {MIN_BEATS_AFTER})")
    check_wall_clock(c, beats, "through the checkpoints")
    c.check('watch data/ping fired: value="after-remus"' in lines and
            'console: echo "echo-after-remus"' in lines,
            "after remus ended: a watch fired and a console line was echoed")
    check_no_panic(c, all_console_logs(results))
    check_serial(c, results)

    # What a checkpoint costs the guest: its suspend path, the time it was
    # suspended (the downtime) and its resume path.
    down = [int(x) for x in re.findall(r"^suspend #\d+ path \(us\):.* total=(\d+)$", text, re.M)]
    up = [int(x) for x in re.findall(r"^resume #\d+ path \(us\):.* total=(\d+)$", text, re.M)]
    if cancelled and len(down) == len(up) == len(cancelled):
        mid = len(cancelled) // 2
        paths = sorted((d + u) // 1000 for d, u in zip(down, up))
        stopped = sorted(int(m.group(4)) for m in cancelled)
        total = sorted((d + u) // 1000 + int(m.group(4)) for d, u, m in zip(down, up, cancelled))
        print(f"  {len(cancelled)} checkpoints; per checkpoint (median): suspend+resume paths "
              f"{paths[mid]} ms, suspended {stopped[mid]} ms, together {total[mid]} ms "
              f"(max {total[-1]} ms)")


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    return Checker("torpor-remus").run(lambda c: check(c, pathlib.Path(sys.argv[1])))


if __name__ == "__main__":
    sys.exit(main())
