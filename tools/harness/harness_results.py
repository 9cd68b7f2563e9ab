"""Reading a scenario's result directory (as written by dom0/lib.sh) on the host."""
import pathlib


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
