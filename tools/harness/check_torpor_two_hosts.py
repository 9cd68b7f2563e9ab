#!/usr/bin/env python3
"""Asserts a two-host run (run-two-hosts.sh) from both hosts' results.

usage: check_torpor_two_hosts.py RESULTDIR [ROUNDS]

RESULTDIR is host A's OUTDIR/torpor-two-hosts, host B's beside it in
OUTDIR/host-b/torpor-two-hosts (each beside its host's serial.log). ROUNDS (default 1) round trips A -> B -> A of the torpor
guest `th`, each hop an `xl migrate --live` over TCP between the two dom0s,
whose Xens booted 30 s apart. Every dom0 step exited 0 on both hosts; and,
from the guest's heartbeats (monotonic and wall clock every 100 ms, on both
hosts' consoles) and the dom0s' wall clocks around each hop (hops.tsv):
- the monotonic clock never goes back, and across each hop it advances as the
  guest's wall clock does (within 1 s) and by no more than the hop took by the
  dom0s' clocks; over the whole run it kept pace with the wall clock;
- the hosts' Xen system times really differed (the guest's clock offset after
  arriving on B is >= 10 s from 0: the rebase was exercised);
- the guest's wall clock agrees with dom0's on each host;
- back on A the guest's clock equals A's Xen system time again (it booted
  there at offset 0: every hop added exactly the real elapsed time);
- the heartbeat's timer, armed before each hop, fired within 1 s of the resume
  (plus the guest's suspend path, which may come after the last beat);
- dom0 A's one TCP stream through the guest's echo port lost, duplicated or
  corrupted nothing and flowed after each hop; a gratuitous ARP from the guest
  reached A's bridge while the guest was on B; ping and HTTP answered after;
- the disk, one LUN both hosts share, followed the guest: the demo's record
  writer connected xvda on each host (boot + one connect per hop) and went on
  writing after each hop, no I/O error or bad record, and the records read back
  from the LUN after the shutdown (disk-prefix.img) hold every acknowledged
  one, those written on B included.
An empty, missing or cut-short RESULTDIR fails.
"""
import pathlib
import re
import sys

from blk_image import check_records, reader_checks, storage_errors
from harness_net import check_client, check_ping_http, read_windows
from harness_results import (HEARTBEAT, Checker, all_console_logs, check_boot_self_tests,
                             check_no_panic, check_serial, check_wall_clock, read_console,
                             read_steps, read_tsv, stamped_lines)

GUEST = "th"
RESUMED = re.compile(r"^app: resumed \(#(\d+)\) cancelled=0 downtime_ms=(\d+) mono_ns=(\d+) ")
SUSPEND_PATH = re.compile(r"^suspend #(\d+) path \(us\): .* total=(\d+)$")
CLOCKS = re.compile(r"^suspend #(\d+): clocks after resume: xen_system_ns=(\d+) "
                    r"monotonic_ns=(\d+) wall_ns=(\d+)$")
# Across a hop the monotonic clock must advance as the wall clock did: both are
# read by the guest; the two Xens' wall clocks come from one host RTC.
HOP_CLOCK_TOLERANCE_S = 1.0
# ... and by no more than the hop took on the dom0s' clocks (plus this).
HOP_DURATION_SLACK_S = 2.0
# The first heartbeat after a resume: its timer was due long before, so it
# fires at once (up to 1 s under TCG); never before the guest resumed (a few
# ms of rounding in the downtime's milliseconds).
TIMER_LATENESS_S = 1.0
TIMER_EARLY_S = -0.01
# After the first hop the guest's clock offset: about B's boot delay (30 s).
MIN_HOST_OFFSET_S = 10.0
# The record writer (one 512-byte record a few times a second) runs minutes.
MIN_ACKED_RECORDS = 100
WORKLOAD_START = re.compile(r"^blk: xvda: (\d+) records of 512 bytes; writing from sector 0")
CONNECTED = re.compile(r"^blkfront: xvda: connected to backend domain \d+ \(connect #(\d+)\)")
ACKED = re.compile(r"^blk: acked (\d+)$")
AFTER_RESUME = re.compile(r"^blk: after resume #(\d+) \((cancelled|new domain)\): \d+ submitted, "
                          r"\d+ written, (\d+) acknowledged")


def hops_rows(results: pathlib.Path) -> list:
    """(round, dir, event, wall_s, rc) rows of hops.tsv."""
    return [(r[0], r[1], r[2], float(r[3]), r[4]) for r in read_tsv(results / "hops.tsv", 5)]


def mark(rows: list, rnd: int, direction: str, event: str) -> float:
    hit = [r[3] for r in rows if r[0] == str(rnd) and r[1] == direction and r[2] == event]
    if not hit:
        raise ValueError(f"hops.tsv has no row {rnd} {direction} {event}")
    return hit[0]


def heartbeats(results: pathlib.Path, host: str) -> list:
    """(beat, mono_ns, wall_ns, host, stamp, match) of every stamped heartbeat."""
    out = []
    for stamp, text in stamped_lines(read_console(results, GUEST)):
        m = HEARTBEAT.match(text)
        if m:
            out.append((int(m.group(1)), int(m.group(2)), int(m.group(3)), host, stamp, m))
    return out


def guest_lines(results: pathlib.Path) -> list:
    return [text for _, text in stamped_lines(read_console(results, GUEST))]


def host_b(results: pathlib.Path) -> pathlib.Path:
    return results.parent / "host-b" / results.name


def check_storage(c: Checker, a: pathlib.Path, lines: dict, rounds: int) -> None:
    """The record writer on the shared LUN across every hop (both hosts' logs;
    a line the receiving console printed again counts once)."""
    text = "\n".join(lines["a"] + lines["b"])
    start = next((m for t in lines["a"] for m in [WORKLOAD_START.match(t)] if m), None)
    connects = {int(m.group(1)) for t in lines["a"] + lines["b"] for m in [CONNECTED.match(t)] if m}
    c.check(start and connects == set(range(1, 2 * rounds + 2)),
            f"storage: xvda connected as connect #{sorted(connects) or 'none'} (boot + one per "
            f"hop), workload on {start.group(1) if start else '(never started)'} records")
    errors = storage_errors(text)
    c.check(not errors, "storage: no I/O error, bad record or broken device"
            + (f": {errors[0]}" if errors else ""))
    acked = [int(m.group(1)) for t in lines["a"] + lines["b"] for m in [ACKED.match(t)] if m]
    last = max(acked, default=-1)
    after = {}  # suspend number -> (how, acknowledged, host)
    for host in ("a", "b"):
        for t in lines[host]:
            m = AFTER_RESUME.match(t)
            if m:
                after[int(m.group(1))] = (m.group(2), int(m.group(3)), host)
    for k in range(1, 2 * rounds + 1):
        there = "b" if k % 2 else "a"
        got = after.get(k)
        later = after[k + 1][1] if k + 1 in after else last + 1
        c.check(got and got[0] == "new domain" and got[2] == there and later > got[1],
                f"storage: hop {k}: the writer went on on {there.upper()} "
                f"({got[1] if got else '?'} acknowledged at the resume, {later} later)")
    checked = reader_checks(text)
    c.check(checked and all(bad == 0 for _, bad in checked),
            f"storage: the reader re-read {max((n for n, _ in checked), default=0)} random "
            "acknowledged records, none bad")
    c.check(last + 1 >= MIN_ACKED_RECORDS,
            f"storage: {last + 1} records acknowledged (>= {MIN_ACKED_RECORDS})")
    image_path = a / "disk-prefix.img"
    image = image_path.read_bytes() if image_path.exists() else b""
    _, bad = check_records(image, last) if last >= 0 else (0, [(0, "nothing acknowledged")])
    on_b = [(after[k][1], after[k + 1][1]) for k in range(1, 2 * rounds, 2)
            if k in after and k + 1 in after]
    c.check(image and not bad and on_b and all(hi > lo for lo, hi in on_b),
            f"storage: the LUN read back on A after the shutdown ({len(image) // 512} sectors) "
            f"holds records 0..{last}, valid, those acknowledged on B ("
            + (", ".join(f"{lo}..{hi - 1}" for lo, hi in on_b) or "none") + ") included"
            + (f"; bad: {bad}" if bad else ""))


def check(c: Checker, a: pathlib.Path, rounds: int) -> None:
    b = host_b(a)
    c.check_scenario_ran(a)
    c.check_scenario_ran(b)
    c.check_steps(read_steps(a), ["shared-disk", "create", "ready", "net-connected",
                                  "ping-before", "peer-up"]
                  + [n for r in range(1, rounds + 1)
                     for n in (f"migrate-{r}-ab", f"back-{r}", f"echo-back-{r}")]
                  + ["ping-after", "http-after", "shutdown", "disk-copy"])
    c.check_steps(read_steps(b), ["shared-disk"] + [n for r in range(1, rounds + 1)
                                  for n in (f"arrived-{r}", f"running-{r}", f"stay-{r}",
                                            f"migrate-{r}-ba")])
    rows = {"a": hops_rows(a), "b": hops_rows(b)}
    lines = {"a": guest_lines(a), "b": guest_lines(b)}
    c.check(lines["a"] and lines["b"], f"guest console logs on both hosts "
            f"({len(lines['a'])} and {len(lines['b'])} lines)")
    check_boot_self_tests(c, "\n".join(lines["a"]))

    # --- the heartbeats of both hosts, in the guest's order -------------------
    beats = {}
    for beat in heartbeats(a, "a") + heartbeats(b, "b"):
        beats.setdefault(beat[0], beat)
    seq = [beats[k] for k in sorted(beats)]
    c.check(len(seq) >= 100 * rounds, f"{len(seq)} heartbeats on the two hosts (>= {100 * rounds})")
    back = [(p, q) for p, q in zip(seq, seq[1:]) if q[1] <= p[1]]
    c.check(seq and not back, "the monotonic clock never goes back across both hosts' logs"
            + (f": beat {back[0][1][0]} mono {back[0][1][1]} after {back[0][0][1]}" if back else ""))
    moves = [i for i in range(1, len(seq)) if seq[i][3] != seq[i - 1][3]]
    want = ["b" if k % 2 == 0 else "a" for k in range(2 * rounds)]
    got = [seq[i][3] for i in moves]
    c.check(got == want, f"the heartbeats move host {2 * rounds} times, A -> B first "
            f"(hosts after each move: {''.join(got) or 'none'})")
    if seq:
        run_mono = (seq[-1][1] - seq[0][1]) / 1e9
        run_wall = (seq[-1][2] - seq[0][2]) / 1e9
        c.check(run_wall > 0 and abs(run_mono - run_wall) <= HOP_CLOCK_TOLERANCE_S * 2 * rounds + 0.5,
                f"over the whole run the monotonic clock advanced {run_mono:.2f} s, the wall clock "
                f"{run_wall:.2f} s")
    for host, where in (("a", "on host A"), ("b", "on host B")):
        check_wall_clock(c, [(s[4], s[5]) for s in seq if s[3] == host], where)

    # --- each hop --------------------------------------------------------------
    resumed = {}  # suspend number -> (downtime_ms, mono_ns) on the arriving host
    clocks = {}   # suspend number -> (xen_system_ns, monotonic_ns)
    suspend_s = {}  # suspend number -> the guest's suspend path (s), before the hypercall
    for host in ("a", "b"):
        for text in lines[host]:
            m = RESUMED.match(text)
            if m:
                resumed[int(m.group(1))] = (host, int(m.group(2)), int(m.group(3)))
            m = SUSPEND_PATH.match(text)
            if m:
                suspend_s[int(m.group(1))] = int(m.group(2)) / 1e6
            m = CLOCKS.match(text)
            if m:
                clocks[int(m.group(1))] = (host, int(m.group(2)), int(m.group(3)))
    for k in range(1, 2 * rounds + 1):
        rnd, there = (k + 1) // 2, "b" if k % 2 else "a"
        src, direction = ("a", "ab") if there == "b" else ("b", "ba")
        if k > len(moves):
            c.check(False, f"hop {k}: the guest's heartbeats never moved to host {there.upper()}")
            continue
        before, after = seq[moves[k - 1] - 1], seq[moves[k - 1]]
        d_mono, d_wall = (after[1] - before[1]) / 1e9, (after[2] - before[2]) / 1e9
        start = mark(rows[src], rnd, direction, "send-start")
        end = mark(rows[src], rnd, direction, "send-end")
        arrived = mark(rows[there], rnd, direction, "arrived")
        took = arrived - start
        c.check(0 < d_mono and abs(d_mono - d_wall) <= HOP_CLOCK_TOLERANCE_S,
                f"hop {k} ({src.upper()} -> {there.upper()}): monotonic +{d_mono:.3f} s, wall "
                f"clock +{d_wall:.3f} s between beats {before[0]} and {after[0]}")
        c.check(d_mono <= took + HOP_DURATION_SLACK_S,
                f"hop {k}: monotonic advanced {d_mono:.3f} s, no more than the hop took by the "
                f"dom0s' clocks ({took:.1f} s from {src.upper()}'s send to {there.upper()}'s arrival)")
        # The heartbeat's timer (armed before the hop for 100 ms after the last
        # beat) is due the moment the guest runs again, at the monotonic time
        # of its suspend plus the downtime: the first beat's lateness is the
        # advance across the hop minus the downtime the kernel measured. Part
        # of the guest's suspend path (before the hypercall) may lie between
        # the last beat and the suspend too; it is allowed on top (1.4 s once,
        # parking the secondaries while both QEMUs starved the guest's vCPUs).
        r = resumed.get(k)
        late = d_mono - r[1] / 1000 if r else None
        allowed = TIMER_LATENESS_S + suspend_s.get(k, 0.0)
        ok = r is not None and r[0] == there and TIMER_EARLY_S <= late <= allowed
        c.check(ok, f"hop {k}: the heartbeat timer armed before it fired "
                + (f"{late * 1000:.0f} ms after the guest resumed on {r[0].upper()} (downtime "
                   f"{r[1]} ms; allowed {allowed * 1000:.0f} ms: 1 s and its suspend path)"
                   if r else "(no resume line)"))
        cl = clocks.get(k)
        if c.check(cl is not None and cl[0] == there, f"hop {k}: the kernel's clocks after resume "
                   f"logged on {there.upper()}"):
            offset = (cl[2] - cl[1]) / 1e9
            print(f"  hop {k} {src.upper()}->{there.upper()}: xl migrate {end - start:.1f} s "
                  f"(arrived after {took:.1f} s), guest downtime {r[1] if r else '?'} ms, "
                  f"monotonic +{d_mono:.3f} s / wall +{d_wall:.3f} s across it; on "
                  f"{there.upper()}: Xen system time {cl[1] / 1e9:.3f} s, guest offset "
                  f"{offset:+.3f} s")
            if there == "a":
                # The guest booted on A with its clock at A's Xen system time:
                # back on A, if every hop added the real elapsed time, the two
                # agree again.
                c.check(abs(offset) <= HOP_CLOCK_TOLERANCE_S * rnd,
                        f"hop {k}: back on A the guest's clock is A's Xen system time again "
                        f"(offset {offset:+.3f} s, within {HOP_CLOCK_TOLERANCE_S * rnd:.0f} s)")
            if k == 1:
                c.check(abs(offset) >= MIN_HOST_OFFSET_S,
                        f"hop 1: the hosts' Xen system times differ (guest offset on B "
                        f"{offset:+.1f} s, >= {MIN_HOST_OFFSET_S:.0f} s): the rebase was exercised")

    last = max((i for i, t in enumerate(lines["a"]) if RESUMED.match(t)), default=None)
    c.check(last is not None and any(t == "torpor: shutdown requested: poweroff"
                                     for t in lines["a"][last:]),
            "back on A the guest answered `xl shutdown` (poweroff)")

    # --- the network seen from host A -----------------------------------------
    windows = [n for r in range(1, rounds + 1) for n in (f"hop-{r}-ab", f"on-b-{r}", f"back-{r}")]
    check_client(c, a, windows)
    garp = [float(row[1]) / 1000 for row in read_tsv(a / "net" / "arp.tsv", 7) if row[5] == "1"]
    received = [row[3] for row in rows["b"] if row[1] == "receive" and row[2] == "start"]
    for rnd in range(1, rounds + 1):
        if rnd > len(received):
            c.check(False, f"round {rnd}: B's receiver never started")
            continue
        sent_back = mark(rows["b"], rnd, "ba", "send-start")
        seen = [t for t in garp if received[rnd - 1] <= t <= sent_back]
        c.check(seen, f"round {rnd}: {len(seen)} gratuitous ARP(s) from the guest on A's bridge "
                f"while it was on B")
    stalls = {w[0]: w[4] for w in read_windows(a)}
    print("  client stall (longest wait for an echo): " + ", ".join(
        f"{w} {stalls.get(w, '?')} ms" for w in windows))
    check_ping_http(c, a, pings=2, gets=1, body="")
    check_storage(c, a, lines, rounds)
    check_no_panic(c, all_console_logs(a) + all_console_logs(b))
    check_serial(c, a)
    check_serial(c, b)


def main() -> int:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    rounds = int(sys.argv[2]) if len(sys.argv) == 3 else 1
    return Checker("torpor-two-hosts").run(lambda c: check(c, pathlib.Path(sys.argv[1]), rounds))


if __name__ == "__main__":
    sys.exit(main())
