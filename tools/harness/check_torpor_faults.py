#!/usr/bin/env python3
"""Asserts the torpor-faults scenario from the guests' own console output.

Per guest (faults.tsv): its down-path fault made suspend #1 abort and `xl save`
fail as libxl defines it, the guest then ran on with every vCPU, console input,
watch, timer and heartbeat; suspends #2 (save/restore) and #3 (migrate --live)
succeeded; suspend #4's resume fault ended as chosen (a panic naming the step
and a crashed domain, or a guest that carries on).

usage: check_torpor_faults.py RESULTDIR
"""
import pathlib
import re
import sys

from harness_results import (HEARTBEAT, Checker, console_files, read_steps, stamped_lines)

VCPUS = 4
DOWN_STEPS = ["app", "xenstore", "devices", "cpus", "timers", "unmap"]
RESUME_STEPS = ["resume.remap", "resume.events", "resume.clocks", "resume.cpus",
                "resume.xenstore", "resume.devices"]


def step_ms(results: pathlib.Path) -> dict:
    out = {}
    path = results / "steps.tsv"
    if path.exists():
        for line in path.read_text().splitlines()[1:]:
            parts = line.split("\t")
            if len(parts) >= 3 and parts[2].isdigit():
                out[parts[0]] = int(parts[2])
    return out


def step_log(results: pathlib.Path, name: str) -> str:
    logs = sorted((results / "steps").glob(f"*-{name}.log")) if (results / "steps").is_dir() else []
    return "".join(p.read_text(errors="replace") for p in logs)


def read_plan(results: pathlib.Path) -> list:
    path = results / "faults.tsv"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) == 4:
            rows.append(tuple(parts))
    return rows


def check_guest(c: Checker, results: pathlib.Path, steps: dict, ms: dict, row: tuple) -> None:
    guest, down, up, end = row
    files = console_files(results, guest)
    per_file = [stamped_lines(f.read_text(errors="replace")) for f in files]
    lines = [t for parsed in per_file for _, t in parsed]
    text = "\n".join(lines)
    g = f"{guest} (fault={down}:1,{up}:4)"
    if not c.check(bool(lines), f"{g}: console log present"):
        return

    # --- suspend #1: the down-path fault ---
    rc = steps.get(f"save-fault-{guest}")
    c.check(rc not in (None, 0, 124), f"{g}: xl save failed (rc={rc}), within its bound")
    c.check("guest did not suspend" in step_log(results, f"save-fault-{guest}"),
            f"{g}: libxl's verdict: the guest did not suspend")
    c.check(f"suspend #1: injected fault in {down}" in lines, f"{g}: fault injected in {down}")
    err = "timed out" if down == "cpus" else "busy"
    c.check(re.search(rf"^suspend #1: step {down} failed: {err} \(injected\); everything before "
                      r"it was undone$", text, re.M) is not None,
            f"{g}: suspend #1 aborted at {down} ({err}) and unwound")
    c.check(re.search(r"^suspend #1: aborted ", text, re.M) is not None, f"{g}: outcome aborted")
    if down == "app":
        c.check(not re.search(r"^app: (suspending|resumed) \(#1\)", text, re.M),
                f"{g}: the application never heard of suspend #1")
    else:
        c.check(re.search(r"^app: resumed \(#1\) cancelled=1 .* unchanged$", text, re.M)
                is not None, f"{g}: the application resumed from #1 (cancelled, memory unchanged)")
        c.check(re.search(r"^app: timer armed before suspend 1 fired at or after", text, re.M)
                is not None, f"{g}: the timer armed before suspend #1 fired after it")
    c.check(steps.get(f"alive-{guest}") == 0, f"{g}: domain still running after the failed save")
    c.check(steps.get(f"poke-fault-{guest}") == 0 and
            'watch data/ping fired: value="fault-1"' in lines and
            'console: echo "echo-fault-1"' in lines,
            f"{g}: watch and console input answered after the fault")
    adv = re.search(r"^app: check fault-1 (\d+) of (\d+) vcpus advanced", text, re.M)
    c.check(adv is not None and adv.group(1) == adv.group(2) == str(VCPUS),
            f"{g}: every vCPU online and running after the fault "
            f"({adv.group(0) if adv else 'no report'})")
    # The heartbeat ran through libxl's whole wait (100 ms period).
    fault_at = next((i for i, t in enumerate(lines) if t.startswith("suspend #1: injected")), None)
    ok_at = next((i for i, t in enumerate(lines) if t.startswith("app: check fault-1")), None)
    beats = ([t for t in lines[fault_at:ok_at] if HEARTBEAT.match(t)]
             if fault_at is not None and ok_at is not None else [])
    c.check(len(beats) >= 100, f"{g}: {len(beats)} heartbeats between the fault and the check")
    for f, parsed in zip(files, per_file):
        monos = [int(m.group(2)) for _, t in parsed if (m := HEARTBEAT.match(t))]
        c.check(all(b > a for a, b in zip(monos, monos[1:])),
                f"{g}: {f.name}: monotonic time strictly increasing over {len(monos)} beats")

    # --- suspends #2 and #3: a normal save/restore and live migration ---
    for name in ("save-2", "restore-2", "resumed-2", "migrate-3", "resumed-3", "poke-3"):
        c.check(steps.get(f"{name}-{guest}") == 0,
                f"{g}: step {name} rc={steps.get(f'{name}-{guest}')}")
    for k in (2, 3):
        res = re.search(rf"^app: resumed \(#{k}\) cancelled=0 .* (\w+)$", text, re.M)
        c.check(res is not None and res.group(1) == "unchanged",
                f"{g}: #{k} resumed in a new domain, memory {res.group(1) if res else '?'}")
        adv = re.search(rf"^app: after resume #{k} (\d+) of (\d+) vcpus advanced", text, re.M)
        c.check(adv is not None and adv.group(1) == adv.group(2) == str(VCPUS),
                f"{g}: #{k} every vCPU running ({adv.group(0) if adv else 'no report'})")

    # --- suspend #4: the resume-path fault ---
    c.check(steps.get(f"save-4-{guest}") == 0 and steps.get(f"restore-4-{guest}") == 0,
            f"{g}: #4 saved and restored")
    c.check(f"suspend #4: injected fault in {up}" in lines, f"{g}: fault injected in {up}")
    name = up.split(".", 1)[1]
    panics = [t for t in lines if "PANIC" in t]
    if end == "panic":
        c.check(len(panics) == 1 and re.search(
                    rf"PANIC.*suspend #4: resume step {name} failed: busy \(injected\)",
                    panics[0]) is not None,
                f"{g}: panicked naming the step ({panics[0] if panics else 'no panic'})")
        # The scenario saw the panic line (a wait that timed out cost the
        # suite a minute per guest and went unnoticed).
        c.check(steps.get(f"panicked-4-{guest}") == 0,
                f"{g}: step panicked-4 rc={steps.get(f'panicked-4-{guest}')}")
        c.check(steps.get(f"crashed-4-{guest}") == 0, f"{g}: Xen reports the domain crashed")
        c.check(not re.search(r"^app: (resumed \(#4\)|after resume #4)", text, re.M),
                f"{g}: nothing ran after the failed step")
    else:
        c.check(not panics, f"{g}: no panic")
        c.check(re.search(rf"^resume #4: step {name} failed: busy \(injected\); the drivers "
                          r"contained it, carrying on$", text, re.M) is not None,
                f"{g}: the {name} failure was logged and the guest carried on")
        adv = re.search(r"^app: after resume #4 (\d+) of (\d+) vcpus advanced", text, re.M)
        c.check(adv is not None and adv.group(1) == adv.group(2) == str(VCPUS),
                f"{g}: #4 every vCPU running ({adv.group(0) if adv else 'no report'})")
        for s in ("resumed-4", "poke-4", "shutdown"):
            c.check(steps.get(f"{s}-{guest}") == 0, f"{g}: step {s} rc={steps.get(f'{s}-{guest}')}")
    print(f"  {guest}: failed xl save took {ms.get(f'save-fault-{guest}', 0) / 1000:.1f} s")


def main() -> int:
    results = pathlib.Path(sys.argv[1])
    c = Checker("torpor-faults")
    steps = read_steps(results)
    ms = step_ms(results)
    plan = read_plan(results)
    c.check(len(steps) > 0, f"{len(steps)} steps recorded")
    c.check(sorted(r[1] for r in plan) == sorted(DOWN_STEPS) and
            sorted(r[2] for r in plan) == sorted(RESUME_STEPS),
            f"every down-path and resume-path step planned once ({len(plan)} guests)")
    for name in (f"create-{r[0]}" for r in plan):
        c.check(steps.get(name) == 0, f"step {name} rc={steps.get(name)}")
    for row in plan:
        check_guest(c, results, steps, ms, row)
    saves = sorted(ms[f"save-fault-{r[0]}"] for r in plan if f"save-fault-{r[0]}" in ms)
    if saves:
        print(f"  failed xl save (six at once): {saves[0] / 1000:.1f}..{saves[-1] / 1000:.1f} s")
    payload_log = results.parent / "payload.log"
    if payload_log.exists():
        m = re.search(rf"scenario {results.name} rc=\d+ ms=(\d+)", payload_log.read_text())
        if m:
            print(f"  scenario took {int(m.group(1)) / 1000:.0f} s")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
