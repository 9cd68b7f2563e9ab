#!/usr/bin/env python3
"""Asserts the torpor-blk-hotplug scenario from torpor's own console output
and the disk image it left.

usage: check_torpor_blk_hotplug.py RESULTDIR

Every dom0 step ran and exited 0 (xl block-detach and block-attach included);
the guest connected xvda at boot and acknowledged records; on the detach it
closed the disk once, cleanly (ring and request grants revoked, event channel
unbound), paused its writer and kept beating; on the attach it reconnected
(connect #2), the writer resumed after its last acknowledged record and
acknowledged more; no I/O error, bad record or broken device (a request cut by
the detach and redone by the documented policy is allowed); after the shutdown
the image holds every acknowledged record. The vif: answered ping before
`xl network-detach`; the guest disconnected it and saw it removed, then its
driver reconnected, once, to the re-attached one (in that order), which has
another MAC (`macs`: before and after) that the guest took, once, before that
connect, answering ping and HTTP again, beating all along. An empty, missing or cut-short RESULTDIR fails.
"""
import pathlib
import re
import sys

from blk_image import check_records, reader_checks
from harness_net import check_ping_http
from harness_results import (Checker, HEARTBEAT, all_console_logs, check_boot_self_tests,
                             check_no_panic, check_serial, console_files, read_steps, read_text,
                             stamped_lines)

GUEST = "bh"
STEPS = ("create", "ready", "acked-before", "detach", "closed", "paused", "list-empty", "away",
         "attach", "reconnected", "resumed", "acked-after", "read-report", "vif-ping-before",
         "vif-detach", "vif-disconnected", "vif-removed", "vif-list-empty", "vif-attach",
         "vif-reconnected", "vif-ping-after", "vif-http-after", "shutdown", "disk-copy")
MIN_BEATS_DETACHED = 20      # 100 ms beats; the scenario keeps xvda away >= 4 s
MIN_ACKED_BEFORE = 50        # the scenario waits for record 50
MIN_ACKED_AFTER = 20         # records acknowledged after the re-attach
CONNECTED = re.compile(r"^blkfront: xvda: connected to backend domain \d+ \(connect #(\d+)\)")
CLOSED = re.compile(r"^blkfront: xvda: closed \(#(\d+)\): (.*), event channel (\d+) unbound; "
                    r"(\d+) requests without a response kept for re-attach, (\d+) queued in all$")
PAUSED = re.compile(r"^blk: xvda detached: writer pauses \((\d+) submitted, (\d+) written, "
                    r"acked (\d+);")
RESUMED = re.compile(r"^blk: xvda re-attached \(connect #(\d+)\): writer resumes after acked "
                     r"record (-?\d+) ")
ACKED = re.compile(r"^blk: acked (\d+)$")
ERROR = re.compile(r"^(?:blk: .*(?:failed|BAD|stops|did not connect|cannot).*|"
                   r"blkfront: .*(?:broken|cannot|not valid|still map).*|xenbus: .*broken.*)$")
REDONE = re.compile(r"across the detach|cut by a detach")


def first(lines: list, pattern: re.Pattern):
    return next(((i, m) for i, m in ((i, pattern.match(t)) for i, t in enumerate(lines)) if m),
                (None, None))


def check(c: Checker, results: pathlib.Path) -> None:
    c.check_scenario_ran(results)
    steps = read_steps(results)
    bad = {n: rc for n, rc in steps.items() if rc != 0}
    missing = [n for n in STEPS if n not in steps]
    c.check(steps and not bad and not missing,
            f"{len(steps)} dom0 steps, failures: {bad or 'none'}, missing: {missing or 'none'}")

    files = console_files(results, GUEST)
    lines = [t for f in files for _, t in stamped_lines(read_text(f))]
    text = "\n".join(lines)
    c.check(len(lines) > 0, f"{len(lines)} console lines from the guest")
    check_boot_self_tests(c, "".join(read_text(f) for f in files))

    connects = [int(m.group(1)) for m in map(CONNECTED.match, lines) if m]
    c.check(connects == [1, 2], f"xvda connected at boot and once after the attach "
                                f"(connect numbers {connects or 'none'})")
    closed = [m for m in map(CLOSED.match, lines) if m]
    c.check(len(closed) == 1 and closed[0].group(2) == "ring and request grants revoked",
            f"xvda closed once, cleanly: {closed[0].group(0) if closed else 'no line'}"
            + (f" (+{len(closed) - 1} more)" if len(closed) > 1 else ""))
    paused = [m for m in map(PAUSED.match, lines) if m]
    resumed = [m for m in map(RESUMED.match, lines) if m]
    c.check(len(paused) == 1 and len(resumed) == 1 and resumed[0].group(1) == "2",
            f"writer paused {len(paused)} time(s), resumed {len(resumed)} time(s) at connect #"
            f"{resumed[0].group(1) if resumed else '?'}")

    i_closed, _ = first(lines, CLOSED)
    i_back, _ = first(lines, RESUMED)
    i_conn2 = next((i for i, t in enumerate(lines)
                    if (m := CONNECTED.match(t)) and m.group(1) == "2"), None)
    order_ok = None not in (i_closed, i_back, i_conn2) and i_closed < i_conn2 <= i_back
    c.check(order_ok, f"closed, then reconnected, then resumed (lines {i_closed}, {i_conn2}, "
                      f"{i_back})")
    beats = [int(m.group(1)) for m in map(HEARTBEAT.match, lines[i_closed:i_conn2])
             if m] if order_ok else []
    c.check(len(beats) >= max(MIN_BEATS_DETACHED, 1) and beats == list(range(beats[0], beats[0] + len(beats))),
            f"{len(beats)} heartbeats while xvda was away, none lost (>= {MIN_BEATS_DETACHED}; "
            f"{read_text(results / 'detached_s').strip() or '?'} s by dom0's clock)")

    acked = [(i, int(m.group(1))) for i, m in ((i, ACKED.match(t)) for i, t in enumerate(lines)) if m]
    values = [a for _, a in acked]
    c.check(values and values == sorted(values) and len(set(values)) == len(values),
            f"{len(values)} acknowledgements, strictly increasing")
    before = [a for i, a in acked if order_ok and i < i_closed]
    after = [a for i, a in acked if order_ok and i > i_back]
    resumed_at = int(resumed[0].group(2)) if resumed else None
    c.check(before and max(before) >= MIN_ACKED_BEFORE,
            f"acknowledged up to record {max(before, default=-1)} before the detach "
            f"(>= {MIN_ACKED_BEFORE})")
    c.check(resumed_at is not None and before and resumed_at >= max(before) and after and
            min(after) > resumed_at and max(after) - resumed_at >= MIN_ACKED_AFTER,
            f"after the re-attach the writer went on past acked record {resumed_at}: "
            f"{len(after)} acknowledgements, up to {max(after, default=-1)} "
            f"(>= {MIN_ACKED_AFTER} more)")
    errors = [t for t in lines if ERROR.match(t) and not REDONE.search(t)]
    c.check(not errors, "no I/O error, bad record or broken device" +
            (f": {errors[0]}" if errors else ""))
    redone = [t for t in lines if REDONE.search(t)]
    if redone:
        print(f"  cut by the detach and redone by policy: {redone[:3]}")
    checked = reader_checks(text)
    c.check(checked and all(b == 0 for _, b in checked),
            f"the reader re-read {max((a for a, _ in checked), default=0)} random acknowledged "
            "records, none bad")

    last = max(values, default=-1)
    path = results / "disk-prefix.img"
    image = path.read_bytes() if path.is_file() else b""
    _, bad_records = check_records(image, last) if last >= 0 and image else (0, [(0, "no image")])
    c.check(image and not bad_records,
            f"disk image after shutdown ({len(image) // 512} sectors): records 0..{last} "
            "present and valid" + (f"; bad: {bad_records[:3]}" if bad_records else ""))
    check_vif_hotplug(c, lines, results)
    check_no_panic(c, all_console_logs(results))
    check_serial(c, results)
    if closed:
        print(f"  {closed[0].group(0)}")


VIF_EVENTS = [("connected", re.compile(r"^netfront: vif0 connected to backend domain \d+")),
              ("disconnected", re.compile(r"^netfront: vif0 disconnected from backend domain")),
              ("removed", re.compile(r"^netfront: vif0 removed from xenstore")),
              ("found", re.compile(r"^net: vif0 found in xenstore")),
              ("back", re.compile(r"^net: vif0 back in xenstore"))]
MAC_CHANGED = re.compile(r"^netfront: vif0: the MAC changed from ")


def check_vif_hotplug(c: Checker, lines: list, results: pathlib.Path) -> None:
    events = [(i, name) for i, t in enumerate(lines) for name, rx in VIF_EVENTS if rx.match(t)]
    names = [n for _, n in events]
    # The re-attached vif is the same driver on the same netif, connected once.
    want = ["found", "connected", "disconnected", "removed", "back", "connected"]
    c.check(names == want, f"vif0: {' -> '.join(names) or 'no line'} (want {' -> '.join(want)})")
    if names == want:
        gone, back = events[2][0], events[5][0]
        beats = [int(m.group(1)) for m in map(HEARTBEAT.match, lines[gone:back]) if m]
        c.check(beats and beats == list(range(beats[0], beats[0] + len(beats))),
                f"{len(beats)} heartbeats while vif0 was away, none lost")
    # The re-attached vif has another MAC: taken once, between the detach and
    # the reconnect.
    macs = read_text(results / "macs").split()
    changed = [(i, t) for i, t in enumerate(lines) if MAC_CHANGED.match(t)]
    want_line = (f"netfront: vif0: the MAC changed from {macs[0]} to {macs[1]}"
                 if len(macs) == 2 else None)
    c.check(want_line is not None and len(changed) == 1 and changed[0][1].startswith(want_line)
            and names == want and events[2][0] < changed[0][0] < events[5][0],
            f"vif0 took the re-attached vif's MAC ({' -> '.join(macs) or 'no macs file'}) once, "
            f"before reconnecting: {[t for _, t in changed] or 'no line'}")
    check_ping_http(c, results, pings=2, gets=1, body="")


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    return Checker("torpor-blk-hotplug").run(lambda c: check(c, pathlib.Path(sys.argv[1])))


if __name__ == "__main__":
    sys.exit(main())
