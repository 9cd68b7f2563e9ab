#!/usr/bin/env python3
"""The bench's continuous-checkpointing rows: torpor against the Linux PV
baseline under the same `xl remus -b` settings (scenarios/bench-remus.sh).

usage: bench_remus_report.py RESULTDIR [OUTDIR] [--check]
RESULTDIR is the bench-remus scenario's result directory: remus-KIND-MS.log
(xl -vvv remus's log, each line prefixed with dom0's monotonic ms and a tab),
remus.tsv and console-KIND-MS.log. Per guest and interval:
- checkpoints: suspend requests xl issued ("issuing PV suspend request");
- checkpoints per second: between the first and the last of them;
- pause per checkpoint: from xl issuing the suspend request to libxc's last
  "Checkpointed save" line before the next request, i.e. the guest suspending
  plus the toolstack copying what it dirtied (the first checkpoint, the full
  copy, has no such line and is left out). The guest runs again right after
  (xc_domain_resume), which the log does not show; the same for both guests.
Target (issue 14): torpor's median pause <= 1/3 of Linux's.
With OUTDIR, also draws OUTDIR/bench_remus.png (gnuplot): each guest's pause
per checkpoint as a distribution, one line per guest and interval.
--check fails unless every guest at every interval took checkpoints, xl ended
after the save helper was killed and the guest ran on, and torpor's logs show
no panic; an empty or missing directory fails.
"""
import pathlib
import re
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "harness"))
from harness_results import (Checker, check_boot_self_tests, check_no_panic,  # noqa: E402
                             check_serial, read_text, read_tsv)

GUESTS = ["torpor", "linux"]
LOG = re.compile(r"^remus-(torpor|linux)-(\d+)\.log$")
STAMPED = re.compile(r"^(\d+)\t(.*)$")
REQUEST = "issuing PV suspend request"
WRITTEN = "xc: progress: Checkpointed save:"


def read_log(path: pathlib.Path) -> dict:
    """checkpoints, per_second and the pauses (ms) of one stamped xl log."""
    requests, pauses, pending, last_written = [], [], None, None
    for m in map(STAMPED.match, read_text(path).splitlines()):
        if not m:
            continue
        t, text = int(m.group(1)), m.group(2)
        if REQUEST in text:
            if pending is not None and last_written is not None:
                pauses.append(last_written - pending)
            requests.append(t)
            pending, last_written = t, None
        elif WRITTEN in text and pending is not None:
            last_written = t
    if pending is not None and last_written is not None:
        pauses.append(last_written - pending)
    span = (requests[-1] - requests[0]) / 1000 if len(requests) > 1 else 0
    return {"checkpoints": len(requests), "per_second": (len(requests) - 1) / span if span else 0.0,
            "pauses": pauses}


def collect(results: pathlib.Path) -> dict:
    """(guest, interval) -> read_log(...) for every stamped log there."""
    runs = {}
    for path in sorted(results.glob("remus-*.log")):
        m = LOG.match(path.name)
        if m:
            runs[(m.group(1), int(m.group(2)))] = read_log(path)
    return runs


def median(values: list):
    return statistics.median(values) if values else None


def report(runs: dict) -> str:
    fmt = lambda x: "-" if x is None else (f"{x:.1f}" if x < 100 else f"{x:.0f}")
    lines = ["| xl remus -b | torpor | Linux PV | torpor/Linux |", "|---|---|---|---|"]
    for ms in sorted({ms for _, ms in runs}, reverse=True):
        t, l = runs.get(("torpor", ms), {}), runs.get(("linux", ms), {})
        tp, lp = median(t.get("pauses", [])), median(l.get("pauses", []))
        ratio = f"{tp / lp:.2f}" if tp is not None and lp else "-"
        lines.append(f"| -i {ms}: pause per checkpoint, median (ms) | {fmt(tp)} | {fmt(lp)} | {ratio} |")
        tr, lr = t.get("per_second"), l.get("per_second")
        ratio = f"{tr / lr:.2f}" if tr and lr else "-"
        lines.append(f"| -i {ms}: checkpoints per second | {fmt(tr)} | {fmt(lr)} | {ratio} |")
        lines.append(f"| -i {ms}: checkpoints taken | {t.get('checkpoints', 0)} | "
                     f"{l.get('checkpoints', 0)} | - |")
    return "\n".join(lines)


def targets(runs: dict) -> list:
    out = []
    for ms in sorted({ms for _, ms in runs}, reverse=True):
        tp = median(runs.get(("torpor", ms), {}).get("pauses", []))
        lp = median(runs.get(("linux", ms), {}).get("pauses", []))
        if tp is not None and lp:
            out.append(f"-i {ms}: torpor's pause {tp:.0f} ms vs Linux's {lp:.0f} ms (target <= 1/3, "
                       f"{lp / 3:.0f} ms: {'met' if tp <= lp / 3 else 'NOT met'})")
    return out


def chart(runs: dict, out: pathlib.Path) -> bool:
    """bench_remus.png: for each guest and interval, the share of checkpoints
    whose pause was at most x ms (x on a log scale)."""
    if not shutil.which("gnuplot"):
        print("bench-remus: gnuplot missing, no chart", file=sys.stderr)
        return False
    out.mkdir(parents=True, exist_ok=True)
    plots = []
    for (guest, ms), run in sorted(runs.items(), key=lambda kv: (kv[0][0] != "torpor", -kv[0][1])):
        pauses = sorted(p for p in run.get("pauses", []) if p > 0)
        if not pauses:
            continue
        data = out / f"bench_remus_{guest}_{ms}.dat"
        data.write_text("".join(f"{p} {(i + 1) / len(pauses):.4f}\n" for i, p in enumerate(pauses)))
        name = "torpor" if guest == "torpor" else "Linux PV"
        plots.append(f"'{data}' using 1:2 with steps linewidth 2 "
                     f"title '{name}, -i {ms} (median {median(pauses):.0f} ms, {len(pauses)} checkpoints)'")
    if not plots:
        print("bench-remus: no timed checkpoint, no chart", file=sys.stderr)
        return False
    script = f"""set terminal png size 900,500 noenhanced
set output '{out / "bench_remus.png"}'
set title 'xl remus -b: guest pause per checkpoint (suspend request to checkpoint written); QEMU TCG, Xen 4.17'
set xlabel 'pause per checkpoint, ms (log)'
set ylabel 'share of checkpoints'
set logscale x
set yrange [0:1.02]
set key bottom right
set grid
plot {", ".join(plots)}
"""
    done = subprocess.run(["gnuplot"], input=script, text=True)
    return done.returncode == 0 and (out / "bench_remus.png").exists()


def check_run(c: Checker, results: pathlib.Path, runs: dict) -> None:
    c.check_scenario_ran(results)
    rows = read_tsv(results / "remus.tsv", 4)
    flags = {(g, int(ms), k): v for g, ms, k, v in rows if ms.isdigit()}
    intervals = sorted({ms for _, ms, _ in flags}, reverse=True)
    c.check(intervals, f"intervals measured: {intervals or 'none'}")
    for ms in intervals:
        for g in GUESTS:
            run = runs.get((g, ms), {})
            c.check(run.get("checkpoints", 0) >= 3 and run.get("pauses"),
                    f"{g} -i {ms}: {run.get('checkpoints', 0)} checkpoints, "
                    f"{len(run.get('pauses', []))} timed")
            c.check(flags.get((g, ms, "xl_ended")) == "1" and flags.get((g, ms, "ran_after")) == "1",
                    f"{g} -i {ms}: xl remus ended after its save helper was killed and the guest ran "
                    f"on (xl_ended={flags.get((g, ms, 'xl_ended'))}, "
                    f"ran_after={flags.get((g, ms, 'ran_after'))})")
    for ms in intervals:  # the guest's own view: each request came back as a cancel
        cancels = len(re.findall(r"^\S+ \S+ suspend #\d+: cancelled \(hypercall returned 1\)",
                                 read_text(results / f"console-torpor-{ms}.log"), re.M))
        taken = runs.get(("torpor", ms), {}).get("checkpoints", 0)
        c.check(taken and cancels >= taken - 1,
                f"torpor -i {ms}: its console shows {cancels} cancelled suspends for {taken} requests "
                "(the last may be cut by the kill)")
    logs = sorted(results.glob("console-*.log"))
    torpor = "".join(read_text(p) for p in logs if p.name.startswith("console-torpor-"))
    c.check(torpor, f"{len(logs)} console logs, torpor's among them")
    check_boot_self_tests(c, torpor)
    failed = re.search(r"suspend #\d+: step \S+ failed: .*", torpor)
    c.check(not failed, f"no suspend step failed{': ' + failed.group(0) if failed else ''}")
    check_no_panic(c, logs)
    check_serial(c, results)


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--check"]
    if len(args) not in (1, 2):
        sys.exit(__doc__)
    results = pathlib.Path(args[0])
    runs = collect(results)
    print(report(runs))
    for line in targets(runs):
        print(line)
    if len(args) == 2 and chart(runs, pathlib.Path(args[1])):
        print(f"chart: {pathlib.Path(args[1]) / 'bench_remus.png'}")
    if "--check" not in sys.argv:
        return 0
    return Checker(results.name).run(lambda c: check_run(c, results, runs))


if __name__ == "__main__":
    sys.exit(main())
