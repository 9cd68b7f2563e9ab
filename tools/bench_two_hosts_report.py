#!/usr/bin/env python3
"""Cross-host bench rows: torpor against the Linux PV baseline, each moved
A -> B -> A between two QEMU-hosted Xens the same way (run-two-hosts.sh with
the same memory, vCPUs, shared disk and vif; one dom0 client on host A keeps a
TCP stream through the guest's echo port).

usage: bench_two_hosts_report.py TORPOR_OUTDIR LINUX_OUTDIR [REPORT.md]

Each OUTDIR is a run-two-hosts.sh result (host A's scenario results in
OUTDIR/torpor-two-hosts, host B's in OUTDIR/host-b/torpor-two-hosts). Per hop:
`xl migrate --live` on the sending dom0 (send-start to send-end in hops.tsv),
until the guest ran on the receiver ("arrived", the receiving dom0's clock; the
two dom0s' wall clocks come from one host RTC), and the client's longest wait
for an echo from the send's start until 5 s after the arrival (its timeline of
echoed bytes, on its own clock, placed on the dom0s' by the start of the
hop-1-ab window, which the scenario opens as it marks send-start; a wait that
spans the window boundary counts for the hop it overlaps). Medians over the hops of each
direction, and torpor / Linux. Fails (rc 1) when a run is missing, a step failed
on either host or the stream lost, corrupted or reconnected anything.
"""
import pathlib
import statistics
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "harness"))
from harness_net import check_client, read_windows  # noqa: E402
from harness_results import Checker, read_steps, read_tsv  # noqa: E402

SCENARIO = "torpor-two-hosts"


def hops(out: pathlib.Path, c: Checker, name: str) -> list:
    """[(direction, migrate_s, arrival_s, stall_ms)] for each hop of one run."""
    a, b = out / SCENARIO, out / "host-b" / SCENARIO
    steps = {"A": read_steps(a), "B": read_steps(b)}
    for host, s in steps.items():
        bad = {k: v for k, v in s.items() if v != 0}
        c.check(s and not bad, f"{name}: host {host}: {len(s)} steps, failures: {bad or 'none'}")
    rows = {h: [(r[0], r[1], r[2], float(r[3])) for r in read_tsv(d / "hops.tsv", 5)]
            for h, d in (("A", a), ("B", b))}

    def at(host, rnd, direction, event):
        hit = [r[3] for r in rows[host] if r[:3] == (rnd, direction, event)]
        return hit[0] if hit else None
    windows = {w[0]: w for w in read_windows(a)}
    points = [tuple(map(int, r[0].split(","))) for r in read_tsv(a / "net" / "timeline.csv", 1)
              if r and r[0].count(",") == 1]
    rises = [t for (t, n), (_, m) in zip(points[1:], points) if n > m]  # echo arrived at t
    start_row = at("A", "1", "ab", "send-start")
    offset = start_row - windows["hop-1-ab"][1] / 1000 if start_row and "hop-1-ab" in windows else None

    def longest_wait(t0, t1):  # on the dom0s' clock: the longest gap between echoes overlapping it
        lo, hi = (t0 - offset) * 1000, (t1 - offset) * 1000
        gaps = [b - p for p, b in zip(rises, rises[1:]) if b > lo and p < hi]
        return max(gaps, default=None)
    out_rows = []
    rnd = 1
    while at("A", str(rnd), "ab", "send-start") is not None:
        for direction, src, dst in (("ab", "A", "B"), ("ba", "B", "A")):
            start = at(src, str(rnd), direction, "send-start")
            end = at(src, str(rnd), direction, "send-end")
            arrived = at(dst, str(rnd), direction, "arrived")
            stall = longest_wait(start, arrived + 5) if None not in (start, arrived, offset) else None
            if c.check(None not in (start, end, arrived, stall),
                       f"{name}: round {rnd} {src} -> {dst}: send, arrival and the client's "
                       "echoes around them recorded"):
                out_rows.append((f"{src}->{dst}", end - start, arrived - start, stall))
        rnd += 1
    c.check(out_rows, f"{name}: {len(out_rows)} hops measured")
    check_client(c, a, [w for r in range(1, rnd) for w in (f"hop-{r}-ab", f"on-b-{r}", f"back-{r}")])
    return out_rows


def median(values):
    return statistics.median(values) if values else float("nan")


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().splitlines()[4], file=sys.stderr)
        return 2
    c = Checker("bench-two-hosts")
    runs = {"torpor": hops(pathlib.Path(sys.argv[1]), c, "torpor"),
            "linux": hops(pathlib.Path(sys.argv[2]), c, "linux")}
    lines = ["| cross-host `xl migrate --live` (QEMU TCG, both hosts on 2 cores) | torpor | Linux "
             "| torpor / Linux |", "|---|---:|---:|---:|"]
    for label, col, unit, fmt in (("xl migrate --live on the sender", 1, "s", "{:.1f}"),
                                  ("until the guest runs on the receiver", 2, "s", "{:.1f}"),
                                  ("client's longest wait for an echo", 3, "ms", "{:.0f}")):
        for direction in ("A->B", "B->A"):
            t = median([r[col] for r in runs["torpor"] if r[0] == direction])
            l = median([r[col] for r in runs["linux"] if r[0] == direction])
            ratio = f"{t / l:.2f}" if l and l == l and t == t else "-"
            lines.append(f"| {label}, {direction} ({unit}, median of "
                         f"{sum(r[0] == direction for r in runs['torpor'])} / "
                         f"{sum(r[0] == direction for r in runs['linux'])}) | "
                         f"{fmt.format(t)} | {fmt.format(l)} | {ratio} |")
    for name, rows in runs.items():
        for r in rows:
            print(f"  {name} {r[0]}: xl migrate {r[1]:.1f} s, arrived after {r[2]:.1f} s, "
                  f"client stall {r[3]} ms")
    table = "\n".join(lines)
    print(table)
    if len(sys.argv) == 4:
        pathlib.Path(sys.argv[3]).write_text(table + "\n")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
