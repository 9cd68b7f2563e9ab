#!/usr/bin/env python3
"""Asserts the torpor-remus scenario (xl remus -b at -i 100 with the disk and
network workloads running, then a failed backup) from torpor's own console
output, xl's log, the dom0 network client's record and the disk image.

usage: check_torpor_remus.py RESULTDIR
"""
import pathlib
import re
import sys

from blk_image import check_records, reader_checks, storage_errors
from harness_net import check_client, check_ping_http, gratuitous_arps
from harness_results import (HEARTBEAT, Checker, check_boot_self_tests, check_no_panic,
                             check_serial, check_wall_clock, console_files, read_steps, read_text,
                             stamped_lines, all_console_logs)

# torpor took 201-222 checkpoints in 40 s on this kind of machine (notes); a
# loaded run is slower. Any sane run of 60 s at -i 100 takes far more than this.
MIN_CHECKPOINTS = 60
MIN_BEATS_AFTER = 10
# The demo writes a record every 20 ms plus a burst before each checkpoint.
MIN_ACKED_RECORDS = 500
SUSPEND = re.compile(r"^suspend #(\d+): (cancelled|resumed in a new domain) "
                     r"\(hypercall returned (-?\d+)\), downtime (\d+) ms$")
ACKED = re.compile(r"^blk: acked (\d+)$")
RESUMED = re.compile(r"^app: resumed \(#(\d+)\) cancelled=(\d) downtime_ms=(\d+) ")


def check_workloads(c: Checker, results: pathlib.Path, text: str, checkpoints: int) -> None:
    """The TCP stream and the disk writer went on through every checkpoint, and a
    checkpoint (a cancelled suspend) reconnected nothing: no gratuitous ARP, no
    device handshake, no request re-issued."""
    check_client(c, results, ["remus", "after"])
    check_ping_http(c, results, pings=2, gets=2, body="")
    resumed = re.findall(r"^netfront: \S+ resumed in a new domain.*$", text, re.M)
    arps = sum(gratuitous_arps(results).values())
    c.check(not resumed and arps == 0,
            f"network: no reconnect and no gratuitous ARP during the checkpoints "
            f"({resumed[0] if resumed else 'none'}; {arps} ARPs)")

    connects = re.findall(r"^blkfront: xvda: connected to backend domain \d+ \(connect #(\d+)\)",
                          text, re.M)
    c.check(connects == ["1"], f"storage: xvda connected once, at boot ({len(connects)} connects)")
    kept = len(re.findall(r"^blkfront: xvda: suspend cancelled; same ring, \d+ requests in "
                          r"flight, nothing re-issued$", text, re.M))
    reissued = re.findall(r"^blkfront: xvda: re-issuing .*$", text, re.M)
    c.check(checkpoints and kept == checkpoints and not reissued,
            f"storage: {kept} of {checkpoints} checkpoints kept the ring, "
            f"{len(reissued)} re-issued requests")
    errors = storage_errors(text)
    c.check(not errors, f"storage: no I/O error, bad record or broken device"
                        f"{': ' + errors[0] if errors else ''}")
    checked = reader_checks(text)
    c.check(checked and all(b == 0 for _, b in checked),
            f"storage: the reader re-read {max((a for a, _ in checked), default=0)} random "
            "acknowledged records, none bad")
    acked = [int(m.group(1)) for m in map(ACKED.match, text.splitlines()) if m]
    last = max(acked, default=-1)
    c.check(last + 1 >= MIN_ACKED_RECORDS,
            f"storage: {last + 1} records acknowledged (>= {MIN_ACKED_RECORDS})")
    lines = text.splitlines()
    final = max((i for i, t in enumerate(lines) if SUSPEND.match(t)), default=None)
    at_final = max((int(m.group(1)) for t in lines[:final or 0] if (m := ACKED.match(t))),
                   default=-1)
    c.check(final is not None and last > at_final >= 0,
            f"storage: acknowledging went on after the last checkpoint ({at_final} -> {last})")
    image = read_bytes(results / "disk-prefix.img")
    _, bad = check_records(image, last) if last >= 0 else (0, [(0, "nothing acknowledged")])
    c.check(image and not bad,
            f"storage: disk image after shutdown ({len(image) // 512} sectors copied): records "
            f"0..{last} present and valid" + (f"; bad: {bad[:3]}" if bad else ""))


def read_bytes(path: pathlib.Path) -> bytes:
    return path.read_bytes() if path.is_file() else b""


def check(c: Checker, results: pathlib.Path) -> None:
    c.check_scenario_ran(results)
    steps = read_steps(results)
    c.check_steps(steps, ("create", "ready", "published", "acking", "ping", "http",
                          "net-connected", "remus", "still-running", "poke", "watched", "type",
                          "echoed", "echo-after", "ping-after", "http-after", "net-stop",
                          "shutdown", "disk-copy"))
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
    check_workloads(c, results, text, len(cancelled))
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
