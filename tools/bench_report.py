#!/usr/bin/env python3
"""Turns a bench run's results into a table (stdout), bench.json, bench.png
and bench_net.png.

usage: bench_report.py RESULTDIR OUTDIR [--check]
Guests: torpor (memory 256, balloon on), torpor-noballoon, linux (the Linux PV
baseline, memory 256), torpor-16m (torpor at 16 MiB: what xl costs by itself),
torpor-1g and linux-1g (memory 1024), torpor-1g-4v (memory 1024, 4 vCPUs: its
suspend path). A guest the scenario skipped (not enough free memory in Xen:
the 1024 MiB guests in bench-smoke's QEMU) has a skipped_need_mib row instead.
RESULTDIR is the bench scenario's result directory (bench.tsv, console-*.log,
and net-GUEST-REP/ for torpor and linux: the dom0 client's record of one TCP
echo stream through migrate --live, save -c and save + restore, HTTP requests
per second; see measure_net in tools/harness/scenarios/bench.sh; and
blk-GUEST-REP/ for torpor, torpor-transient and linux: blkback's counters sampled
while the guest wrote and read its disk across migrate --live, see
measure_blk).
--check fails unless the scenario ran to its end, every figure the bench
promises is there, the charts were drawn, every echo stream carried its bytes
intact on one connection through all its operations, and the guests' logs show
no panic, failed suspend step or failed grant self-test (the smoke test).
"""
import json
import pathlib
import re
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "harness"))
from harness_net import check_client, read_windows  # noqa: E402
from harness_results import (Checker, check_boot_self_tests, check_no_panic,  # noqa: E402
                             check_serial, read_text, read_tsv)

GUESTS = ["torpor", "torpor-noballoon", "linux", "torpor-16m", "torpor-1g", "linux-1g",
          "torpor-1g-4v"]
# Guests the scenario may skip when Xen lacks the memory (with a marker row).
SKIPPABLE = {"torpor-1g", "linux-1g", "torpor-1g-4v"}
TORPOR_GUESTS = [g for g in GUESTS if g.startswith("torpor")]
METRICS = [  # key, label, unit
    ("boot_ms", "boot: xl create return -> ready line", "ms"),
    ("guest_boot_ms", "boot: guest entry -> ready (guest clock)", "ms"),
    ("suspend_path_ms", "suspend path: watch -> hypercall (guest)", "ms"),
    ("resume_path_ms", "resume path: hypercall -> all back (guest)", "ms"),
    ("save_ms", "xl save", "ms"),
    ("image_mib", "save image size", "MiB"),
    ("restore_ms", "xl restore", "ms"),
    ("save_restore_ms", "xl save + xl restore", "ms"),
    ("migrate_live_ms", "xl migrate --live, total", "ms"),
    ("downtime_ms", "migrate --live downtime (guest wall clock)", "ms"),
    ("min_memory_mib", "smallest memory= that boots and migrates", "MiB"),
    ("used_before_save_mib", "used memory before xl save (xl list)", "MiB"),
    ("used_before_migrate_mib", "used memory before migrate --live (xl list)", "MiB"),
    ("guest_held_mib", "memory held, guest's last log line before suspend #1", "MiB"),
    ("stream_mib", "migrate --live stream, bytes counted", "MiB"),
    ("stall_migrate_live_ms", "echo stream: longest wait, migrate --live", "ms"),
    ("stall_save_c_ms", "echo stream: longest wait, save -c", "ms"),
    ("stall_save_restore_ms", "echo stream: longest wait, save + restore", "ms"),
    ("net_downtime_migrate_live_ms", "echo guest: migrate --live downtime (guest)", "ms"),
    ("net_downtime_save_c_ms", "echo guest: save -c downtime (guest)", "ms"),
    ("net_downtime_save_restore_ms", "echo guest: save + restore downtime (guest)", "ms"),
    ("http_rps", "HTTP GET / from dom0, sequential", "req/s"),
]
# The network part's guests and operations (net-GUEST-REP/ops.tsv, in order:
# torpor's suspend #k is the k-th operation).
NET_GUESTS = ["torpor", "linux"]
NET_OPS = ["migrate-live", "save-c", "save-restore"]
NET_TIMELINE_OP = "migrate-live"
# The disk part (blk-GUEST-REP/: blkstat.txt, blkback's counters sampled by
# dom0 every 20 ms; ops.tsv; console.log). torpor-transient: torpor with
# transient grants (blkpersistent=0), without the migration.
BLK_GUESTS = ["torpor", "torpor-transient", "linux"]
BLK_METRICS = [  # key, label, unit
    ("blk_write_mib_s", "disk: sequential write, 4 MiB at a time", "MiB/s"),
    ("blk_write_kib_per_req", "disk: average write request (blkback's wr_sect / wr_req)", "KiB"),
    ("blk_read_iops", "disk: 4 KiB random reads, one at a time", "IO/s"),
    ("blk_stall_migrate_live_ms", "disk: longest I/O stall, migrate --live", "ms"),
    ("blk_ring_order", "disk: ring-page-order used", ""),
]
BLK_MIN_WINDOW_MS = 500  # a rate over less than this is not reported
RING_LINE = re.compile(r"blkfront: xvda: ring of \d+ pages? \(ring-page-order (\d+)\)")
GRANTS_LINE = re.compile(r"blkfront: xvda: connected to backend .*, grants: (persistent|transient)$", re.M)
HTTP_RATE = re.compile(r"^http: requests=(\d+) errors=(\d+) seconds=([\d.]+) rps=([\d.]+) "
                       r"max_ms=(\d+) first_error=(\S+)$", re.M)


def guest_of(log: pathlib.Path) -> str:
    """console-GUEST-REP.log -> GUEST"""
    return log.stem.split("-", 1)[1].rsplit("-", 1)[0]


def net_dirs(results: pathlib.Path) -> list:
    """(guest, rep, directory) of every network run, in order."""
    found = []
    for d in sorted(results.glob("net-*-*")):
        guest, _, rep = d.name[len("net-"):].rpartition("-")
        if d.is_dir() and guest in NET_GUESTS and rep.isdigit():
            found.append((guest, int(rep), d))
    return found


def net_ops(d: pathlib.Path) -> list:
    """(op, start_ms, end_ms, rc) of the operations, in the order they ran."""
    return [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in read_tsv(d / "ops.tsv", 4)
            if all(x.lstrip("-").isdigit() for x in r[1:4])]


def collect_net(d: pathlib.Path, guest: str, add) -> None:
    """The network rows of one run: the longest wait for an echo in each
    operation's window; requests per second; torpor's own downtime of each
    operation (suspend #k is the k-th operation)."""
    windows = {w[0]: w for w in read_windows(d)}
    ops = net_ops(d)
    for op, *_ in ops:
        if op in windows and windows[op][3] > 0:
            add(guest, f"stall_{op.replace('-', '_')}_ms", windows[op][4])
    m = HTTP_RATE.search(read_text(d / "net" / "http-rate.txt"))
    if m and int(m.group(1)) > 0:
        add(guest, "http_rps", float(m.group(4)))
    text = read_text(d / "console.log")
    for k, (op, _, _, rc) in enumerate(ops, 1):
        found = re.search(rf"app: resumed \(#{k}\) cancelled=\d downtime_ms=(\d+)", text)
        if found and rc == 0:
            add(guest, f"net_downtime_{op.replace('-', '_')}_ms", found.group(1))


def blk_dirs(results: pathlib.Path) -> list:
    """(guest, rep, directory) of every disk run, in order."""
    found = []
    for d in sorted(results.glob("blk-*-*")):
        guest, _, rep = d.name[len("blk-"):].rpartition("-")
        if d.is_dir() and guest in BLK_GUESTS and rep.isdigit():
            found.append((guest, int(rep), d))
    return found


def read_blkstat(path: pathlib.Path) -> list:
    """[(ms, {vbd: (rd_req, wr_req, rd_sect, wr_sect)})], one per sample, in
    order (client/blkstat.c's lines grouped by their time)."""
    samples = []
    for line in read_text(path).splitlines():
        f = line.split()
        if len(f) < 2 or not f[0].isdigit():
            continue
        t = int(f[0])
        if not samples or samples[-1][0] != t:
            samples.append((t, {}))
        if f[1].startswith("vbd-") and len(f) >= 6 and all(x.isdigit() for x in f[2:6]):
            samples[-1][1][f[1]] = tuple(int(x) for x in f[2:6])
    return samples


def movements(samples: list) -> list:
    """The sample times at which some vbd's request counters moved (a vbd
    that appears counts once it has requests)."""
    moved, last = [], {}
    for t, vbds in samples:
        if any(c[:2] != last.get(v, (0, 0))[:2] for v, c in vbds.items()):
            moved.append(t)
        last.update(vbds)
    return moved


def blk_rows(samples: list, ops: list) -> dict:
    """The disk rows of one run, from blkback's counters: sequential write
    MiB/s (the phase in which wr_sect rose, before the migration), 4 KiB read
    IOPS (from the first read after the writes to the migration), the longest
    interval without any counter moving from the last movement before xl
    migrate --live to the first after it returned."""
    rows = {}
    if not samples:
        return rows
    end_of_reads = ops[0][1] if ops else samples[-1][0] + 1
    first = next((v for _, vbds in samples for v in vbds), None)
    series = [(t, vbds[first]) for t, vbds in samples if first in vbds and t < end_of_reads]
    wr = [c[3] for _, c in series]
    if wr and max(wr) > wr[0]:
        rise = next(i for i, w in enumerate(wr) if w > wr[0])
        i0 = rise - 1 if rise > 0 else 0
        i1 = wr.index(max(wr))
        ms = series[i1][0] - series[i0][0]
        if ms >= BLK_MIN_WINDOW_MS:
            rows["blk_write_mib_s"] = (wr[i1] - wr[i0]) * 512 / 2**20 / (ms / 1000)
            # How large the guest's requests were (44 KiB for plain 11-page
            # ones; indirect descriptors make them larger).
            reqs = series[i1][1][1] - series[i0][1][1]
            if reqs > 0:
                rows["blk_write_kib_per_req"] = (wr[i1] - wr[i0]) * 512 / 1024 / reqs
        rd = [c[0] for _, c in series]
        j0 = next((j for j in range(i1 + 1, len(rd)) if rd[j] != rd[j - 1]), None)
        if j0 is not None:
            ms = series[-1][0] - series[j0][0]
            if ms >= BLK_MIN_WINDOW_MS:
                rows["blk_read_iops"] = (rd[-1] - rd[j0]) / (ms / 1000)
    moved = movements(samples)
    for op, start, end, rc in ops:
        if op != "migrate-live" or rc != 0:
            continue
        before = [m for m in moved if m <= start]
        after = [m for m in moved if m > end]
        if before and after:
            points = [before[-1]] + [m for m in moved if start < m <= end] + [after[0]]
            rows["blk_stall_migrate_live_ms"] = max(b - a for a, b in zip(points, points[1:]))
    return rows


def blk_grants(d: pathlib.Path) -> list:
    """What each of xvda's connects in a disk run said of its grants."""
    return GRANTS_LINE.findall(read_text(d / "console.log"))


def collect_blk(d: pathlib.Path, guest: str, add) -> None:
    for key, value in blk_rows(read_blkstat(d / "blkstat.txt"), net_ops(d)).items():
        add(guest, key, value)
    orders = RING_LINE.findall(read_text(d / "console.log"))
    if orders and guest != "linux":
        add(guest, "blk_ring_order", orders[0])


def skipped(results: pathlib.Path) -> dict:
    """guest -> MiB of free Xen memory it needed, for the guests the scenario skipped."""
    rows = [r.split("\t") for r in read_text(results / "bench.tsv").splitlines()[1:]]
    return {r[0]: int(r[3]) for r in rows if len(r) == 4 and r[2] == "skipped_need_mib"
            and r[0] in GUESTS and r[3].isdigit()}


def collect(results: pathlib.Path) -> dict:
    values = {g: {} for g in GUESTS + [g for g in BLK_GUESTS if g not in GUESTS]}
    add = lambda g, k, v: values[g].setdefault(k, []).append(float(v))
    rows = [r.split("\t") for r in read_text(results / "bench.tsv").splitlines()[1:]]
    per_rep = {}
    for guest, rep, metric, value in (r for r in rows if len(r) == 4 and r[0] in values):
        if metric == "skipped_need_mib" or not value.strip():
            continue
        if metric == "image_bytes":
            add(guest, "image_mib", int(value) / 2**20)
        elif metric == "stream_bytes":
            add(guest, "stream_mib", int(value) / 2**20)
        else:
            add(guest, metric, value)
        per_rep.setdefault((guest, rep), {})[metric] = float(value)
    for (guest, rep), m in per_rep.items():
        if "save_ms" in m and "restore_ms" in m:
            add(guest, "save_restore_ms", m["save_ms"] + m["restore_ms"])
    for log in sorted(results.glob("console-*.log")):
        guest = guest_of(log)
        if guest not in values:
            continue
        text = log.read_text(errors="replace")
        for us in re.findall(r"torpor: ready \(boot took (\d+) us", text):
            add(guest, "guest_boot_ms", int(us) / 1000)
        for us in re.findall(r"^\S+ \S+ suspend #\d+ path \(us\):.* total=(\d+)$", text, re.M):
            add(guest, "suspend_path_ms", int(us) / 1000)
        for us in re.findall(r"^\S+ \S+ resume #\d+ path \(us\):.* total=(\d+)$", text, re.M):
            add(guest, "resume_path_ms", int(us) / 1000)
        # In each repetition suspend #2 is the live migration (#1 is save/restore).
        for ms in re.findall(r"app: resumed \(#2\) cancelled=0 downtime_ms=(\d+)", text):
            add(guest, "downtime_ms", ms)
        # What the guest held when the first suspend (xl save) came: its last
        # "holding N frames" line before it.
        before = text.split(" suspend #1 path", 1)[0]
        held = re.findall(r"holding (\d+) frames", before)
        if held and " suspend #1 path" in text:
            add(guest, "guest_held_mib", int(held[-1]) / 256)
    for guest, _, d in net_dirs(results):
        collect_net(d, guest, add)
    for guest, _, d in blk_dirs(results):
        collect_blk(d, guest, add)
    return values


def medians(values: dict) -> dict:
    return {g: {k: {"median": statistics.median(v), "n": len(v)} for k, v in m.items()}
            for g, m in values.items()}


def table(med: dict, skip: dict) -> str:
    fmt = lambda x: "-" if x is None else (f"{x:.1f}" if x < 100 else f"{x:.0f}")
    get = lambda g, k: med[g].get(k, {}).get("median")
    cell = lambda g, k: "skipped" if g in skip else fmt(get(g, k))
    ratio = lambda a, b: f"{a / b:.3f}" if a is not None and b else "-"
    lines = ["| figure | torpor 256 | torpor 256, no balloon | Linux 256 | torpor/Linux 256 "
             "| torpor 1024 | Linux 1024 | torpor/Linux 1024 | torpor 16 | torpor 1024/16 "
             "| torpor 1024, 4 vCPUs |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key, label, unit in METRICS:
        big, small = get("torpor-1g", key), get("torpor-16m", key)
        lines.append(f"| {label} ({unit}) | {cell('torpor', key)} | {cell('torpor-noballoon', key)} "
                     f"| {cell('linux', key)} | {ratio(get('torpor', key), get('linux', key))} "
                     f"| {cell('torpor-1g', key)} | {cell('linux-1g', key)} "
                     f"| {ratio(big, get('linux-1g', key))} | {cell('torpor-16m', key)} "
                     f"| {ratio(big, small)} | {cell('torpor-1g-4v', key)} |")
    return "\n".join(lines)


def blk_table(med: dict) -> str:
    fmt = lambda x: "-" if x is None else (f"{x:.1f}" if x < 100 else f"{x:.0f}")
    get = lambda g, k: med[g].get(k, {}).get("median")
    lines = ["| disk figure | torpor | torpor, transient grants | Linux PV | torpor/Linux |",
             "|---|---|---|---|---|"]
    for key, label, unit in BLK_METRICS:
        t, r0, l = get("torpor", key), get("torpor-transient", key), get("linux", key)
        ratio = f"{t / l:.3f}" if t is not None and l and key != "blk_ring_order" else "-"
        lines.append(f"| {label}{f' ({unit})' if unit else ''} | {fmt(t)} | {fmt(r0)} | {fmt(l)} | {ratio} |")
    return "\n".join(lines)


def targets(med: dict, skip: dict) -> list:
    """Issue 13's targets: (what, figure, target, met or None when not measured)."""
    get = lambda g, k: med[g].get(k, {}).get("median")
    found = []
    t, l = get("torpor", "migrate_live_ms"), get("linux", "migrate_live_ms")
    found.append(("migrate --live total at 256 MiB, Linux/torpor",
                  f"{l / t:.2f}x ({t:.0f} vs {l:.0f} ms)" if t and l else "not measured",
                  ">= 3x", (l / t >= 3) if t and l else None))
    for key, what in (("save_ms", "xl save"), ("restore_ms", "xl restore"),
                      ("migrate_live_ms", "migrate --live total")):
        big, small = get("torpor-1g", key), get("torpor-16m", key)
        found.append((f"{what}, torpor 1024 MiB / 16 MiB",
                      f"{big / small:.2f}x ({big:.0f} vs {small:.0f} ms)" if big and small
                      else "skipped" if "torpor-1g" in skip else "not measured",
                      "<= 1.3x", (big / small <= 1.3) if big and small else None))
    for g in ("torpor-1g", "torpor"):
        label = "1024" if g == "torpor-1g" else "256"
        for key, used_key, what in (("stream_mib", "used_before_migrate_mib", "migrate --live stream"),
                                    ("image_mib", "used_before_save_mib", "save image")):
            size, used = get(g, key), get(g, used_key)
            found.append((f"{what}, torpor {label} MiB, against used memory + 4 MiB",
                          f"{size:.1f} MiB, used {used:.0f} MiB" if size is not None and used is not None
                          else "skipped" if g in skip else "not measured",
                          "<= used + 4 MiB",
                          (size <= used + 4) if size is not None and used is not None else None))
    path = get("torpor-1g-4v", "suspend_path_ms")
    found.append(("suspend path, torpor 1024 MiB, 4 vCPUs (guest)",
                  f"{path:.1f} ms" if path is not None else
                  "skipped" if "torpor-1g-4v" in skip else "not measured",
                  "<= 10 ms", (path <= 10) if path is not None else None))
    return found


def chart(med: dict, out: pathlib.Path) -> bool:
    if not shutil.which("gnuplot"):
        print("bench: gnuplot missing, no chart", file=sys.stderr)
        return False
    keys = ["boot_ms", "save_ms", "restore_ms", "migrate_live_ms", "downtime_ms"]
    data = out / "bench.dat"
    with data.open("w") as f:
        for k in keys:
            row = [med[g].get(k, {}).get("median", 0) for g in GUESTS]
            f.write(f'"{k}" ' + " ".join(f"{v:.1f}" for v in row) + "\n")
    titles = {"torpor": "torpor 256", "torpor-noballoon": "torpor 256, no balloon",
              "linux": "Linux 256", "torpor-16m": "torpor 16", "torpor-1g": "torpor 1024",
              "linux-1g": "Linux 1024", "torpor-1g-4v": "torpor 1024, 4 vCPUs"}
    plots = ", ".join(f"'{data if i == 0 else ''}' using {i + 2}{':xtic(1)' if i == 0 else ''} "
                      f"title '{titles[g]}'" for i, g in enumerate(GUESTS))
    script = f"""set terminal png size 1100,500 noenhanced
set output '{out / "bench.png"}'
set title 'torpor vs Linux PV at memory = 256 and 1024, 2 vCPUs (medians, ms; QEMU TCG, Xen 4.17)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'ms (log)'
set key below horizontal
plot {plots}
"""
    done = subprocess.run(["gnuplot"], input=script, text=True)
    return done.returncode == 0 and (out / "bench.png").exists()


def timeline(d: pathlib.Path, op: str, before_ms: int = 3000, after_ms: int = 4000):
    """Echoed bytes against time around operation `op` of one network run:
    (op's duration in s, [(s since the op started, KiB echoed since then)]),
    or None when the record lacks the op or the points around it."""
    spans = [o for o in net_ops(d) if o[0] == op]
    rows = [r[0].split(",") for r in read_tsv(d / "net" / "timeline.csv", 1)]
    points = [(int(r[0]), int(r[1])) for r in rows if len(r) == 2 and r[0].isdigit() and r[1].isdigit()]
    if not spans or not points:
        return None
    _, start, end, _ = spans[0]
    base = [e for t, e in points if t <= start]
    if not base:
        return None
    near = [((t - start) / 1000, (e - base[-1]) / 1024) for t, e in points
            if start - before_ms <= t <= end + after_ms]
    return ((end - start) / 1000, near) if len(near) >= 2 else None


def net_chart(results: pathlib.Path, med: dict, out: pathlib.Path) -> bool:
    """bench_net.png: the echo stream across one live migration (the first
    repetition), torpor beside Linux on the same axes; the operation shaded."""
    if not shutil.which("gnuplot"):
        return False
    first = {}
    for guest, _, d in net_dirs(results):
        first.setdefault(guest, d)
    lines = {g: timeline(first[g], NET_TIMELINE_OP) for g in NET_GUESTS if g in first}
    if len(lines) != len(NET_GUESTS) or not all(lines.values()):
        print("bench: no echo timeline around a live migration for every guest, no network chart",
              file=sys.stderr)
        return False
    xmax = max(p[0] for _, pts in lines.values() for p in pts)
    ymin = min(p[1] for _, pts in lines.values() for p in pts) * 1.05
    ymax = max(p[1] for _, pts in lines.values() for p in pts) * 1.05 or 1
    panels = []
    for g in NET_GUESTS:
        duration, pts = lines[g]
        data = out / f"bench_net_{g}.dat"
        data.write_text("".join(f"{x:.2f} {y:.1f}\n" for x, y in pts))
        stall = med[g].get("stall_migrate_live_ms", {}).get("median")
        down = med[g].get("net_downtime_migrate_live_ms", {}).get("median")
        title = (f"{'torpor' if g == 'torpor' else 'Linux PV'}: longest wait for an echo "
                 f"{stall:.0f} ms" if stall is not None else g)
        if down is not None:
            title += f", guest downtime {down:.0f} ms"
        panels.append(f"""set title '{title}'
set object 1 rect from 0, graph 0 to {duration:.2f}, graph 1 fillcolor rgb '#dddddd' fillstyle solid 1.0 noborder behind
plot '{data}' using 1:2 with steps linewidth 2 title 'echoed (KiB)'
unset object 1""")
    script = f"""set terminal png size 1200,500 noenhanced
set output '{out / "bench_net.png"}'
set multiplot layout 1,2 title 'one TCP echo stream (64 KiB/s) across xl migrate --live (shaded), 256 MiB, 2 vCPUs; QEMU TCG'
set xlabel 's since xl migrate --live started'
set ylabel 'KiB echoed, from where it stood at the start'
set xrange [-3:{xmax:.1f}]
set yrange [{ymin:.0f}:{ymax:.0f}]
set key top left
set grid
""" + "\n".join(panels) + "\nunset multiplot\n"
    done = subprocess.run(["gnuplot"], input=script, text=True)
    return done.returncode == 0 and (out / "bench_net.png").exists()


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--check"]
    if len(args) != 2:
        sys.exit(__doc__)
    results, out = map(pathlib.Path, args)
    check = "--check" in sys.argv
    out.mkdir(parents=True, exist_ok=True)
    med = medians(collect(results))
    skip = skipped(results)
    goals = targets(med, skip)
    (out / "bench.json").write_text(json.dumps(
        {**med, "skipped_need_mib": skip,
         "targets": [{"what": w, "figure": f, "target": t, "met": m} for w, f, t, m in goals]},
        indent=2, sort_keys=True) + "\n")
    print(table(med, skip))
    print(blk_table(med))
    for g, need in sorted(skip.items()):
        print(f"skipped: {g} (needs {need} MiB free in Xen; this QEMU has less)")
    for what, figure, target, met in goals:
        verdict = "not measured" if met is None else "met" if met else "NOT met"
        print(f"target: {what}: {figure} (target {target}): {verdict}")
    png = chart(med, out)
    net_png = net_chart(results, med, out)
    t, l = med["torpor"], med["linux"]
    if "image_mib" in t and "image_mib" in l:
        print(f"save image: torpor {t['image_mib']['median']:.1f} MiB vs Linux "
              f"{l['image_mib']['median']:.1f} MiB ({l['image_mib']['median'] / t['image_mib']['median']:.1f}x smaller)")
    if "save_restore_ms" in t and "save_restore_ms" in l:
        print(f"save+restore: torpor {t['save_restore_ms']['median']:.0f} ms vs Linux "
              f"{l['save_restore_ms']['median']:.0f} ms ({l['save_restore_ms']['median'] / t['save_restore_ms']['median']:.1f}x faster)")
    floor = med["torpor-16m"].get("save_restore_ms", {}).get("median")
    if floor and "save_restore_ms" in l:
        print(f"toolstack floor: save+restore of torpor at 16 MiB takes {floor:.0f} ms; against "
              f"Linux's {l['save_restore_ms']['median']:.0f} ms no guest can be more than "
              f"{l['save_restore_ms']['median'] / floor:.1f}x faster in this harness")
    stall = med["torpor"].get("stall_migrate_live_ms", {}).get("median")
    down = med["torpor"].get("net_downtime_migrate_live_ms", {}).get("median")
    linux_stall = med["linux"].get("stall_migrate_live_ms", {}).get("median")
    if stall is not None and down is not None and linux_stall:
        print(f"migrate --live, longest wait for an echo: torpor {stall:.0f} ms (its downtime "
              f"{down:.0f} ms; target <= {down + 100:.0f} ms: {'met' if stall <= down + 100 else 'NOT met'}) "
              f"vs Linux {linux_stall:.0f} ms (target <= 1/5 of Linux, {linux_stall / 5:.0f} ms: "
              f"{'met' if stall <= linux_stall / 5 else 'NOT met'})")
    for g in NET_GUESTS:
        took = med[g].get("net_elapsed_ms", {}).get("median")
        if took is not None:
            print(f"network part, {g}: {took / 1000:.0f} s of the run (median per repetition)")
    if not check:
        return 0
    return Checker(results.name).run(lambda c: check_run(c, results, med, skip, png and net_png))


class Prefixed:
    """A Checker whose assertions name the run they are about."""

    def __init__(self, c: Checker, prefix: str):
        self.c, self.prefix = c, prefix

    def check(self, ok, what: str) -> bool:
        return self.c.check(ok, f"{self.prefix}: {what}")


def check_run(c: Checker, results: pathlib.Path, med: dict, skip: dict, png: bool) -> None:
    c.check_scenario_ran(results)
    c.check(not set(skip) - SKIPPABLE, f"only the 1024 MiB guests may be skipped; skipped: "
            f"{', '.join(sorted(skip)) or 'none'}")
    ran = [g for g in GUESTS if g not in skip or g not in SKIPPABLE]
    missing = [f"{g}:{k}" for g in ran for k in ("boot_ms", "save_ms", "image_mib", "restore_ms",
                                                  "migrate_live_ms") if k not in med[g]]
    missing += [f"{g}:{k}" for g in ran if g in TORPOR_GUESTS
                for k in ("guest_boot_ms", "suspend_path_ms", "resume_path_ms", "downtime_ms",
                          "used_before_save_mib", "used_before_migrate_mib", "stream_mib")
                if k not in med[g]]
    # balloon=off logs no "holding N frames" line.
    missing += [f"{g}:guest_held_mib" for g in ran if g in TORPOR_GUESTS and g != "torpor-noballoon"
                and "guest_held_mib" not in med[g]]
    net_rows = ["http_rps"] + [f"stall_{op.replace('-', '_')}_ms" for op in NET_OPS]
    missing += [f"{g}:{k}" for g in NET_GUESTS for k in net_rows if k not in med[g]]
    missing += [f"torpor:net_downtime_{op.replace('-', '_')}_ms" for op in NET_OPS
                if f"net_downtime_{op.replace('-', '_')}_ms" not in med["torpor"]]
    c.check(not missing, f"every promised figure measured; missing: {missing or 'none'}")
    c.check(png, "charts drawn (bench.png, bench_net.png)")
    runs = net_dirs(results)
    reps = {r for _, r, _ in runs}
    c.check(reps and all((g, r) in {(x, y) for x, y, _ in runs} for g in NET_GUESTS for r in reps),
            f"network runs for every guest in every repetition: "
            f"{', '.join(d.name for _, _, d in runs) or 'none'}")
    for guest, _, d in runs:
        ops = net_ops(d)
        c.check([o[0] for o in ops] == NET_OPS and all(o[3] == 0 for o in ops),
                f"{d.name}: {', '.join(f'{o[0]} rc={o[3]}' for o in ops) or 'no operation'} "
                f"(all of {', '.join(NET_OPS)}, rc 0)")
        http = HTTP_RATE.search(read_text(d / "net" / "http-rate.txt"))
        c.check(http and int(http.group(1)) > 0 and http.group(2) == "0",
                f"{d.name}: HTTP " + (f"{http.group(1)} requests answered, {http.group(2)} failed "
                                      f"({http.group(6)})" if http else "no http_rate line"))
        check_client(Prefixed(c, d.name), d, NET_OPS, min_bytes=64 * 1024)
    blk = blk_dirs(results)
    c.check(reps and all((g, r) in {(x, y) for x, y, _ in blk} for g in BLK_GUESTS for r in reps),
            f"disk runs for every guest in every repetition: "
            f"{', '.join(d.name for _, _, d in blk) or 'none'}")
    missing = [f"{g}:{k}" for g in BLK_GUESTS for k, _, _ in BLK_METRICS
               if k not in med[g] and not (g == "torpor-transient" and k == "blk_stall_migrate_live_ms")
               and not (g == "linux" and k == "blk_ring_order")]
    c.check(not missing, f"every disk figure measured; missing: {missing or 'none'}")
    for guest, _, d in blk:
        ops = net_ops(d)
        want = [] if guest == "torpor-transient" else ["migrate-live"]
        c.check([o[0] for o in ops] == want and all(o[3] == 0 for o in ops),
                f"{d.name}: {', '.join(f'{o[0]} rc={o[3]}' for o in ops) or 'no operation'} "
                f"(expected: {', '.join(want) or 'none'}, rc 0)")
    order = med["torpor"].get("blk_ring_order", {}).get("median")
    c.check(order is not None and order > 0, f"ring-page-order: torpor {order} (want > 0)")
    for guest, _, d in blk:
        if guest == "linux":
            continue
        want = "transient" if guest == "torpor-transient" else "persistent"
        said = blk_grants(d)
        c.check(said and all(g == want for g in said),
                f"{d.name}: grants {', '.join(said) or 'never said'} at each connect (want {want})")
    logs = sorted(results.glob("console-*.log"))
    without = [g for g in ran if not any(guest_of(p) == g for p in logs)]
    c.check(logs and not without, f"{len(logs)} guest console logs, none missing for "
            f"{without or 'any guest'}")
    torpor = "".join(read_text(p) for p in logs if not guest_of(p).startswith("linux"))
    torpor += "".join(read_text(d / "console.log") for g, _, d in runs + blk if g != "linux")
    check_boot_self_tests(c, torpor)
    failed = re.search(r"suspend #\d+: step \S+ failed: .*", torpor)
    c.check(not failed, f"no suspend step failed{': ' + failed.group(0) if failed else ''}")
    check_no_panic(c, logs + [d / "console.log" for _, _, d in runs + blk])
    check_serial(c, results)


if __name__ == "__main__":
    sys.exit(main())
