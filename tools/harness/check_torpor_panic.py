#!/usr/bin/env python3
"""Asserts the torpor-panic scenario from the crashed guests' own console logs.

usage: check_torpor_panic.py RESULTDIR [TORPOR_ELF]

With the ELF, each backtrace is also symbolised (tools/symbolize_backtrace.py)
and must run through the functions that failed.
"""
import pathlib
import re
import sys

from harness_results import Checker, read_console, read_steps, stamped_lines

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import symbolize_backtrace  # noqa: E402  (tools/symbolize_backtrace.py)

CASES = ("assert", "pagefault", "overflow", "nested", "wx", "nmi")
HEADER = re.compile(r"^torpor: PANIC on vcpu (\d+) \(thread ([^)]*)\): (.*)$")
TRIGGER = re.compile(r'^panic_test: triggering "(\w+)" in thread panic-test on vcpu (\d+)$')
FRAME_COUNT = re.compile(r"^torpor: panic: backtrace \((\d+) frames")
FRAME = re.compile(r"^torpor: panic:   #(\d+) (0x[0-9a-f]+)")

# What each case's report must say, and (with the ELF) a function its backtrace must show.
EXPECTED = {
    "assert": (r"VERIFY\(never_zero == 0\) failed at main/panic_test\.cpp:\d+ in fail_verify\(\)",
               "fail_verify"),
    "pagefault": (r"page fault at address 0xdead000: not-present page, write in kernel mode "
                  r"\(error code 0x2\) at rip 0xffffffff8", "fail_page_fault"),
    "overflow": (r"stack overflow in thread panic-test: stack pointer 0x[0-9a-f]+ is only \d+ "
                 r"bytes above the bottom of its stack", "recurse"),
    "nested": (r"\(its report was cut short by a nested panic; see below\)", "fail_nested"),
    "wx": (r"page fault at address 0xffffffff8[0-9a-f]+: protection violation on a present "
           r"page, write in kernel mode \(error code 0x3\)", "fail_write_text"),
    "nmi": (r"NMI \(a non-maskable interrupt from Xen", None),
}


def guest_lines(text: str) -> list:
    stamped = stamped_lines(text)
    return [t for _, t in stamped] if stamped else text.splitlines()


def check_backtrace(c: Checker, case: str, lines: list, start: int, elf, want):
    """The frames printed after the header at lines[start]."""
    count_line = next((m for m in map(FRAME_COUNT.match, lines[start:]) if m), None)
    frames = []
    for line in lines[start:]:
        m = FRAME.match(line)
        if m:
            frames.append(int(m.group(2), 16))
        elif frames:
            break
    c.check(count_line is not None and len(frames) >= 2
            and int(count_line.group(1)) == len(frames),
            f"{case}: backtrace with at least 2 frames ({len(frames)})")
    c.check(all(a >= 0xffffffff80000000 for a in frames), f"{case}: every frame in the kernel image")
    if elf and want and frames:
        text = "\n".join(lines[start:start + 2 + len(frames)])
        names = symbolize_backtrace.symbolize(
            elf, [symbolize_backtrace.lookup_address(a, exact) for _, a, exact in
                  symbolize_backtrace.frames(text)])
        for n in names:
            print(f"    {n}")
        c.check(any(want in n for n in names), f"{case}: backtrace runs through {want}()")


def check_case(c: Checker, results: pathlib.Path, case: str, elf):
    lines = guest_lines(read_console(results, f"panic-{case}"))
    c.check(bool(lines), f"{case}: console log collected")
    state_file = results / f"state-{case}"
    state = state_file.read_text().strip() if state_file.exists() else ""
    c.check("c" in state, f"{case}: domain ended crashed (xl list state '{state}')")

    vcpu_wanted = 0
    if case != "nmi":
        trigger = next((m for m in map(TRIGGER.match, lines) if m), None)
        c.check(trigger is not None and trigger.group(1) == case,
                f"{case}: the guest triggered it ({trigger.group(0) if trigger else 'no trigger line'})")
        vcpu_wanted = int(trigger.group(2)) if trigger else 1
    headers = [(i, m) for i, m in enumerate(map(HEADER.match, lines)) if m]
    c.check(len(headers) == 1, f"{case}: exactly one PANIC header ({len(headers)})")
    if not headers:
        return
    at, header = headers[0]
    print(f"  {lines[at]}")
    thread = "panic-test" if case != "nmi" else None
    c.check(int(header.group(1)) == vcpu_wanted and (thread is None or header.group(2) == thread)
            and header.group(2) != "",
            f"{case}: names vcpu {header.group(1)} and thread '{header.group(2)}'")
    pattern, function = EXPECTED[case]
    report = "\n".join(lines[at:at + 40])
    c.check(re.search(pattern, report) is not None, f"{case}: report says /{pattern}/")
    c.check(any(l.startswith("torpor: panic: stopped 1 other vCPU") for l in lines[:at]),
            f"{case}: the other vCPU was stopped before the report")
    if case == "nested":
        nested = next((i for i, l in enumerate(lines) if l.startswith(
            "torpor: PANIC (nested, while reporting the panic above) on vcpu")), None)
        c.check(nested is not None and "page fault at address 0xbad0" in lines[nested],
                "nested: the fault while formatting is reported as a nested panic "
                "(with the console's output lock held by the failed code)")
        if nested is not None:
            print(f"  {lines[nested]}")
            check_backtrace(c, case, lines, nested, elf, None)
    else:
        check_backtrace(c, case, lines, at, elf, function)
    c.check(lines[-1] == "torpor: panic: crashing the domain",
            f"{case}: the report ends the log (drained before the crash): '{lines[-1]}'")


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    results = pathlib.Path(sys.argv[1])
    elf = sys.argv[2] if len(sys.argv) == 3 else None
    c = Checker("torpor-panic")
    steps = read_steps(results)
    names = []
    for case in CASES:
        names += [f"create-{case}", f"ready-{case}", f"crashed-{case}"]
    names.append("trigger-nmi")
    c.check_steps(steps, names)
    for case in CASES:
        check_case(c, results, case, elf)
    # Every guest booted fully before failing; its boot self-test of newlib's state:
    boot = guest_lines(read_console(results, "panic-assert"))
    c.check("libc: errno is per thread" in boot, "boot self-test: errno is per thread")
    c.check("memory: kernel text read-only, rodata read-only, data and the direct map no-execute; "
            "a guard page below every stack" in boot, "W^X with NX and guard pages in place")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
