#!/usr/bin/env python3
"""Run QEMU with its serial port on stdout, bounded in time.

Usage: run_qemu.py --log SERIAL_LOG --timeout SECONDS -- QEMU_COMMAND...
QEMU must use `-chardev stdio,...` as its serial port.  Every serial line goes
to SERIAL_LOG; "@@harness" progress lines and error-looking lines are echoed to
stderr with the elapsed seconds.  QEMU is killed when SECONDS pass (exit 124);
otherwise QEMU's own exit status is returned.
"""
import argparse
import os
import re
import selectors
import subprocess
import sys
import time

ERRORS = re.compile(r"Panic|panic|BUG:|Oops|FATAL|general protection|segfault|"
                    r"Call Trace|\(XEN\) \*{8}|TIMEOUT|dom0 setup failed")
MAX_ERROR_LINES = 40
# elapsed time counts from the harness's start (_T0, set by host/common.sh)
T0 = int(os.environ.get("_T0", 0)) / 1e6 or time.time()


def say(msg):
    tenths = int((time.time() - T0) * 10)
    sys.stderr.write("[harness %4d.%ds] %s\n" % (tenths // 10, tenths % 10, msg))
    sys.stderr.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--timeout", type=float, required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    say("QEMU started (pid %d), hard limit %ds" % (qemu.pid, a.timeout))
    sel = selectors.DefaultSelector()
    sel.register(qemu.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + a.timeout
    buf, errors, last = b"", 0, "none"
    with open(a.log, "wb") as log:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                say("TIMEOUT: QEMU still running after %ds (last progress: %s); killing it"
                    % (a.timeout, last))
                qemu.terminate()
                try:
                    qemu.wait(5)
                except subprocess.TimeoutExpired:
                    qemu.kill()
                    qemu.wait()
                return 124
            if not sel.select(min(left, 1.0)):
                continue
            chunk = os.read(qemu.stdout.fileno(), 65536)
            if not chunk:
                break
            log.write(chunk)
            log.flush()
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for raw in lines:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                i = line.find("@@harness ")
                if i >= 0:
                    last = line[i + 10:]
                    say("dom0: " + last)
                elif ERRORS.search(line) and errors < MAX_ERROR_LINES:
                    errors += 1
                    say("serial: " + line)
    rc = qemu.wait()
    say("QEMU exited with status %d" % rc)
    return rc


if __name__ == "__main__":
    sys.exit(main())
