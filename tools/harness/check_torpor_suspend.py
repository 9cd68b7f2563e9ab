#!/usr/bin/env python3
"""Asserts the torpor-suspend scenario from torpor's own console output.

usage: check_torpor_suspend.py RESULTDIR
"""
import pathlib
import re
import sys

from harness_results import (HEARTBEAT as BEAT, Checker, console_files, read_steps,
                             stamped_lines, wall_clock_offset)


def parse(path):
    return stamped_lines(path.read_text(errors="replace"))


def main() -> int:
    results = pathlib.Path(sys.argv[1])
    c = Checker("torpor-suspend")
    steps = read_steps(results)
    bad = {n: rc for n, rc in steps.items()
           if rc != 0 and not n.startswith("migrate-killed")}
    c.check(len(steps) > 0 and not bad, f"{len(steps)} steps, failures: {bad or 'none'}")

    ops = []
    for line in (results / "ops.tsv").read_text().splitlines()[1:]:
        k, op, cancelled, rc = line.split("\t")
        ops.append((int(k), op, cancelled == "1", int(rc)))
    c.check(len(ops) >= 5, f"{len(ops)} operations ran")

    files = console_files(results, "s")
    per_file = [parse(f) for f in files]
    lines = [t for f in per_file for _, t in f]
    text = "\n".join(lines)

    # Monotonic time never goes back within each domain's log (each log file is
    # in time order), nor across a suspend (resume mono > suspend mono).
    for f, parsed in zip(files, per_file):
        monos = [int(m.group(2)) for _, t in parsed if (m := BEAT.match(t))]
        c.check(all(b > a for a, b in zip(monos, monos[1:])),
                f"{f.name}: {len(monos)} heartbeats, monotonic time strictly increasing")
    worst = 0.0
    for parsed in per_file:
        for stamp, t in parsed:
            m = BEAT.match(t)
            if m:
                worst = max(worst, abs(wall_clock_offset(stamp, int(m.group(3)))))
    c.check(worst <= 2.5, f"wall clock within 2 s of dom0's on every host (worst {worst:.2f} s)")

    downtimes = []
    for k, op, cancelled, rc in ops:
        what = f"#{k} {op}"
        c.check(rc == 0, f"{what}: xl rc as expected")
        sus = re.search(rf"^app: suspending \(#{k}\) at mono_ns=(\d+)$", text, re.M)
        res = re.search(rf"^app: resumed \(#{k}\) cancelled=(\d) downtime_ms=(\d+) mono_ns=(\d+) "
                        r"checksum=\w+ (\w+)$", text, re.M)
        if not (sus and res):
            c.check(False, f"{what}: suspend and resume reported")
            continue
        c.check(res.group(1) == ("1" if cancelled else "0"),
                f"{what}: told cancelled={res.group(1)}, downtime {res.group(2)} ms")
        downtimes.append((op, int(res.group(2))))
        c.check(res.group(4) == "unchanged", f"{what}: memory checksum {res.group(4)}")
        c.check(int(res.group(3)) > int(sus.group(1)), f"{what}: monotonic clock went forward")
        adv = re.search(rf"^app: after resume #{k} (\d+) of (\d+) vcpus advanced", text, re.M)
        c.check(adv is not None and adv.group(1) == adv.group(2) == "4",
                f"{what}: every vCPU counting after resume ({adv.group(0) if adv else 'missing'})")
        c.check(re.search(rf"^app: timer armed before suspend {k} fired at or after", text, re.M)
                is not None, f"{what}: timer armed before suspend fired after it")
        c.check(f'watch data/ping fired: value="after-{k}"' in lines, f"{what}: watch fired")
        c.check(f'console: echo "echo-{k}"' in lines, f"{what}: console input")
        c.check(re.search(rf"^suspend #{k} path \(us\):.* total=\d+$", text, re.M) is not None and
                re.search(rf"^resume #{k} path \(us\):.* total=\d+$", text, re.M) is not None,
                f"{what}: suspend and resume breakdowns logged")
    # The suspend-time balloon: every suspend gives the free memory back and
    # every resume gets all of it again; the amount given back stays level (a
    # leak in the guest would shrink it cycle after cycle); the save image
    # carries only what the guest uses (memory = 64 MiB in this scenario).
    gave = [int(n) for n in re.findall(r"^balloon: gave (\d+) frames", text, re.M)]
    back = re.findall(r"^balloon: (\d+) frames back \(", text, re.M)
    short = re.findall(r"^balloon: only .*$", text, re.M)
    c.check(len(gave) == len(ops) and len(back) == len(ops) and not short,
            f"balloon: {len(gave)} releases, {len(back)} full repopulations for {len(ops)} "
            f"operations{'; ' + short[0] if short else ''}")
    if gave:
        c.check(max(gave) - min(gave) <= 64,
                f"balloon: frames given back stay level ({min(gave)}..{max(gave)}): no leak")
    images = [int(line.split("\t")[1])
              for line in (results / "images.tsv").read_text().splitlines()[1:]]
    c.check(bool(images) and max(images) <= 16 << 20,
            f"{len(images)} save images of {min(images, default=0) / 2**20:.1f}.."
            f"{max(images, default=0) / 2**20:.1f} MiB, at most 16 of 64")
    c.check("PANIC" not in text, "no panic")
    for op in sorted({o for o, _ in downtimes}):
        ms = sorted(d for o, d in downtimes if o == op)
        print(f"  downtime {op}: median {ms[len(ms) // 2]} ms over {len(ms)}")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
