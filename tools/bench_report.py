#!/usr/bin/env python3
"""Turns a bench run's results into a table (stdout), bench.json and bench.png.

usage: bench_report.py RESULTDIR OUTDIR [--check]
Guests: torpor (memory 256, balloon on), torpor-noballoon, linux (the Linux PV
baseline, memory 256), torpor-16m (torpor at 16 MiB: what xl costs by itself).
RESULTDIR is the bench scenario's result directory (bench.tsv, console-*.log).
--check fails unless the scenario ran to its end, every figure the bench
promises is there, the chart was drawn and the guests' logs show no panic,
failed suspend step or failed grant self-test (the smoke test).
"""
import json
import pathlib
import re
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "harness"))
from harness_results import (Checker, check_boot_self_tests, check_no_panic,  # noqa: E402
                             check_serial, read_text)

GUESTS = ["torpor", "torpor-noballoon", "linux", "torpor-16m"]
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
]


def guest_of(log: pathlib.Path) -> str:
    """console-GUEST-REP.log -> GUEST"""
    return log.stem.split("-", 1)[1].rsplit("-", 1)[0]


def collect(results: pathlib.Path) -> dict:
    values = {g: {} for g in GUESTS}
    add = lambda g, k, v: values[g].setdefault(k, []).append(float(v))
    rows = [r.split("\t") for r in read_text(results / "bench.tsv").splitlines()[1:]]
    per_rep = {}
    for guest, rep, metric, value in (r for r in rows if len(r) == 4 and r[0] in values):
        if metric == "image_bytes":
            add(guest, "image_mib", int(value) / 2**20)
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
    return values


def medians(values: dict) -> dict:
    return {g: {k: {"median": statistics.median(v), "n": len(v)} for k, v in m.items()}
            for g, m in values.items()}


def table(med: dict) -> str:
    fmt = lambda x: "-" if x is None else (f"{x:.1f}" if x < 100 else f"{x:.0f}")
    get = lambda g, k: med[g].get(k, {}).get("median")
    lines = ["| figure | torpor | torpor, no balloon | Linux PV | torpor/Linux | torpor, 16 MiB |",
             "|---|---|---|---|---|---|"]
    for key, label, unit in METRICS:
        t, nb, l = get("torpor", key), get("torpor-noballoon", key), get("linux", key)
        small = get("torpor-16m", key)
        ratio = f"{t / l:.3f}" if t is not None and l else "-"
        lines.append(f"| {label} ({unit}) | {fmt(t)} | {fmt(nb)} | {fmt(l)} | {ratio} | {fmt(small)} |")
    return "\n".join(lines)


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
    script = f"""set terminal png size 900,500 noenhanced
set output '{out / "bench.png"}'
set title 'torpor vs Linux PV (medians, ms; QEMU TCG, Xen 4.17)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel 'ms (log)'
set key below horizontal
plot '{data}' using 2:xtic(1) title 'torpor', '' using 3 title 'torpor, no balloon', '' using 4 title 'Linux PV', '' using 5 title 'torpor, 16 MiB'
"""
    done = subprocess.run(["gnuplot"], input=script, text=True)
    return done.returncode == 0 and (out / "bench.png").exists()


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "--check"]
    if len(args) != 2:
        sys.exit(__doc__)
    results, out = map(pathlib.Path, args)
    check = "--check" in sys.argv
    out.mkdir(parents=True, exist_ok=True)
    med = medians(collect(results))
    (out / "bench.json").write_text(json.dumps(med, indent=2, sort_keys=True) + "\n")
    print(table(med))
    png = chart(med, out)
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
    if not check:
        return 0
    return Checker(results.name).run(lambda c: check_run(c, results, med, png))


def check_run(c: Checker, results: pathlib.Path, med: dict, png: bool) -> None:
    c.check_scenario_ran(results)
    missing = [f"{g}:{k}" for g in GUESTS for k in ("boot_ms", "save_ms", "image_mib", "restore_ms",
                                                     "migrate_live_ms") if k not in med[g]]
    missing += [f"torpor:{k}" for k in ("guest_boot_ms", "suspend_path_ms", "resume_path_ms",
                                        "downtime_ms") if k not in med["torpor"]]
    c.check(not missing, f"every promised figure measured; missing: {missing or 'none'}")
    c.check(png, "chart drawn")
    logs = sorted(results.glob("console-*.log"))
    without = [g for g in GUESTS if not any(guest_of(p) == g for p in logs)]
    c.check(logs and not without, f"{len(logs)} guest console logs, none missing for "
            f"{without or 'any guest'}")
    torpor = "".join(read_text(p) for p in logs if guest_of(p) != "linux")
    check_boot_self_tests(c, torpor)
    failed = re.search(r"suspend #\d+: step \S+ failed: .*", torpor)
    c.check(not failed, f"no suspend step failed{': ' + failed.group(0) if failed else ''}")
    check_no_panic(c, logs)
    check_serial(c, results)


if __name__ == "__main__":
    sys.exit(main())
