"""Reading a scenario's result directory (as written by dom0/lib.sh) on the host.

Every checker asserts at least one thing from each kind of evidence it reads and
never passes on an empty, missing or cut-short result directory: anything it
iterates over must hold a minimum number of items (test_checkers.py feeds each
checker such directories and expects FAIL).
"""
import datetime
import pathlib
import re

# xenconsoled --timestamp=guest: "[YYYY-MM-DD HH:MM:SS] text", dom0's clock (UTC).
STAMPED = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\] (.*)$")
HEARTBEAT = re.compile(r"^heartbeat (\d+) mono_ns=(\d+) wall_ns=(\d+)$")
# The guest's wall clock against dom0's: 2 s, plus the 0.5 s by which dom0's
# whole-second stamp can be off the middle of the second it stands for.
WALL_CLOCK_TOLERANCE_S = 2.5
# Heartbeats further apart than this (guest wall clock) start a new run.
RUN_GAP_S = 3.0

# torpor's kpanic ("torpor: PANIC: ..."), Linux's panic().
CONSOLE_PANIC = re.compile(r"PANIC|Kernel panic - not syncing")
BOOT_BANNER = re.compile(r"torpor \S+: booted on Xen ")
GRANT_SELF_TEST_OK = re.compile(r"grant table: \d+ frames, \d+ refs; self-test ok$", re.M)
LIBC_SELF_TEST_OK = re.compile(r"libc: errno is per thread$", re.M)
GRANT_FAILED = re.compile(r"grant table: (self-test|setup) failed")

# serial.log: Xen's console ("(XEN) ..."), dom0's kernel ("[  12.345678] ...")
# and the payload's output. These mean the hypervisor or dom0 broke, whichever
# scenario was running: Xen's panic()/BUG()/ASSERT()/fatal traps/watchdog,
# dom0 crashing, a dom0 kernel oops or panic.
HYPERVISOR_CRASH = re.compile(
    r"^\(XEN\) (Panic on CPU \d+|Xen BUG at |Assertion '.*' failed at |FATAL TRAP|FATAL PAGE FAULT|"
    r"Early fatal page fault|Hardware Dom\d+ crashed|Watchdog timer detects|Fatal machine check)"
    r"|^\[\s*\d+\.\d+\] (Kernel panic - not syncing|BUG: |Oops: |kernel BUG at |"
    r"general protection fault)")
# A guest crashed by Xen (bad page table, fault without a handler, ...), or a
# guest panic written with console_io before its PV console was up ("(dN) ...").
GUEST_CRASH = re.compile(
    r"^\(XEN\) (Domain \d+ \(vcpu#\d+\) crashed|Domain \d+ reported crashed|"
    r"domain_crash(_sync)? called from)|^\(d\d+\) .*PANIC")


class Checker:
    """Collects named PASS/FAIL assertions and prints them as it goes."""

    def __init__(self, scenario: str):
        self.scenario = scenario
        self.passed = 0
        self.failed = 0

    def check(self, ok, what: str) -> bool:
        ok = bool(ok)
        print(f"{'PASS' if ok else 'FAIL'} {self.scenario}: {what}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok

    def check_steps(self, steps: dict, names) -> None:
        """Every named dom0 step ran and exited 0. A failed step's FAIL line
        carries what its log says went wrong, so that a CI run that keeps
        nothing but this output can still be diagnosed."""
        for name in names:
            rc = steps.get(name)
            hint = "" if rc == 0 else step_failure_hint(getattr(steps, "results", None), name)
            self.check(rc == 0, f"step {name} rc={rc}" + (f": {hint}" if hint else ""))

    def check_scenario_ran(self, results: pathlib.Path) -> bool:
        """The result directory exists and the scenario script exited 0 (not
        124: cut off by its time limit)."""
        if not self.check(results.is_dir(), f"result directory {results} exists"):
            return False
        rc = read_text(results / "rc").strip() or "missing"
        return self.check(rc == "0", f"scenario exit status {rc} == 0")

    def run(self, body) -> int:
        """Runs body(self) and finishes; an exception (a result file that is
        missing or malformed) is a FAIL, not a traceback."""
        try:
            body(self)
        except Exception as e:  # noqa: BLE001 -- any surprise in the results is a failure
            self.check(False, f"results unreadable: {type(e).__name__}: {e}")
        return self.finish()

    def finish(self) -> int:
        print(f"{self.scenario}: {self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 and self.passed > 0 else 1


def read_text(path: pathlib.Path) -> str:
    """The file's text, or "" when it is missing."""
    return path.read_text(errors="replace") if path.is_file() else ""


class Steps(dict):
    """step name -> rc, remembering the result directory (for step logs)."""

    results = None


FAILURE_WORDS = re.compile(r"error|fail|cannot|refus|denied|timed? ?out|no such|abort", re.I)


def step_failure_hint(results, name: str, lines: int = 3, width: int = 160) -> str:
    """The last lines of step `name`'s log (steps/NN-name.log, the last run)
    that say something failed, else its last line; "" without a log."""
    if results is None:
        return ""
    logs = sorted((pathlib.Path(results) / "steps").glob(f"[0-9]*-{name}.log"))
    if not logs:
        return ""
    text = [l.strip() for l in read_text(logs[-1]).splitlines() if l.strip()]
    picked = [l for l in text if FAILURE_WORDS.search(l)][-lines:] or text[-1:]
    return " | ".join(l[:width] for l in picked)


def read_steps(results: pathlib.Path) -> dict:
    """step name -> rc (the last run of a step name wins)."""
    steps = Steps()
    steps.results = results
    for line in read_text(results / "steps.tsv").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1].lstrip("-").isdigit():
            steps[parts[0]] = int(parts[1])
    return steps


def read_tsv(path: pathlib.Path, columns: int) -> list:
    """The rows (lists of strings) of a tab-separated file after its header;
    rows with fewer than `columns` fields (a line cut short) are dropped."""
    rows = [line.split("\t") for line in read_text(path).splitlines()[1:]]
    return [r for r in rows if len(r) >= columns]


def console_files(results: pathlib.Path, guest: str) -> list:
    """The guest's console logs in the order they were written."""
    console = results / "console"
    names = [f"guest-{guest}.log", f"guest-{guest}--incoming.log"]
    return [console / n for n in names if (console / n).exists()]


def read_console(results: pathlib.Path, guest: str) -> str:
    return "".join(p.read_text(errors="replace") for p in console_files(results, guest))


def all_console_logs(results: pathlib.Path) -> list:
    """Every guest console log the scenario collected, whichever guest."""
    return sorted((results / "console").glob("*.log")) if (results / "console").is_dir() else []


def stamped_lines(text: str) -> list:
    """(dom0 timestamp, guest text) for every line xenconsoled stamped."""
    return [m.groups() for m in map(STAMPED.match, text.splitlines()) if m]


RESUMED_HERE = re.compile(r"^suspend #\d+: (resumed in a new domain|cancelled) ")


def console_logs_without_replay(results: pathlib.Path, guest: str) -> list:
    """(path, [(dom0 timestamp, text)]) for each of the guest's console logs,
    without the lines a receiving xenconsoled printed again after a migration:
    the console ring travels with the guest's memory, and what the sender's
    xenconsoled had read but not yet marked consumed when the last copy was
    made is read once more on the other side. Such lines come first in a
    freshly opened log ("Logfile Opened"), before the guest's own resume
    report, and are already in another of its logs; they are left out."""
    files = console_files(results, guest)
    per_file = [stamped_lines(f.read_text(errors="replace")) for f in files]
    texts = [{t for _, t in lines} for lines in per_file]
    result = []
    for n, (path, lines) in enumerate(zip(files, per_file)):
        def elsewhere(t, n=n):
            return any(t in other for m, other in enumerate(texts) if m != n)
        replaying = False
        kept = []
        for i, (stamp, t) in enumerate(lines):
            if t == "Logfile Opened" and (n, i) != (0, 0):  # the boot's own log is no replay
                replaying = True
            elif RESUMED_HERE.match(t):
                replaying = False
            elif replaying and elsewhere(t):
                continue
            kept.append((stamp, t))
        result.append((path, kept))
    return result


def console_lines_without_replay(results: pathlib.Path, guest: str) -> list:
    """The guest's console lines (text only, log after log) without replayed
    ones (console_logs_without_replay)."""
    return [t for _, lines in console_logs_without_replay(results, guest) for _, t in lines]


def wall_clock_offset(stamp: str, wall_ns: int) -> float:
    """Guest wall clock minus dom0's, in seconds; dom0's stamp is truncated to
    the second it logged the line, so its middle is used."""
    dom0 = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    return wall_ns / 1e9 - (dom0 + 0.5)


def check_wall_clock(c: Checker, beats: list, where: str = "") -> None:
    """beats: (dom0 stamp, HEARTBEAT match), in log order (one log after another).

    xenconsoled stamps a line when it reads it, which can be seconds after the
    guest wrote it on a loaded machine (a burst of beats then shares one
    stamp): lateness only ever makes the guest look *behind* dom0. So:
    no beat may be ahead of dom0 by more than the tolerance, and in every run
    of beats between two gaps of more than RUN_GAP_S (a save or a migration,
    a new log; a starved vCPU can space beats 2-3 s apart) the least-delayed beat
    must be within the tolerance: a guest clock that is wrong after a resume
    is wrong for its whole run and fails. At least one run must be checked."""
    offsets = [wall_clock_offset(stamp, int(m.group(3))) for stamp, m in beats]
    walls = [int(m.group(3)) / 1e9 for _, m in beats]
    runs, start = [], 0
    for i in range(1, len(walls) + 1):
        if i == len(walls) or not 0 < walls[i] - walls[i - 1] <= RUN_GAP_S:
            runs.append(offsets[start:i])
            start = i
    runs = [r for r in runs if r]
    ahead = max(offsets, default=float("inf"))
    best = [max(r) for r in runs]
    worst_run = min(best, default=float("-inf"))
    ok = bool(offsets) and ahead <= WALL_CLOCK_TOLERANCE_S and \
        worst_run >= -WALL_CLOCK_TOLERANCE_S
    c.check(ok, f"wall clock within {WALL_CLOCK_TOLERANCE_S} s of dom0's"
            f"{' ' + where if where else ''}: never ahead (most {ahead:+.2f} s), and each of "
            f"{len(runs)} runs of heartbeats has a beat within it (worst run {worst_run:+.2f} s; "
            f"{len(offsets)} heartbeats, latest-stamped {min(offsets, default=0):+.2f} s)")


def check_no_panic(c: Checker, logs: list) -> None:
    """No line of any of these console logs (stamped or not) reports a panic;
    there must be at least one log with something in it."""
    lines = [(p.name, line) for p in logs for line in read_text(p).splitlines()]
    bad = [f"{name}: {line}" for name, line in lines if CONSOLE_PANIC.search(line)]
    c.check(lines and not bad, f"no panic in {len(logs)} console logs ({len(lines)} lines)"
            + (f": {bad[0]}" if bad else ""))


def check_boot_self_tests(c: Checker, text: str) -> None:
    """Every boot banner in text is matched by a grant table self-test and a
    per-thread errno self-test that passed, and nothing reports a failed grant
    table setup or self-test."""
    banners = len(BOOT_BANNER.findall(text))
    ok = len(GRANT_SELF_TEST_OK.findall(text))
    failed = GRANT_FAILED.search(text)
    c.check(banners > 0 and ok == banners and not failed,
            f"grant table self-test ok after each of {banners} boots ({ok} ok"
            + (f"; {failed.group(0)}" if failed else "") + ")")
    libc_ok = len(LIBC_SELF_TEST_OK.findall(text))
    c.check(banners > 0 and libc_ok == banners,
            f"errno per thread after each of {banners} boots ({libc_ok} ok)")


def serial_log(results: pathlib.Path) -> pathlib.Path:
    """run.sh's serial log: one per QEMU boot, beside the scenario directories."""
    return results.parent / "serial.log"


def serial_lines(results: pathlib.Path) -> list:
    """serial.log's non-empty lines (its lines end in "\r\r\n")."""
    return [l for l in read_text(serial_log(results)).splitlines() if l]


def serial_section(results: pathlib.Path):
    """The serial.log lines written while this scenario ran: from make-payload's
    "@@harness scenario NAME start" to its "@@harness scenario NAME rc=" (or the
    end of the log if it never finished). None if there is no such start."""
    lines = serial_lines(results)
    start = f"@@harness scenario {results.name} start"
    end = f"@@harness scenario {results.name} rc="
    first = next((i for i, l in enumerate(lines) if l.startswith(start)), None)
    if first is None:
        return None
    last = next((i for i in range(first, len(lines)) if lines[i].startswith(end)), len(lines) - 1)
    return lines[first:last + 1]


def check_serial(c: Checker, results: pathlib.Path, guest_crash_expected: bool = False) -> None:
    """serial.log shows no hypervisor or dom0 crash anywhere in the boot, and
    (unless this scenario crashes a guest on purpose) no guest crashed by Xen
    while this scenario ran; other scenarios' guest crashes are theirs."""
    path = serial_log(results)
    lines = serial_lines(results)
    if not c.check(lines, f"serial log {path} present ({len(lines)} lines)"):
        return
    crash = next((l for l in lines if HYPERVISOR_CRASH.search(l)), None)
    c.check(crash is None, "no Xen or dom0 crash in the serial log" + (f": {crash}" if crash else ""))
    section = serial_section(results)
    if not c.check(section is not None, f"scenario {results.name} found in the serial log "
                   f"({len(section or [])} lines)"):
        return
    if not guest_crash_expected:
        crash = next((l for l in section if GUEST_CRASH.search(l)), None)
        c.check(crash is None, "no guest crashed by Xen during the scenario"
                + (f": {crash}" if crash else ""))
