"""The dom0 network client's record, as the checkers read it.

A scenario that streams through a guest's echo port (lib.sh's net_client_start,
client/echo_stream.c, client/arp_watch.c) leaves RESULTDIR/net/: `target`
("IP MAC"), `client.log`, `summary`, `windows.tsv` (label, start_ms, end_ms,
bytes, stall_max_ms), `timeline.csv` (mono_ms, echoed), `arp.tsv` (mono_ms,
wall_ms, op, sender, target, gratuitous, label), `ping-N.log`, `http-N.txt`.
Like every checker helper, nothing here passes on a missing or cut-short record.
"""
import pathlib
import re

from harness_results import Checker, read_text, read_tsv

SUMMARY = re.compile(r"^client: bytes=(\d+) stalls_max_ms=(\d+) errors=(\d+) duration_ms=(\d+) "
                     r"windows=(\d+) reason=(\S+) connections=(\d+)$", re.M)
# 64 KiB/s for the length of a scenario's operations: far more than this.
MIN_BYTES = 256 * 1024


def client_ran(results: pathlib.Path) -> bool:
    """The scenario started the client (net_client_start writes net/target)."""
    return (results / "net" / "target").is_file()


def read_windows(results: pathlib.Path) -> list:
    """(label, start_ms, end_ms, bytes, stall_max_ms) per window, in order."""
    return [(r[0], *map(int, r[1:5])) for r in read_tsv(results / "net" / "windows.tsv", 5)]


def gratuitous_arps(results: pathlib.Path) -> dict:
    """label -> number of gratuitous ARPs from the guest's MAC in that window."""
    counts = {}
    for row in read_tsv(results / "net" / "arp.tsv", 7):
        if row[5] == "1":
            counts[row[6]] = counts.get(row[6], 0) + 1
    return counts


def check_client(c: Checker, results: pathlib.Path, windows_required: list,
                 arp_windows: list = (), min_bytes: int = MIN_BYTES) -> dict:
    """The one TCP connection carried the stream from the client's start to the
    scenario's stop with every byte checked and no error; the echo flowed in
    every required window; a gratuitous ARP came in every window of arp_windows
    (the operations that resume the guest in a new domain). Prints the longest
    stall of each window; returns label -> longest stall (ms)."""
    net = results / "net"
    log = read_text(net / "client.log")
    m = SUMMARY.search(read_text(net / "summary"))
    if not c.check(m, f"client: summary written ({net / 'summary'})"):
        return {}
    echoed, stall, errors, duration, _, reason, connections = (
        int(g) if g.isdigit() else g for g in m.groups())
    fails = [l for l in log.splitlines() if "FAIL" in l]
    c.check(errors == 0 and not fails and SUMMARY.search(log),
            f"client: {echoed} bytes echoed and checked, errors={errors}"
            + (f": {fails[0]}" if fails else ""))
    c.check(reason == "stopped" and connections == 1,
            f"client: one connection from its start until the scenario stopped it, "
            f"{duration / 1000:.1f} s (reason={reason})")
    c.check(echoed >= min_bytes, f"client: {echoed} bytes echoed (>= {min_bytes})")

    rows = [r for r in read_tsv(net / "timeline.csv", 1) if r]  # its header is "mono_ms,echoed"
    points = [tuple(map(int, r[0].split(","))) for r in rows if r[0].count(",") == 1]
    ok = (len(points) >= duration // 1000 and points and points[-1][1] == echoed
          and all(b[1] >= a[1] for a, b in zip(points, points[1:])))
    c.check(ok, f"client: timeline of {len(points)} points, rising to {echoed} bytes "
            f"(>= one a second over {duration / 1000:.0f} s)")

    windows = read_windows(results)
    stalls = {}
    for label in windows_required:
        mine = [w for w in windows if w[0] == label]
        ok = len(mine) == 1 and mine[0][3] > 0
        c.check(ok, f"client: echo flowed in window {label}"
                + (f" ({mine[0][3]} bytes, longest stall {mine[0][4]} ms)" if mine else " (no window)"))
        if mine:
            stalls[label] = mine[0][4]
    arps = gratuitous_arps(results)
    for label in arp_windows:
        c.check(arps.get(label, 0) >= 1,
                f"gratuitous ARP from the guest seen on the bridge in window {label} "
                f"({arps.get(label, 0)})")
    print(f"  client: {echoed} bytes, longest stall {stall} ms; per window: "
          + ", ".join(f"{label} {ms} ms" for label, ms in stalls.items()))
    return stalls


def check_ping_http(c: Checker, results: pathlib.Path, pings: int, gets: int, body: str) -> None:
    """dom0's pings were answered (each ping-N.log) and each HTTP GET brought a
    non-empty body containing `body`."""
    net = results / "net"
    logs = [read_text(net / f"ping-{n}.log") for n in range(1, pings + 1)]
    answered = [bool(re.search(r" [1-9]\d* packets received", t)) for t in logs]
    c.check(all(answered), f"ping: {sum(answered)} of {pings} answered")
    texts = [read_text(net / f"http-{n}.txt") for n in range(1, gets + 1)]
    ok = [bool(t.strip()) and body in t for t in texts]
    c.check(all(ok), f"HTTP GET /: {sum(ok)} of {gets} answered"
            + (f" with {body!r}" if body else " (a non-empty body)"))
