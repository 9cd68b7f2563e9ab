#!/usr/bin/env python3
"""Turns the backtraces in a torpor console log into function names.

usage: symbolize_backtrace.py TORPOR_ELF [CONSOLE_LOG]   (the log defaults to stdin)

A panic prints its frames as raw addresses ("torpor: panic:   #3 0xffffffff8000abcd",
see base/panic.cpp). This prints the log back with each frame followed by its
function and source line, from `addr2line` on the very ELF that ran. Return
addresses point just past their call, so they are looked up one byte earlier;
a frame marked "(faulting instruction)" is looked up as it is.
"""
import re
import subprocess
import sys

FRAME = re.compile(r"#(\d+) (0x[0-9a-fA-F]+)( \(faulting instruction\))?")


def frames(text: str) -> list:
    """(index, address, exact) for every backtrace line, in order."""
    out = []
    for line in text.splitlines():
        if "torpor: panic:" not in line:
            continue
        m = FRAME.search(line)
        if m:
            out.append((int(m.group(1)), int(m.group(2), 16), m.group(3) is not None))
    return out


def lookup_address(address: int, exact: bool) -> int:
    return address if exact else address - 1


def symbolize(elf: str, addresses: list) -> list:
    """One "function at file:line" per address (addr2line, innermost inline frame first)."""
    if not addresses:
        return []
    result = subprocess.run(
        ["addr2line", "-f", "-C", "-e", elf] + [hex(a) for a in addresses],
        check=True, capture_output=True, text=True)
    lines = result.stdout.splitlines()
    names = []
    for i in range(len(addresses)):
        function = lines[2 * i] if 2 * i < len(lines) else "??"
        where = lines[2 * i + 1] if 2 * i + 1 < len(lines) else "??"
        names.append(f"{function} at {where}")
    return names


def annotate(elf: str, text: str) -> str:
    found = frames(text)
    names = symbolize(elf, [lookup_address(a, exact) for _, a, exact in found])
    by_line = iter(names)
    out = []
    for line in text.splitlines():
        out.append(line)
        if "torpor: panic:" in line and FRAME.search(line):
            out.append(f"        {next(by_line)}")
    return "\n".join(out) + "\n"


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    text = open(sys.argv[2], errors="replace").read() if len(sys.argv) == 3 else sys.stdin.read()
    sys.stdout.write(annotate(sys.argv[1], text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
