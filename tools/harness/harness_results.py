"""Reading a scenario's result directory (as written by dom0/lib.sh) on the host."""
import datetime
import pathlib
import re

# xenconsoled --timestamp=guest: "[YYYY-MM-DD HH:MM:SS] text", dom0's clock (UTC).
STAMPED = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\] (.*)$")
HEARTBEAT = re.compile(r"^heartbeat (\d+) mono_ns=(\d+) wall_ns=(\d+)$")


class Checker:
    """Collects named PASS/FAIL assertions and prints them as it goes."""

    def __init__(self, scenario: str):
        self.scenario = scenario
        self.passed = 0
        self.failed = 0

    def check(self, ok: bool, what: str) -> bool:
        print(f"{'PASS' if ok else 'FAIL'} {self.scenario}: {what}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok

    def check_steps(self, steps: dict, names) -> None:
        """Every named dom0 step ran and exited 0."""
        for name in names:
            self.check(steps.get(name) == 0, f"step {name} rc={steps.get(name)}")

    def finish(self) -> int:
        print(f"{self.scenario}: {self.passed} passed, {self.failed} failed")
        return 0 if self.failed == 0 and self.passed > 0 else 1


def read_steps(results: pathlib.Path) -> dict:
    """step name -> rc (the last run of a step name wins)."""
    steps = {}
    path = results / "steps.tsv"
    if not path.exists():
        return steps
    for line in path.read_text().splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1].lstrip("-").isdigit():
            steps[parts[0]] = int(parts[1])
    return steps


def console_files(results: pathlib.Path, guest: str) -> list:
    """The guest's console logs in the order they were written."""
    console = results / "console"
    names = [f"guest-{guest}.log", f"guest-{guest}--incoming.log"]
    return [console / n for n in names if (console / n).exists()]


def read_console(results: pathlib.Path, guest: str) -> str:
    return "".join(p.read_text(errors="replace") for p in console_files(results, guest))


def stamped_lines(text: str) -> list:
    """(dom0 timestamp, guest text) for every line xenconsoled stamped."""
    return [m.groups() for m in map(STAMPED.match, text.splitlines()) if m]


def wall_clock_offset(stamp: str, wall_ns: int) -> float:
    """Guest wall clock minus dom0's, in seconds; dom0's stamp is truncated to
    the second it logged the line, so its middle is used."""
    dom0 = datetime.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    return wall_ns / 1e9 - (dom0 + 0.5)
