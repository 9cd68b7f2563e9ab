#!/usr/bin/env python3
"""Self-test of the harness checkers, without QEMU: every checker must FAIL
(non-zero exit and a FAIL line) on an empty, a missing and a cut-short result
directory, and on small synthetic runs with one fault planted; and PASS on the
same synthetic run without the fault, so that it is not simply always failing.

Checkers are found by glob (tools/harness/check_*.py, plus tools/bench_report.py
--check); a new checker is covered by the empty/missing/cut-short cases at
once. CHECKERS holds what some need beyond RESULTDIR (extra arguments, the
scenario directory's name); BUILDERS a synthetic passing run per scenario
(a checker without one only gets the generic cases, and a note says so).
"""
import datetime
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HARNESS = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HARNESS))
from blk_image import make_record  # noqa: E402
from harness_results import read_tsv  # noqa: E402
VERSION = "0.1.0"


def discovered_checkers() -> dict:
    """script path -> (scenario directory name, extra arguments after RESULTDIR)."""
    found = {p.resolve(): (p.stem[len("check_"):].replace("_", "-"), [])
             for p in HARNESS.glob("check_*.py")}
    for path, (scenario, extra) in CHECKERS.items():
        found[(HARNESS / path).resolve()] = (scenario, extra)
    return dict(sorted(found.items()))


# Checkers (paths from tools/harness) that need more than RESULTDIR, or whose
# scenario directory is not named after them.
CHECKERS = {
    "check_torpor_boot.py": ("torpor-boot", [VERSION]),
    "../bench_report.py": ("bench-smoke", ["{scratch}/bench-out", "--check"]),
    "../bench_remus_report.py": ("bench-remus-smoke", ["--check"]),
}

# --- a synthetic guest console ------------------------------------------------

T0 = 1795850781.0  # dom0's clock at the start of the synthetic runs (2026)


class Console:
    """Lines as xenconsoled writes them ("[YYYY-MM-DD HH:MM:SS] text"), on a
    clock that heartbeats advance by 100 ms; mono_ns is the guest's clock."""

    def __init__(self, t: float = T0, mono_ns: int = 10_000_000_000):
        self.t, self.mono, self.lines, self.beat = t, mono_ns, [], 0

    def say(self, *texts):
        for text in texts:
            stamp = datetime.datetime.fromtimestamp(self.t, datetime.timezone.utc)
            self.lines.append(f"[{stamp:%Y-%m-%d %H:%M:%S}] {text}")
        return self

    def wait(self, seconds: float):
        self.t += seconds
        self.mono += int(seconds * 1e9)
        return self

    def beats(self, n: int):
        for _ in range(n):
            self.wait(0.1)
            self.say(f"heartbeat {self.beat} mono_ns={self.mono} wall_ns={int(self.t * 1e9)}")
            self.beat += 1
        return self

    def boot(self, domid: int, vcpus: int = 1, maxvcpus: int = 0, pages: int = 16384):
        self.say("Logfile Opened", *(f"smp: vcpu {i} up" for i in range(1, vcpus)))
        self.say(f"torpor {VERSION}: booted on Xen 4.17 as domain {domid}, nr_pages={pages} "
                 f"({pages // 256} MiB), free_pages={pages - 176}, vcpus={vcpus} of {maxvcpus or vcpus}",
                 "grant table: 4 frames, 2048 refs; self-test ok",
                 "memory: free memory lives in Xen: gave 14336 frames (56 MiB) back at boot; 28 of "
                 "29 2 MiB regions empty, 1190 frames free in reserve, holding 2048 frames (8 MiB)",
                 "memory: target 65536 KiB: gave back 0 frames, holding 2048 frames (8192 KiB)",
                 "libc: errno is per thread",
                 "suspend: ready (toolstack multiprocessor suspend: 1)",
                 "torpor: ready (boot took 50568 us from kernel entry: memory=20209 devices=1810 "
                 "first-xenstore-reply=2137 vcpus=17377 services=9033)",
                 "app: memory region 262144 bytes, checksum=56eb1709701efe29",
                 "event-wait: waiting on port 5",
                 "watch data/ping fired: (not found)",
                 "transaction committed: data/tx-a=alpha-16106 data/tx-b=beta-16106 attempts=1")
        return self

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def write(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def write_steps(d: pathlib.Path, names, rcs=None) -> None:
    rcs = rcs or {}
    write(d / "steps.tsv", "step\trc\tms\n" + "".join(f"{n}\t{rcs.get(n, 0)}\t150\n" for n in names))


# --- synthetic passing runs, one per scenario ---------------------------------

def build_torpor_boot(d: pathlib.Path) -> None:
    write(d / "rc", "0\n")
    write(d / "domid", "1\n")
    write(d / "memory_mb", "64\n")
    write_steps(d, ("create", "ready", "unknown_request", "unknown_logged", "shutdown", "gone"))
    log = Console().boot(1).say("demo: running").beats(6)
    log.say('torpor: unknown shutdown request "frobnicate" ignored').beats(6)
    log.say("torpor: shutdown requested: poweroff")
    write(d / "console/guest-torpor.log", log.text())


NET_LISTENING = ("net: echo listening on port 7", "net: http listening on port 80")
NET_PASS = ("net: self-test at boot PASS: 4 concurrent echo connections (11000 bytes checked), "
            "http 200/404/400/400 on 4 more, over loopback in 180 ms")


def build_torpor_core(d: pathlib.Path) -> None:
    write(d / "rc", "0\n")
    write(d / "domid", "2\n")
    write(d / "domid_after_reboot", "3\n")
    write(d / "heartbeat_window", "5 56 5110\n")
    write(d / "tx-a", "alpha-16106\n")
    write(d / "tx-b", "beta-16106\n")
    write_steps(d, ("create", "ready", "ping", "ping_seen", "console_input", "console_echo",
                    "invalidate", "stale_wait", "unknown_request", "unknown_logged", "reboot",
                    "rebooted", "ready_again", "shutdown", "gone"))
    log = Console().boot(2).say(*NET_LISTENING, "demo: running").beats(3).say(NET_PASS).beats(27)
    log.say('watch data/ping fired: value="hello"').beats(10)
    log.say('console: echo "hello torpor"', 'console: echo "invalidate-event"',
            "console: invalidated port 5: none", 'event-wait: port 5 returned "stale handle"')
    log.beats(10).say('torpor: unknown shutdown request "frobnicate" ignored').beats(10)
    log.say("torpor: shutdown requested: reboot").wait(2)
    log.boot(3).say(*NET_LISTENING, "demo: running").beats(5)
    log.say("torpor: shutdown requested: poweroff")
    write(d / "console/guest-core.log", log.text())


def build_torpor_smp(d: pathlib.Path) -> None:
    write(d / "rc", "0\n")
    write_steps(d, ("create4", "selftest4", "counters4", "shutdown4", "create2", "ready2",
                    "counters2", "shutdown2"))
    log = Console().boot(4, vcpus=4)
    log.say(*(f"ipi ping-pong cpu{a}<->cpu{b}: 1000 round trips in 90000 us"
              for a, b in ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))))
    log.say("pause test: 100 rounds, 100 saw all 3 other vcpus parked, 100 with their counters "
            "frozen, 100 resumed all", "smp self-test done", "demo: running")
    for n in range(1, 4):
        log.beats(10).say(f"counters: cpu0={n * 100} cpu1={n * 200} cpu2={n * 300} cpu3={n * 400}")
    write(d / "console/guest-smp4.log", log.say("torpor: shutdown requested: poweroff").text())
    log = Console(T0 + 10).boot(5, vcpus=2, maxvcpus=4).say("smp self-test done", "demo: running")
    for n in range(1, 3):
        log.beats(10).say(f"counters: cpu0={n * 100} cpu1={n * 200}")
    write(d / "console/guest-smp2.log", log.say("torpor: shutdown requested: poweroff").text())


# (operation, cancelled, log the guest resumes in): as the scenario's first five
SUSPEND_OPS = [("save-restore", 0, "s"), ("save-c", 1, "s"), ("migrate", 0, "s--incoming"),
               ("migrate-live", 0, "s--incoming"), ("migrate-killed", 1, "s--incoming")]


def build_torpor_suspend(d: pathlib.Path) -> None:
    write(d / "rc", "0\n")
    write(d / "net_off", "NET=0\n")  # with_net() adds the client's record
    names, rcs = ["create", "ready"], {}
    for k, (op, _, _) in enumerate(SUSPEND_OPS, 1):
        names += [f"{op}-0", f"resumed-{k}", f"ping-{k}", f"type-{k}", f"echoed-{k}", f"watched-{k}"]
    rcs["migrate-killed-0"] = 1  # the receiver is killed on purpose
    write_steps(d, names + ["still-running-0", "shutdown"], rcs)
    write(d / "ops.tsv", "k\top\tcancelled\trc\n" + "".join(
        f"{k}\t{op}\t{c}\t0\n" for k, (op, c, _) in enumerate(SUSPEND_OPS, 1)))
    write(d / "op_count", f"{len(SUSPEND_OPS)}\n")
    write(d / "images.tsv", "k\tbytes\n1\t4341632\n")
    # xl -vvv's log of each operation (restore has none of its own).
    for n, step in enumerate(("save-0", "checkpoint-0", "migrate-0", "migrate-live-0",
                              "migrate-killed-0")):
        write(d / f"steps/{n + 3:02d}-{step}.log",
              "libxl: debug: libxl_dom_suspend.c:187:domain_suspend_callback_common: Domain 6:"
              "issuing PV suspend request via event channel\n")

    published = "suspend: event channel 9 published in device/suspend/event-channel"
    logs = {"s": Console().boot(6, vcpus=4).say(published, "smp self-test done", "demo: running")}
    current = logs["s"].say(
        "blkfront: xvda: connected to backend domain 0 (connect #1): 131072 sectors of 512 bytes "
        "(64 MiB), flush: flush-cache, 32 ring slots",
        "blk: xvda: 131072 records of 512 bytes; writing from sector 0 every 20 ms, flush every 200 ms")
    acked, connects, reissued = 0, 1, 0

    def ack(log, n):  # n more records acknowledged, one flush each 10
        nonlocal acked
        for _ in range(n // 10):
            acked += 10
            log.say(f"blk: acked {acked - 1}")
        return log
    ack(current.beats(12), 60).say("blk: reader checked 100 acknowledged records, 0 bad")
    for k, (op, cancelled, where) in enumerate(SUSPEND_OPS, 1):
        current.say("torpor: suspend requested on the suspend event channel (port 9)",
                    f"app: suspending (#{k}) at mono_ns={current.mono}",
                    f"blk: burst of 24 writes before suspend #{k} (records {acked + 3}..{acked + 27} "
                    f"submitted, {acked + 3} written, acked {acked})",
                    "blkfront: xvda: suspending with 20 requests in flight, 0 queued (kept, not drained)")
        current.wait(0.5)
        if not cancelled:  # a new domain: its console log is opened afresh
            nxt = logs.setdefault(where, Console())
            nxt.t, nxt.mono, nxt.beat = current.t, current.mono, current.beat
            current = nxt.say("Logfile Opened")
        if cancelled:
            current.say("blkfront: xvda: suspend cancelled; same ring, 20 requests in flight, "
                        "nothing re-issued")
        current.beats(1).say(
            f"app: timer armed before suspend {k} fired at or after its deadline (late by 21 ms)",
            f"app: resumed (#{k}) cancelled={cancelled} downtime_ms=500 mono_ns={current.mono} "
            "checksum=56eb1709701efe29 unchanged",
            f"suspend #{k}: {'cancelled' if cancelled else 'resumed in a new domain'} "
            f"(hypercall returned {cancelled}), downtime 500 ms",
            f"suspend #{k} path (us): app=2132 xenstore=75 devices=34805 cpus=822 total=38438",
            f"resume #{k} path (us): remap=960 events=661 cpus=4406 devices=27984 total=48226",
            f"app: after resume #{k} 4 of 4 vcpus advanced: cpu0+5 cpu1+5 cpu2+5 cpu3+5",
            f"blk: after resume #{k} ({'cancelled' if cancelled else 'new domain'}): {acked + 27} "
            f"submitted, {acked + 3} written, {acked} acknowledged, 20 on the ring, "
            f"{reissued} re-issued in all",
            NET_PASS.replace("at boot", f"after resume #{k}"))
        if not cancelled:
            current.say(published)
            connects += 1
            reissued += 20
            current.say(f"blkfront: xvda: connected to backend domain 0 (connect #{connects}): 131072 "
                        "sectors of 512 bytes (64 MiB), flush: flush-cache, 32 ring slots",
                        "blkfront: xvda: re-issuing 20 requests that had no response, in their "
                        "original order (0 more were queued)")
        ack(current.beats(3), 40).say(f'watch data/ping fired: value="after-{k}"')
        current.beats(3).say(f'console: echo "echo-{k}"').beats(3)
    ack(current, 200).say("blk: reader checked 200 acknowledged records, 0 bad")
    current.say("torpor: shutdown requested: poweroff")
    for name, log in logs.items():
        write(d / f"console/guest-{name}.log", log.text())
    # The scenario's copy of the disk: a little past the last acknowledged record.
    (d / "disk-prefix.img").write_bytes(b"".join(make_record(i) for i in range(acked + 30)))


def write_net(d: pathlib.Path, windows, arp_windows, ip: str, mac: str, bodies=()) -> None:
    """A good record of the dom0 network client (lib.sh's net_client_start):
    a 64 KiB/s stream through every window, a gratuitous ARP in each of
    arp_windows, two answered pings and the HTTP bodies."""
    net, t, echoed = d / "net", 50_000, 0
    write(net / "target", f"{ip} {mac}\n")
    rows, points, arps = [], [], []
    for label in ["start", *windows, "idle"]:
        start = t
        for _ in range(40):  # 4 s per window, a point every 100 ms
            t += 100
            echoed += 6553
            points.append(f"{t},{echoed}")
        if label in arp_windows:
            arps.append(f"{start + 900}\t{1795850781000 + start}\trequest\t{ip}\t{ip}\t1\t{label}")
        rows.append(f"{label}\t{start}\t{t}\t{40 * 6553}\t{1200 if label in windows else 30}")
    write(net / "windows.tsv", "label\tstart_ms\tend_ms\tbytes\tstall_max_ms\n"
          + "".join(r + "\n" for r in rows))
    write(net / "timeline.csv", "mono_ms,echoed\n" + "".join(p + "\n" for p in points))
    write(net / "arp.tsv", "mono_ms\twall_ms\top\tsender\ttarget\tgratuitous\tlabel\n"
          + "".join(a + "\n" for a in arps))
    summary = (f"client: bytes={echoed} stalls_max_ms=1200 errors=0 duration_ms={t - 50_000} "
               f"windows={len(rows)} reason=stopped connections=1\n")
    write(net / "summary", summary)
    write(net / "client.log", f"client: [{50_000}] connected to {ip}:7 after 1 tries\n" + summary)
    for n in (1, 2):
        write(net / f"ping-{n}.log", f"3 packets transmitted, 3 packets received, 0% packet loss\n")
    for n, body in enumerate(bodies, 1):
        write(net / f"http-{n}.txt", body + "\n")


LINUX_NET_WINDOWS = ["save-restore", "migrate", "migrate-live", "save-c"]


def build_linux_baseline(d: pathlib.Path) -> None:
    write(d / "rc", "0\n")
    write_steps(d, ("create", "ready", "ticks", "ping", "http", "net-connected", "save", "restore",
                    "restore-ticks", "restore-echo", "migrate", "migrate-ticks", "migrate-echo",
                    "migrate-live", "migrate-live-ticks", "migrate-live-echo", "checkpoint",
                    "checkpoint-ticks", "checkpoint-echo", "ping-after", "http-after", "net-stop",
                    "list", "destroy", "gone"))
    write_net(d, LINUX_NET_WINDOWS, LINUX_NET_WINDOWS[:3], "10.77.0.2", "00:16:3e:77:00:02",
              ["linux-baseline: hello"] * 2)
    # (operation, highest tick before it, at its end, after waiting)
    ops = [("restore", 10, 12, 14), ("migrate", 20, 25, 41), ("migrate-live", 50, 55, 60),
           ("checkpoint", 65, 70, 75)]
    write(d / "ticks.tsv", "op\tbefore\tend\tafter\n" + "".join(
        "%s\t%d\t%d\t%d\n" % row for row in ops))
    first = Console().say("Logfile Opened", "linux-baseline ready")
    for n in range(0, 41):
        first.wait(0.1).say(f"linux-baseline tick {n}")
    second = Console(first.t + 1).say("Logfile Opened")
    for n in range(41, 80):
        second.wait(0.1).say(f"linux-baseline tick {n}")
    write(d / "console/guest-linux.log", first.text())
    write(d / "console/guest-linux--incoming.log", second.text())


def build_bench(d: pathlib.Path) -> None:
    write(d / "rc", "0\n")
    rows = ["guest\trep\tmetric\tvalue"]
    for guest in ("torpor", "torpor-noballoon", "linux", "torpor-16m"):
        for metric, value in (("boot_ms", 90), ("save_ms", 840), ("image_bytes", 5637487),
                              ("restore_ms", 700), ("migrate_live_ms", 4950)):
            rows.append(f"{guest}\t1\t{metric}\t{value}")
        if guest != "linux":
            for metric, value in (("used_before_save_mib", 9), ("used_before_migrate_mib", 9),
                                  ("stream_bytes", 7340032)):
                rows.append(f"{guest}\t1\t{metric}\t{value}")
    # bench-smoke's QEMU has too little memory for the 1024 MiB guests.
    rows += [f"{g}\t1\tskipped_need_mib\t{need}"
             for g, need in (("torpor-1g", 1088), ("linux-1g", 2112), ("torpor-1g-4v", 1088))]
    write(d / "bench.tsv", "\n".join(rows) + "\n")
    for guest in ("torpor", "torpor-noballoon", "torpor-16m"):
        log = Console().boot(28, vcpus=2).say(
            "memory: free memory lives in Xen: gave 63488 frames (248 MiB) back at boot; 124 of "
            "126 2 MiB regions empty, 1446 frames free in reserve, holding 2048 frames (8 MiB)"
        ).say("demo: running").beats(5)
        for k in (1, 2):
            log.say(f"app: suspending (#{k}) at mono_ns={log.mono}").wait(0.5).say(
                "Logfile Opened",
                f"app: resumed (#{k}) cancelled=0 downtime_ms=346 mono_ns={log.mono} checksum=0 unchanged",
                f"suspend #{k}: resumed in a new domain (hypercall returned 0), downtime 346 ms",
                f"suspend #{k} path (us): app=3943 devices=112635 total=118454",
                f"resume #{k} path (us): remap=1357 devices=61628 total=84538").beats(5)
        write(d / f"console-{guest}-1.log", log.text())
    log = Console().say("Logfile Opened", "linux-baseline ready")
    for n in range(20):
        log.wait(0.1).say(f"linux-baseline tick {n}")
    write(d / "console-linux-1.log", log.text())
    build_bench_net(d / "net-torpor-1", "10.77.0.3", "00:16:3e:77:00:03", torpor=True)
    build_bench_net(d / "net-linux-1", "10.77.0.2", "00:16:3e:77:00:02", torpor=False)
    for guest in ("torpor", "torpor-transient", "linux"):
        build_bench_blk(d / f"blk-{guest}-1", guest)


def build_bench_blk(d: pathlib.Path, guest: str) -> None:
    """One disk run of the bench (measure_blk): blkstat samples every 20 ms
    from 60 s on: 1 s idle, 3 s of writes (8 MiB/s), reads (500/s) until the
    migration (66-70 s, none for torpor-transient) and after it, on a new vbd, with
    a 400 ms stall."""
    migrate = guest != "torpor-transient"
    lines, rd, wr, wsect = [], 7, 0, 0
    for t in range(60_000, 74_000, 20):
        if 61_000 <= t < 64_000:
            wr, wsect = wr + 4, wsect + 8 * 2**20 // 512 // 50
        elif t >= 64_000 and not (migrate and 69_700 <= t < 70_100):
            rd += 10
        vbds = ["vbd-5-51712"] if not migrate or t < 70_000 else ["vbd-6-51712"]
        if migrate and 69_000 <= t < 70_000:
            vbds.append("vbd-6-51712")
        for v in vbds:
            c = (rd, wr, rd * 8, wsect) if v == "vbd-5-51712" else (max(rd - 2850, 0), 0, 0, 0)
            lines.append(f"{t} {v} {c[0]} {c[1]} {c[2]} {c[3]} 0 0")
    write(d / "blkstat.txt", "\n".join(lines) + "\n")
    write(d / "ops.tsv", "op\tstart_ms\tend_ms\trc\n" + ("migrate-live\t66000\t70000\t0\n" if migrate else ""))
    if guest == "linux":
        log = Console().say("Logfile Opened", "linux-baseline ready", "blkload: wrote 24 MiB in 3000 ms")
    else:
        grants = "transient" if guest == "torpor-transient" else "persistent"
        connect = ("blkfront: xvda: connected to backend domain 0 (connect #{}): 131072 sectors of "
                   "512 bytes (64 MiB), flush: flush-cache, 512 ring slots, indirect: 64 segments a "
                   "request, grants: " + grants)
        log = Console().boot(30, vcpus=2).say(
            "blkfront: xvda: ring of 16 pages (ring-page-order 4), 512 request slots",
            connect.format(1), "demo: running",
            "blkbench: wrote 24 MiB in 3000 ms (8192 KiB/s, guest clock); now random 4 KiB reads")
        if migrate:
            log.say("blkfront: xvda: ring of 16 pages (ring-page-order 4), 512 request slots",
                    connect.format(2))
    write(d / "console.log", log.text())


def edit_bench_blk(guest: str, name: str, old: str, new: str):
    def plant(d: pathlib.Path) -> None:
        path = d / f"blk-{guest}-1" / name
        assert old in path.read_text(), f"fixture blk-{guest}-1/{name} has no {old!r}"
        path.write_text(path.read_text().replace(old, new))
    return plant


BENCH_NET_OPS = ["migrate-live", "save-c", "save-restore"]


def build_bench_remus(d: pathlib.Path) -> None:
    """bench-remus at -i 100: xl's stamped log of each guest, ten checkpoints."""
    write(d / "rc", "0\n")
    write(d / "remus.tsv", "guest\tinterval_ms\tmetric\tvalue\n" + "".join(
        f"{g}\t100\t{k}\t1\n" for g in ("torpor", "linux") for k in ("xl_ended", "ran_after")))
    for guest, pause in (("torpor", 30), ("linux", 120)):
        t, lines = 90_000, []
        for k in range(10):
            lines.append(f"{t}\tlibxl: debug: Domain 3:issuing PV suspend request via event channel")
            if k:  # the first checkpoint is the full copy: no "Checkpointed save" line
                lines.append(f"{t + pause}\txc: progress: Checkpointed save: 198/198  100%")
            t += pause + 100
        write(d / f"remus-{guest}-100.log", "\n".join(lines) + "\n")
    log = Console().boot(3, vcpus=2).say("demo: running").beats(5)
    for k in range(1, 11):
        log.say(f"suspend #{k}: cancelled (hypercall returned 1), downtime 12 ms").beats(1)
    write(d / "console-torpor-100.log", log.text())
    log = Console().say("Logfile Opened", "linux-baseline ready")
    write(d / "console-linux-100.log", log.text())


def build_bench_net(d: pathlib.Path, ip: str, mac: str, torpor: bool) -> None:
    """One network run of the bench (measure_net): HTTP rate, then the echo
    stream through its operations (write_net's windows: 4 s each from 50 s on,
    after the "start" window)."""
    write_net(d, BENCH_NET_OPS, [], ip, mac)
    write(d / "net" / "http-rate.txt", "http: requests=96 errors=0 seconds=3.012 rps=31.9 max_ms=80 "
          "first_error=none\n")
    write(d / "ops.tsv", "op\tstart_ms\tend_ms\trc\n" + "".join(
        f"{op}\t{50_000 + 4000 * k + 100}\t{50_000 + 4000 * k + 2100}\t0\n"
        for k, op in enumerate(BENCH_NET_OPS, 1)))
    if torpor:
        log = Console().boot(30, vcpus=2).say("demo: running").beats(3)
        for k, op in enumerate(BENCH_NET_OPS, 1):
            log.say(f"app: suspending (#{k}) at mono_ns={log.mono}").wait(0.5).say(
                f"app: resumed (#{k}) cancelled={int(op == 'save-c')} downtime_ms=420 "
                f"mono_ns={log.mono} checksum=0 unchanged").beats(3)
    else:
        log = Console().say("Logfile Opened", "linux-baseline ready")
        for n in range(20):
            log.wait(0.1).say(f"linux-baseline tick {n}")
    write(d / "console.log", log.text())


def edit_file(name: str, old: str, new: str):
    def plant(d: pathlib.Path) -> None:
        path = d / name
        assert old in path.read_text(), f"fixture {name} has no {old!r}"
        path.write_text(path.read_text().replace(old, new, 1))
    return plant


def edit_bench_net(guest: str, name: str, old: str, new: str):
    def plant(d: pathlib.Path) -> None:
        path = d / f"net-{guest}-1" / name
        assert old in path.read_text(), f"fixture net-{guest}-1/{name} has no {old!r}"
        path.write_text(path.read_text().replace(old, new))
    return plant


REMUS_STEPS = ("create", "ready", "published", "acking", "ping", "http", "net-connected", "remus",
               "still-running", "poke", "watched", "type", "echoed", "echo-after", "ping-after",
               "http-after", "net-stop", "shutdown", "disk-copy")


def build_torpor_remus(d: pathlib.Path, checkpoints: int = 70) -> None:
    write(d / "rc", "0\n")
    write_steps(d, REMUS_STEPS)
    write(d / "remus.log", "libxl: debug: Domain 7:issuing PV suspend request via event channel\n"
          * checkpoints + "libxl: error: Backup failed? resuming domain at primary\n")
    write(d / "remus.rc", "1\n")
    write_net(d, ["remus", "after"], [], "10.77.0.7", "00:16:3e:77:00:07", ["torpor"] * 2)
    log = Console().boot(7, vcpus=4).say(
        "suspend: event channel 9 published in device/suspend/event-channel", "demo: running",
        "blkfront: xvda: connected to backend domain 0 (connect #1): 131072 sectors of 512 bytes "
        "(64 MiB), flush: flush-cache, 32 ring slots",
        "blk: xvda: 131072 records of 512 bytes; writing from sector 0 every 20 ms, flush every 200 ms")
    acked = 0

    def ack(n):  # n more records acknowledged, ten per flush
        nonlocal acked
        for _ in range(n // 10):
            acked += 10
            log.say(f"blk: acked {acked - 1}")
    log.beats(12)
    ack(60)
    for k in range(1, checkpoints + 1):
        log.say("torpor: suspend requested on the suspend event channel (port 9)",
                f"app: suspending (#{k}) at mono_ns={log.mono}",
                f"blk: burst of 24 writes before suspend #{k} (records {acked + 3}..{acked + 27} "
                f"submitted, {acked + 3} written, acked {acked})",
                "blkfront: xvda: suspending with 20 requests in flight, 0 queued (kept, not drained)"
                ).wait(0.05).say(
            "blkfront: xvda: suspend cancelled; same ring, 20 requests in flight, nothing re-issued",
            f"app: resumed (#{k}) cancelled=1 downtime_ms=12 mono_ns={log.mono} "
            "checksum=56eb1709701efe29 unchanged",
            f"suspend #{k}: cancelled (hypercall returned 1), downtime 12 ms",
            f"suspend #{k} path (us): app=2132 xenstore=75 devices=348 cpus=822 total=3438",
            f"resume #{k} path (us): remap=960 events=46 cpus=1180 devices=259 total=4226")
        ack(30)
        log.beats(1)
        if k % 10 == 0:
            log.say(f"blk: reader checked {k * 10} acknowledged records, 0 bad")
    ack(100)
    log.beats(12).say('watch data/ping fired: value="after-remus"').beats(2)
    log.say('console: echo "echo-after-remus"').beats(3)
    ack(40)
    log.say("torpor: shutdown requested: poweroff")
    write(d / "console/guest-r.log", log.text())
    (d / "disk-prefix.img").write_bytes(b"".join(make_record(i) for i in range(acked + 30)))


def build_torpor_memory(d: pathlib.Path) -> None:
    write(d / "rc", "0\n")
    write_steps(d, ("create", "ready", "reclaimed", "memload-after-rest", "memload",
                    "list-before", "migrate-live", "resumed", "memload-after-migrate", "memset-down",
                    "target-down", "null", "memload-down", "list-down", "memset-up", "target-up",
                    "memload-up", "list-up", "destroy"))
    for name, text in (("free_mb", "1000"), ("memory_mb", "600"), ("down_mb", "16")):
        write(d / name, text + "\n")
    head = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
    for name, mib in (("list-before.txt", 14), ("list-down.txt", 14), ("list-up.txt", 18)):
        write(d / name, head + f"mem                                         22    {mib}     2     -b----       0.8\n")
    rounds, chunks = 0, 0

    def reports(log, n, live_kib=16384, nulls=0):
        nonlocal rounds, chunks
        for _ in range(n):
            rounds += 1
            chunks += 16
            log.wait(1).say(f"memload: rounds={rounds} chunks={chunks} live_kib={live_kib} "
                            f"nulls={nulls} corrupt=0 peak_kib={live_kib}")
    first = Console().say(
        "Logfile Opened",
        f"torpor {VERSION}: booted on Xen 4.17 as domain 21, nr_pages=153600 (600 MiB), "
        "free_pages=152732, vcpus=2 of 2",
        "memory: free memory lives in Xen: gave 151552 frames (592 MiB) back at boot; 296 of 298 "
        "2 MiB regions empty, 1121 frames free in reserve, holding 2048 frames (8 MiB)",
        "memory: target 614400 KiB: gave back 0 frames, holding 2048 frames (8192 KiB)",
        "demo: running")
    reports(first, 5)
    first.say("memload: resting 8 s with nothing allocated (round 5)")
    first.wait(3).say("memory: gave back 3584 frames unused for 3 s, holding 2560 frames (10240 KiB)")
    reports(first, 3)
    first.say("app: suspending (#1) at mono_ns=1")
    second = Console(first.t + 1).say(
        "Logfile Opened", "memory: gave back 3072 frames the toolstack had backed in empty regions",
        "suspend #1: resumed in a new domain (hypercall returned 0), downtime 769 ms",
        "app: after resume #1 2 of 2 vcpus advanced: cpu0+5 cpu1+5")
    reports(second, 4)
    second.say("memory: target 16384 KiB: gave back 0 frames, holding 4096 frames (16384 KiB)",
               "memory: Xen has no memory for the heap of 257 frames (refusal #1, holding 4096 of "
               "at most 4096 frames): the allocation fails",
               "memload: malloc(1048576) returned NULL (null #1, 6 chunks live)")
    reports(second, 4, live_kib=6144, nulls=1)
    second.say("memory: target 614400 KiB: gave back 0 frames, holding 3072 frames (12288 KiB)")
    reports(second, 4, nulls=1)
    write(d / "console/guest-mem.log", first.text())
    write(d / "console/guest-mem--incoming.log", second.text())


BLK_HOTPLUG_STEPS = ("create", "ready", "acked-before", "detach", "closed", "paused", "list-empty",
                     "away", "attach", "reconnected", "resumed", "acked-after", "read-report",
                     "vif-ping-before", "vif-detach", "vif-disconnected", "vif-removed",
                     "vif-list-empty", "vif-attach", "vif-reconnected", "vif-ping-after",
                     "vif-http-after", "shutdown", "disk-copy")


def build_torpor_blk_hotplug(d: pathlib.Path) -> None:
    write(d / "rc", "0\n")
    write_steps(d, BLK_HOTPLUG_STEPS)
    write(d / "detached_s", "6\n")
    log = Console().boot(3, vcpus=2).say(
        "net: vif0 found in xenstore (device/vif/0)",
        "netfront: vif0 connected to backend domain 0 (event channel 9)", "demo: running").say(
        "blkfront: xvda: connected to backend domain 0 (connect #1): 131072 sectors of 512 bytes "
        "(64 MiB), flush: flush-cache, 32 ring slots",
        "blk: xvda: 131072 records of 512 bytes; writing from sector 0 every 20 ms, flush every 200 ms")
    acked = 0

    def ack(n):
        nonlocal acked
        for _ in range(n // 10):
            acked += 10
            log.beats(2).say(f"blk: acked {acked - 1}")
    ack(80)
    log.say("blk: reader checked 100 acknowledged records, 0 bad")
    log.say("blkfront: xvda: closed (#1): ring and request grants revoked, event channel 7 unbound; "
            "3 requests without a response kept for re-attach, 5 queued in all",
            f"blk: xvda detached: writer pauses ({acked + 5} submitted, {acked + 2} written, acked "
            f"{acked}; unanswered requests wait in the driver)")
    log.beats(50)
    log.say("blkfront: xvda: connected to backend domain 0 (connect #2): 131072 sectors of 512 "
            "bytes (64 MiB), flush: flush-cache, 32 ring slots",
            "blkfront: xvda: re-issuing 3 requests that had no response, in their original order "
            "(2 more were queued)",
            f"blk: xvda re-attached (connect #2): writer resumes after acked record {acked - 1} "
            f"({acked + 5} submitted, {acked + 2} written)")
    ack(60)
    log.say("blk: reader checked 200 acknowledged records, 0 bad")
    log.say("netfront: vif0 disconnected from backend domain 0",
            "netfront: vif0 removed from xenstore: link down")
    log.beats(10)
    log.say("net: vif0 back in xenstore (device/vif/0): the same driver reconnects",
            "netfront: vif0: the MAC changed from 00:16:3e:77:00:05 to 00:16:3e:77:00:15 "
            "(re-attached); the netif takes it",
            "netfront: vif0 connected to backend domain 0 (event channel 9)")
    log.beats(3).say("torpor: shutdown requested: poweroff")
    write(d / "macs", "00:16:3e:77:00:05 00:16:3e:77:00:15\n")
    for n in (1, 2):
        write(d / f"net/ping-{n}.log", "3 packets transmitted, 3 packets received, 0% packet loss\n")
    write(d / "net/http-1.txt", "<html>torpor</html>\n")
    write(d / "console/guest-bh.log", log.text())
    (d / "disk-prefix.img").write_bytes(b"".join(make_record(i) for i in range(acked + 30)))


def build_torpor_dhcp(d: pathlib.Path) -> None:
    write(d / "rc", "0\n")
    write_steps(d, ("create", "ready", "asked", "bound", "ping", "migrate-live", "resumed",
                    "ping-after", "http-after", "shutdown"))
    write(d / "dhcp_ip", "10.77.0.100\n")
    first = Console().boot(2, vcpus=2).say(
        "net: vif0 found in xenstore (device/vif/0)",
        "net: vif0: no ip from the backend or the command line: asking DHCP",
        "netfront: vif0 connected to backend domain 0 (event channel 9)", "demo: running").beats(3)
    first.say("net: vif0 up mac=00:16:3e:77:00:06 ip=10.77.0.100 netmask=255.255.255.0 "
              "gw=10.77.0.1 (dhcp)").beats(5).say("app: suspending (#1) at mono_ns=1")
    second = Console(first.t + 1).say(
        "Logfile Opened", "suspend #1: resumed in a new domain (hypercall returned 0), downtime 700 ms",
        "netfront: vif0 resumed in a new domain: reconnected to backend domain 0, re-sent 0 tx "
        "frame(s) left unanswered, gratuitous ARP sent, 0 TCP peer(s) nudged",
        "app: after resume #1 2 of 2 vcpus advanced: cpu0+5 cpu1+5").beats(5)
    second.say("torpor: shutdown requested: poweroff")
    for n in (1, 2):
        write(d / f"net/ping-{n}.log", "3 packets transmitted, 3 packets received, 0% packet loss\n")
    write(d / "net/http-1.txt", "<html>torpor</html>\n")
    write(d / "console/guest-dh.log", first.text())
    write(d / "console/guest-dh--incoming.log", second.text())


TWO_HOSTS_A_STEPS = ("shared-disk", "create", "ready", "net-connected", "ping-before", "peer-up",
                     "migrate-1-ab", "back-1", "echo-back-1", "ping-after", "http-after", "shutdown",
                     "disk-copy")
TWO_HOSTS_B_STEPS = ("shared-disk", "arrived-1", "running-1", "stay-1", "migrate-1-ba")
TWO_HOSTS_XVDA = ("blkfront: xvda: connected to backend domain 0 (connect #{}): 131072 sectors of "
                  "512 bytes (64 MiB), flush: flush-cache, 32 ring slots")


def build_torpor_two_hosts(d: pathlib.Path, b_clock_shift_s: float = 0.0, timer_late_s: float = 0.0,
                           b_xen_behind_s: float = 30.0, garp: bool = True,
                           a_offset_s: float = 0.02) -> None:
    """run-two-hosts.sh's results: host A's at d, host B's at d/../host-b/NAME;
    one round trip A -> B -> A of guest th. The faults: B's heartbeats shifted
    by b_clock_shift_s, the first beat on B late by timer_late_s after the
    resume, B's Xen system time only b_xen_behind_s behind A's, no ARP, the
    guest's clock a_offset_s off A's Xen system time after the return."""
    b = d.parent / "host-b" / d.name
    for r in (d, b):
        write(r / "rc", "0\n")
    write_steps(d, TWO_HOSTS_A_STEPS)
    write_steps(b, TWO_HOSTS_B_STEPS)
    write(b.parent / "serial.log", serial_log(d.name))
    acked = 0

    def ack(n):  # n more records acknowledged, in tens
        nonlocal acked
        for _ in range(n // 10):
            acked += 10
            con.say(f"blk: acked {acked - 1}")
        return con
    con = Console(mono_ns=100_000_000_000).boot(3, vcpus=4).say(
        TWO_HOSTS_XVDA.format(1), "blk: xvda: 131072 records of 512 bytes; writing from sector 0 "
        "every 20 ms, flush every 200 ms", "demo: running").beats(60)
    ack(80).say("blk: reader checked 50 acknowledged records, 0 bad")
    a_send = con.t - 2
    a_end = con.t + 0.3
    b_receive = a_send + 0.1
    con.wait(0.7)
    on_b = len(con.lines)
    con.say("Logfile Opened",
            "suspend #1: resumed in a new domain (hypercall returned 0), downtime 700 ms",
            "suspend #1 path (us): app=424096 xenstore=475 devices=377 cpus=101706 timers=0 "
            "unmap=0 total=526654",
            f"suspend #1: clocks after resume: xen_system_ns={con.mono - int(b_xen_behind_s * 1e9)} "
            f"monotonic_ns={con.mono} wall_ns={int(con.t * 1e9)}",
            f"app: resumed (#1) cancelled=0 downtime_ms=700 mono_ns={con.mono} "
            "checksum=56eb1709701efe29 unchanged").wait(timer_late_s).say(
            f"blk: after resume #1 (new domain): {acked + 20} submitted, {acked} written, {acked} "
            "acknowledged, 20 on the ring, 0 re-issued in all", TWO_HOSTS_XVDA.format(2),
            "blkfront: xvda: re-issuing 20 requests that had no response, in their original order "
            "(0 more were queued)").beats(80)
    ack(100)
    b_arrived = con.t - 7.5
    b_send = con.t - 2
    con.wait(0.7)
    back_on_a = len(con.lines)
    con.say("Logfile Opened",
            "suspend #2: resumed in a new domain (hypercall returned 0), downtime 700 ms",
            f"suspend #2: clocks after resume: xen_system_ns={con.mono - int(a_offset_s * 1e9)} "
            f"monotonic_ns={con.mono} wall_ns={int(con.t * 1e9)}",
            f"app: resumed (#2) cancelled=0 downtime_ms=700 mono_ns={con.mono} "
            "checksum=56eb1709701efe29 unchanged").say(
            f"blk: after resume #2 (new domain): {acked + 20} submitted, {acked} written, {acked} "
            "acknowledged, 20 on the ring, 20 re-issued in all", TWO_HOSTS_XVDA.format(3),
            "blkfront: xvda: re-issuing 20 requests that had no response, in their original order "
            "(0 more were queued)").beats(60)
    ack(60).say("blk: reader checked 120 acknowledged records, 0 bad")
    a_arrived = con.t - 5.5
    con.say("torpor: shutdown requested: poweroff")
    shifted = []
    for line in con.lines[on_b:back_on_a]:
        m = re.search(r"mono_ns=(\d+)", line)
        if m and "heartbeat" in line:
            line = line.replace(m.group(0), f"mono_ns={int(m.group(1)) + int(b_clock_shift_s * 1e9)}")
        shifted.append(line)
    write(d / "console/guest-th.log", "\n".join(con.lines[:on_b]) + "\n")
    write(b / "console/guest-th--incoming.log", "\n".join(shifted) + "\n")
    write(d / "console/guest-th--incoming.log", "\n".join(con.lines[back_on_a:]) + "\n")
    head = "round\tdir\tevent\twall_s\trc\n"
    write(d / "hops.tsv", head + f"1\tab\tsend-start\t{a_send:.6f}\t-\n1\tab\tsend-end\t{a_end:.6f}\t0\n"
          f"-\treceive\tstart\t{b_send + 0.1:.6f}\t-\n-\treceive\tend\t{b_send + 2:.6f}\t0\n"
          f"1\tba\tarrived\t{a_arrived:.6f}\t-\n")
    write(b / "hops.tsv", head + f"-\treceive\tstart\t{b_receive:.6f}\t-\n"
          f"-\treceive\tend\t{a_end:.6f}\t0\n1\tab\tarrived\t{b_arrived:.6f}\t-\n"
          f"1\tba\tsend-start\t{b_send:.6f}\t-\n1\tba\tsend-end\t{b_send + 2.5:.6f}\t0\n")
    write_net(d, ["hop-1-ab", "on-b-1", "back-1"], [], "10.77.0.9", "00:16:3e:77:00:09",
              ["<html>torpor</html>"])
    (d / "disk-prefix.img").write_bytes(b"".join(make_record(i) for i in range(acked + 30)))
    rows = [f"1\t{int((b_receive + 1) * 1000)}\trequest\t10.77.0.9\t10.77.0.9\t1\thop-1-ab"] if garp else []
    write(d / "net/arp.tsv", "mono_ms\twall_ms\top\tsender\ttarget\tgratuitous\tlabel\n"
          + "".join(r + "\n" for r in rows))


BUILDERS = {
    "torpor-blk-hotplug": build_torpor_blk_hotplug,
    "torpor-dhcp": build_torpor_dhcp,
    "torpor-remus": build_torpor_remus,
    "torpor-boot": build_torpor_boot,
    "torpor-core": build_torpor_core,
    "torpor-smp": build_torpor_smp,
    "torpor-suspend": build_torpor_suspend,
    "linux-baseline": build_linux_baseline,
    "bench-smoke": build_bench,
    "bench-remus-smoke": build_bench_remus,
    "torpor-memory": build_torpor_memory,
    "torpor-two-hosts": build_torpor_two_hosts,
}

# --- the serial log and result directories ------------------------------------

XEN_CRASH = "(XEN) Domain 7 (vcpu#0) crashed on cpu#1:"
XEN_PANIC = "(XEN) Panic on CPU 0:"
DOM0_OOPS = "[  101.123456] BUG: kernel NULL pointer dereference, address: 0000000000000008"


def serial_log(scenario: str, planted: dict = None) -> str:
    """A serial.log of a boot that ran `earlier`, the scenario and `later`,
    with harmless lines that look alarming; planted: scenario -> extra lines
    inside its section."""
    planted = planted or {}
    lines = ["(XEN) Xen version 4.17.5 (Debian 4.17.5+72-g01140da4e8-1) debug=n",
             "(XEN) d0 has maximum 416 PIRQs", "(XEN) Freed 668kB init memory",
             "@@harness dom0 ready t=4840ms; payload limit 1455s"]
    for name in ("earlier", scenario, "later"):
        lines += [f"@@harness scenario {name} start (limit 600s)", *planted.get(name, []),
                  "Parsing config from /tmp/x.cfg", "@@harness step create rc=0 ms=3830",
                  "libxl: error: libxl_utils.c:505:libxl_read_exactly: file/stream truncated",
                  "Migration failed, resuming at sender.", "Domain 1 has been shut down, reason code 0",
                  f"@@harness scenario {name} rc=0 ms=5690"]
    lines += ["@@harness scenarios failed: 0 of 3", "[  268.828607] reboot: Restarting system",
              "(XEN) Hardware Dom0 shutdown: rebooting machine"]
    return "".join(l + "\r\r\n" for l in lines)


def build_run(root: pathlib.Path, scenario: str) -> pathlib.Path:
    """root/serial.log and root/SCENARIO/ of a good run; returns the latter."""
    d = root / scenario
    d.mkdir(parents=True)
    BUILDERS[scenario](d)
    write(root / "serial.log", serial_log(scenario))
    return d


def cut_in_half(path: pathlib.Path) -> None:
    if path.suffix == ".img":  # binary (the storage scenario's disk copy)
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
        return
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:len(lines) // 2]))


def build_generic_cut_short(root: pathlib.Path, scenario: str) -> pathlib.Path:
    """Any scenario cut off by its time limit after the guest booted: a few
    steps, a few console lines, rc 124, a serial log that stops mid-scenario."""
    d = root / scenario
    write(d / "rc", "124\n")
    write_steps(d, ("create", "ready"))
    text = Console().boot(1).say("demo: running").beats(3).text()
    for guest in ("torpor", scenario, scenario.split("-")[-1]):
        write(d / f"console/guest-{guest}.log", text)
    serial = serial_log(scenario)
    write(root / "serial.log", serial[:serial.index(f"@@harness scenario {scenario} rc=")])
    return d


# --- faults planted in a good run ---------------------------------------------

def console_logs(d: pathlib.Path) -> list:
    return sorted(d.glob("console/*.log")) + sorted(d.glob("console-*.log"))


def append_to_first_log(line: str):
    def plant(d: pathlib.Path) -> None:
        log = console_logs(d)[0]
        log.write_text(log.read_text() + line + "\n")
    return plant


def in_serial(section: str, line: str):
    def plant(d: pathlib.Path) -> None:
        write(d.parent / "serial.log", serial_log(d.name, {section or d.name: [line]}))
    return plant


def edit_logs(old: str, new: str):
    """Replaces `old` in every console log (old must occur in one)."""
    def plant(d: pathlib.Path) -> None:
        hits = 0
        for log in console_logs(d):
            text = log.read_text()
            hits += text.count(old)
            log.write_text(text.replace(old, new))
        assert hits, f"fixture has no {old!r}"
    return plant


def drop_lines(fragment: str):
    def plant(d: pathlib.Path) -> None:
        for log in console_logs(d):
            log.write_text("".join(l for l in log.read_text().splitlines(keepends=True)
                                   if fragment not in l))
    return plant


def drop_lines_matching(pattern: str):
    rx = re.compile(pattern)
    def plant(d: pathlib.Path) -> None:
        hits = 0
        for log in console_logs(d):
            lines = log.read_text().splitlines(keepends=True)
            kept = [l for l in lines if not rx.search(l.rstrip("\n"))]
            hits += len(lines) - len(kept)
            log.write_text("".join(kept))
        assert hits, f"fixture has no line matching {pattern!r}"
    return plant


def damage_record(i: int):
    def plant(d: pathlib.Path) -> None:
        image = bytearray((d / "disk-prefix.img").read_bytes())
        image[i * 512 + 100] ^= 0x40
        (d / "disk-prefix.img").write_bytes(bytes(image))
    return plant


def truncate_image(records: int):
    def plant(d: pathlib.Path) -> None:
        image = (d / "disk-prefix.img").read_bytes()
        (d / "disk-prefix.img").write_bytes(image[:records * 512])
    return plant


def replace_file(name: str, text):
    def plant(d: pathlib.Path) -> None:
        if text is None:
            (d / name).unlink()
        else:
            write(d / name, text)
    return plant


def shift_heartbeats(seconds: float, count: int = 0):
    """Moves the wall clock of the first `count` heartbeats (0: all) of the
    first console log by `seconds`."""
    def plant(d: pathlib.Path) -> None:
        log = console_logs(d)[0]
        lines, moved = log.read_text().splitlines(), 0
        for i, line in enumerate(lines):
            if "] heartbeat " in line and (count == 0 or moved < count):
                head, wall = line.rsplit("wall_ns=", 1)
                lines[i] = f"{head}wall_ns={int(wall) + int(seconds * 1e9)}"
                moved += 1
        assert moved, "fixture has no heartbeat"
        log.write_text("\n".join(lines) + "\n")
    return plant


def stamp_late(seconds: int, count: int):
    """xenconsoled read `count` heartbeats of the first console log `seconds`
    late: their dom0 stamps move, the guest's clocks do not."""
    def plant(d: pathlib.Path) -> None:
        log = console_logs(d)[0]
        lines, moved = log.read_text().splitlines(), 0
        for i, line in enumerate(lines):
            if "] heartbeat " in line and moved < count:
                stamp = datetime.datetime.strptime(line[1:20], "%Y-%m-%d %H:%M:%S")
                lines[i] = f"[{stamp + datetime.timedelta(seconds=seconds):%Y-%m-%d %H:%M:%S}]{line[21:]}"
                moved += 1
        assert moved, "fixture has no heartbeat"
        log.write_text("\n".join(lines) + "\n")
    return plant


# The wall clock: 1.9 s ahead on one heartbeat is within 2.5 s (offsets are
# taken from the middle of dom0's whole-second stamp: at most 2.4 s), and so
# are heartbeats dom0 stamped 5 s late (xenconsoled read them late, as a busy
# dom0 does); 3.1 s ahead on one heartbeat, or behind on all, is not.
CLOCK_HARMLESS = [("wall clock 1.9 s ahead in one heartbeat", shift_heartbeats(1.9, 1)),
                  ("two heartbeats stamped 5 s late", stamp_late(5, 2))]
CLOCK_FAULTS = [("wall clock 3.1 s ahead in one heartbeat", shift_heartbeats(3.1, 1)),
                ("wall clock 3.1 s behind in a whole log", shift_heartbeats(-3.1))]
TORPOR_FAULTS = [
    ("grant self-test line missing", drop_lines("self-test ok")),
    ("grant self-test failed", edit_logs("refs; self-test ok", "refs; self-test ok\n[2026-11-28 "
                                         "07:26:21] grant table: self-test failed: entry fields "
                                         "(protocol_error)")),
    ("per-thread errno self-test line missing", drop_lines("errno is per thread")),
]
GENERIC_FAULTS = [
    ("an untimestamped torpor PANIC line", append_to_first_log("torpor: PANIC: trap 14 (planted)")),
    ("a timestamped Linux panic", append_to_first_log("[2026-11-28 07:26:23] Kernel panic - not syncing: planted")),
    ("Xen crashed a guest during this scenario", in_serial(None, XEN_CRASH)),
    ("Xen panicked during another scenario", in_serial("earlier", XEN_PANIC)),
    ("dom0 oopsed during another scenario", in_serial("later", DOM0_OOPS)),
    ("no serial.log", lambda d: (d.parent / "serial.log").unlink()),
    ("scenario timed out (rc 124)", replace_file("rc", "124\n")),
]
def edit_net(name: str, old: str, new: str):
    def plant(d: pathlib.Path) -> None:
        text = (d / "net" / name).read_text()
        assert old in text, f"fixture net/{name} has no {old!r}"
        (d / "net" / name).write_text(text.replace(old, new))
    return plant


# Faults in the client's record, for every scenario that streams.
NET_FAULTS = [
    ("a byte lost in the stream", edit_net("client.log", "client: bytes=", "client: [60000] FAIL at "
                                           "offset 123456: 3 bytes lost\nclient: bytes=")),
    ("the client counted an error", edit_net("summary", "errors=0", "errors=1")),
    ("the peer closed the connection", edit_net("summary", "reason=stopped", "reason=peer-closed")),
    ("no summary (the client never finished)", lambda d: (d / "net" / "summary").unlink()),
    ("no echo in the migrate-live window", edit_net("windows.tsv", "migrate-live\t", "other\t")),
    ("no gratuitous ARP after migrate", edit_net("arp.tsv", "\t1\tmigrate\n", "\t0\tmigrate\n")),
    ("a ping unanswered", edit_net("ping-2.log", "3 packets received", "0 packets received")),
    ("an HTTP GET unanswered", lambda d: (d / "net" / "http-2.txt").unlink()),
]

FAULTS = {
    "torpor-boot": TORPOR_FAULTS + [
        ("poweroff never handled", drop_lines("shutdown requested: poweroff")),
        ("domid file missing", replace_file("domid", None))],
    "torpor-core": TORPOR_FAULTS + [
        ("no heartbeats", drop_lines("] heartbeat ")),
        ("a heartbeat lost", drop_lines("] heartbeat 7 ")),
        ("empty heartbeat window", replace_file("heartbeat_window", "0 0 0\n")),
        ("heartbeat window missing", replace_file("heartbeat_window", None)),
        ("network self-test line missing", drop_lines("net: self-test at boot PASS")),
        ("network self-test failed", edit_logs(NET_PASS, "net: self-test at boot FAIL: echo "
                                               "connection 2 round 0: byte 7 is 0x1, sent 0x2")),
        ("a self-test after a resume failed", edit_logs(
            "torpor: shutdown requested: poweroff", "net: self-test after resume #1 FAIL: "
            "cannot connect to 127.0.0.1:7 (errno 113)\n[2026-11-28 07:27:00] torpor: shutdown "
            "requested: poweroff")),
        ("http server never listened", drop_lines("net: http listening on port 80")),
        ("echo server never listened", drop_lines("net: echo listening on port 7")),
    ] + CLOCK_FAULTS,
    "torpor-smp": TORPOR_FAULTS + [
        ("vcpus=2 domain logged no counters", lambda d: write(
            d / "console/guest-smp2.log", Console().boot(5, vcpus=2, maxvcpus=4).text()))],
    "torpor-suspend": TORPOR_FAULTS + [
        ("no heartbeats", drop_lines("] heartbeat ")),
        ("a heartbeat lost", drop_lines("] heartbeat 20 ")),
        *CLOCK_FAULTS,
        ("a suspend step failed", edit_logs("suspend #2 path (us)", "suspend #2: step devices failed: "
                                            "timed_out\n[2026-11-28 07:27:00] suspend #2 path (us)")),
        ("a cancel reported as a new domain", edit_logs("suspend #2: cancelled (hypercall returned 1)",
                                                        "suspend #2: resumed in a new domain (hypercall returned 0)")),
        ("no network self-test after resume #3", drop_lines("net: self-test after resume #3 ")),
        ("a network self-test failed", edit_logs("net: self-test after resume #2 PASS:",
                                                 "net: self-test after resume #2 FAIL: http GET /: "
                                                 "no complete response (0 bytes, errno 11)\n[2026-11-28 "
                                                 "07:27:00] net: self-test after resume #2 PASS:")),
        ("a suspend asked for through control/shutdown",
         edit_logs("torpor: suspend requested on the suspend event channel (port 9)\n"
                   "[2026-11-28 07:26:2", "torpor: shutdown requested: suspend\n"
                   "[2026-11-28 07:26:2")),
        ("no port published after a new domain", drop_lines("event channel 9 published")),
        ("xl wrote control/shutdown", lambda d: write(
            d / "steps/04-checkpoint-0.log", "libxl: debug: Domain 6:issuing PV suspend request "
            "via XenBus control node\n")),
        ("op_count missing (scenario did not reach its end)", replace_file("op_count", None)),
        ("no save image recorded", replace_file("images.tsv", "k\tbytes\n")),
        ("ops.tsv empty", replace_file("ops.tsv", "k\top\tcancelled\trc\n")),
        ("no disk image", lambda d: (d / "disk-prefix.img").unlink()),
        ("no client record and NET=0 not said", replace_file("net_off", None)),
        ("an acknowledged record damaged on disk", damage_record(137)),
        ("the last acknowledged record missing on disk", truncate_image(records=400)),
        ("nothing re-issued after any resume", drop_lines("blkfront: xvda: re-issuing")),
        ("the writer stalled after an operation", drop_lines_matching(r"blk: acked (2[2-9]\d|[34]\d\d)$")),
        ("the reader found a bad record", append_to_first_log(
            "[2026-11-28 07:26:23] blk: reader: record 12 BAD: bad CRC")),
        ("a write failed", append_to_first_log(
            "[2026-11-28 07:26:23] blk: write failed (record 40): I/O error; writer stops")),
        ("no storage workload", drop_lines("] blk")),
        ("a cancelled suspend re-issued", drop_lines("blkfront: xvda: suspend cancelled"))],
    "torpor-blk-hotplug": TORPOR_FAULTS + [
        ("no reconnect after the attach", drop_lines("(connect #2)")),
        ("the vif never came back", drop_lines_matching(r"vif0 (connected|found)")),
        ("the vif detach never seen", drop_lines("vif0 disconnected")),
        ("a second driver for the re-attached vif", edit_logs(
            "the same driver reconnects\n", "the same driver reconnects\n[2026-11-28 07:26:30] "
            "netfront: vif0 connected to backend domain 0 (event channel 10)\n")),
        ("the re-attached vif's MAC not taken", drop_lines("the MAC changed")),
        ("the MAC taken from the wrong address", edit_logs("to 00:16:3e:77:00:15", "to 00:16:3e:77:00:16")),
        ("no macs record", lambda d: (d / "macs").unlink()),
        ("no ping after the attach", lambda d: write(d / "net/ping-2.log",
                                                     "3 packets transmitted, 0 packets received\n")),
        ("the disk closed twice", edit_logs("blk: xvda detached", "blkfront: xvda: closed (#2): ring "
                                            "and request grants revoked, event channel 7 unbound; 0 "
                                            "requests without a response kept for re-attach, 0 queued "
                                            "in all\n[2026-11-28 07:26:21] blk: xvda detached")),
        ("the ring still mapped at close", edit_logs("ring and request grants revoked",
                                                     "ring still mapped by the backend (page left alone)")),
        ("no heartbeats while detached", drop_lines_matching(r"heartbeat (1[7-9]|[2-5]\d|6[0-5]) ")),
        ("a heartbeat lost while detached", drop_lines("] heartbeat 30 ")),
        ("the writer never paused", drop_lines("writer pauses")),
        ("nothing acknowledged after the attach", drop_lines_matching(r"blk: acked (9\d|1[0-3]\d)$")),
        ("a write failed for good", append_to_first_log(
            "[2026-11-28 07:26:23] blk: write failed (record 40): io_error; writer stops")),
        ("the frontend broke", append_to_first_log(
            "[2026-11-28 07:26:23] xenbus: device/vbd/51712: backend state is not a XenbusState "
            "(protocol_error); device marked broken")),
        ("the detach step failed", replace_file("steps.tsv", "step\trc\tms\n" + "".join(
            f"{n}\t{1 if n == 'detach' else 0}\t150\n" for n in BLK_HOTPLUG_STEPS))),
        ("an acknowledged record damaged on disk", damage_record(85)),
        ("no disk image", lambda d: (d / "disk-prefix.img").unlink()),
    ],
    "torpor-remus": TORPOR_FAULTS + [
        ("too few checkpoints", lambda d: build_torpor_remus(d, checkpoints=20)),
        ("a checkpoint resumed in a new domain", edit_logs(
            "suspend #5: cancelled (hypercall returned 1)",
            "suspend #5: resumed in a new domain (hypercall returned 0)")),
        ("a checkpoint asked for through control/shutdown", edit_logs(
            "torpor: suspend requested on the suspend event channel (port 9)\n"
            "[2026-11-28 07:26:3", "torpor: shutdown requested: suspend\n[2026-11-28 07:26:3")),
        ("xl wrote control/shutdown", replace_file(
            "remus.log", "libxl: debug: issuing PV suspend request via XenBus control node\n")),
        ("the guest stopped after the backup failed", drop_lines('"echo-after-remus"')),
        ("a checkpoint lost", drop_lines("suspend #33: cancelled")),
        ("the TCP stream broke", lambda d: write(d / "net/summary", "client: bytes=2000 "
                                                 "stalls_max_ms=1200 errors=1 duration_ms=16000 "
                                                 "windows=4 reason=error connections=1\n")),
        ("no echo after remus", replace_file("net/windows.tsv", "label\tstart_ms\tend_ms\tbytes\t"
                                             "stall_max_ms\nstart\t0\t4000\t262120\t30\n"
                                             "remus\t4000\t8000\t262120\t1200\n")),
        ("a checkpoint reconnected the vif", append_to_first_log(
            "[2026-11-28 07:26:23] netfront: vif0 resumed in a new domain: reconnected to backend "
            "domain 0, re-sent 0 tx frame(s) left unanswered, gratuitous ARP sent, 1 TCP peer(s) "
            "nudged")),
        ("a gratuitous ARP during the checkpoints", replace_file(
            "net/arp.tsv", "mono_ms\twall_ms\top\tsender\ttarget\tgratuitous\tlabel\n"
            "54900\t1795850785000\trequest\t10.77.0.7\t10.77.0.7\t1\tremus\n")),
        ("a checkpoint re-issued disk requests", edit_logs(
            "blkfront: xvda: suspend cancelled; same ring, 20 requests in flight, nothing re-issued",
            "blkfront: xvda: re-issuing 20 requests that had no response")),
        ("the disk reconnected", append_to_first_log(
            "[2026-11-28 07:26:23] blkfront: xvda: connected to backend domain 0 (connect #2): "
            "131072 sectors of 512 bytes (64 MiB), flush: flush-cache, 32 ring slots")),
        ("the writer stopped at the last checkpoint", drop_lines_matching(
            r"blk: acked (2[1-9]\d\d|2[0-9]{3})$")),
        ("an acknowledged record damaged on disk", damage_record(301)),
        ("no disk image", lambda d: (d / "disk-prefix.img").unlink()),
        ("the reader found a bad record", append_to_first_log(
            "[2026-11-28 07:26:23] blk: reader: record 12 BAD: bad CRC")),
    ],
    "torpor-dhcp": TORPOR_FAULTS + [
        ("never asked DHCP", drop_lines("asking DHCP")),
        ("the address came from the backend", edit_logs("(dhcp)", "(backend ip key)")),
        ("an address outside the pool", edit_logs("ip=10.77.0.100 ", "ip=10.77.0.50 ")),
        ("dom0 pinged another address", replace_file("dhcp_ip", "10.77.0.101\n")),
        ("no ping after the migration", lambda d: write(d / "net/ping-2.log",
                                                        "3 packets transmitted, 0 packets received\n")),
        ("not migrated", drop_lines("resumed in a new domain"))],
    "torpor-memory": [
        ("memory = not above half of Xen's free memory", replace_file("free_mb", "1300\n")),
        ("nothing given back at boot", drop_lines("free memory lives in Xen")),
        ("xl list above the target after mem-set down", lambda d: write(
            d / "list-down.txt", "Name ID Mem VCPUs State Time(s)\nmem 22 40 2 -b---- 0.8\n")),
        ("xl list holds most of memory = before the migration", lambda d: write(
            d / "list-before.txt", "Name ID Mem VCPUs State Time(s)\nmem 22 590 2 -b---- 0.8\n")),
        ("no NULL reached the app", drop_lines("returned NULL")),
        ("a refusal not logged by the kernel", drop_lines("Xen has no memory")),
        ("a chunk corrupt", edit_logs("nulls=1 corrupt=0", "nulls=1 corrupt=1")),
        ("the app stopped after the migration", lambda d: (d / "console/guest-mem--incoming.log").unlink()),
        ("mem-set up not seen", drop_lines("target 614400 KiB")),
        ("idle memory never given back", drop_lines("unused for")),
        ("the load never rested", drop_lines("memload: resting")),
        ("migrate --live failed", lambda d: write_steps(d, ("create", "ready", "migrate-live"),
                                                        {"migrate-live": 1}))],
    "linux-baseline": [
        ("a tick repeated", edit_logs("linux-baseline tick 30\n", "linux-baseline tick 30\n"
                                      "[2026-11-28 07:26:23] linux-baseline tick 30\n"))] + NET_FAULTS + [
        ("no client record at all", lambda d: shutil.rmtree(d / "net"))],
    "bench-remus-smoke": TORPOR_FAULTS + [
        ("no Linux run", lambda d: (d / "remus-linux-100.log").unlink()),
        ("torpor took no timed checkpoint", replace_file(
            "remus-torpor-100.log", "90000\tlibxl: debug: issuing PV suspend request via event channel\n")),
        ("xl remus never ended", replace_file("remus.tsv", "guest\tinterval_ms\tmetric\tvalue\n"
                                              "torpor\t100\txl_ended\t0\ntorpor\t100\tran_after\t1\n"
                                              "linux\t100\txl_ended\t1\nlinux\t100\tran_after\t1\n")),
        ("Linux stopped after the failed backup", replace_file(
            "remus.tsv", "guest\tinterval_ms\tmetric\tvalue\ntorpor\t100\txl_ended\t1\n"
            "torpor\t100\tran_after\t1\nlinux\t100\txl_ended\t1\nlinux\t100\tran_after\t0\n")),
        ("no torpor console", lambda d: (d / "console-torpor-100.log").unlink()),
    ],
    "bench-smoke": TORPOR_FAULTS + [
        ("torpor at 256 MiB skipped", edit_file("bench.tsv", "torpor\t1\tboot_ms\t90",
                                                "torpor\t1\tskipped_need_mib\t320")),
        ("no migration stream counted", edit_file("bench.tsv", "torpor-16m\t1\tstream_bytes", "x\t1\ty")),
        ("no used memory before the save", edit_file("bench.tsv", "torpor\t1\tused_before_save_mib",
                                                     "x\t1\ty")),
        ("no Linux console log", lambda d: (d / "console-linux-1.log").unlink()),
        ("a suspend step failed", edit_logs("suspend #1 path (us)", "suspend #1: step devices failed: "
                                            "timed_out\n[2026-11-28 07:27:00] suspend #1 path (us)")),
        ("no network run for Linux", lambda d: shutil.rmtree(d / "net-linux-1")),
        ("no network run at all", lambda d: [shutil.rmtree(p) for p in d.glob("net-*")]),
        ("the torpor live migration failed", edit_bench_net("torpor", "ops.tsv", "56100\t0\n", "56100\t1\n")),
        ("the Linux save + restore never ran", edit_bench_net("linux", "ops.tsv", "save-restore\t", "other\t")),
        ("a byte lost in the torpor stream", edit_bench_net(
            "torpor", "net/client.log", "client: bytes=", "client: [60000] FAIL at offset 123456: "
            "3 bytes lost\nclient: bytes=")),
        ("the Linux stream's connection closed", edit_bench_net("linux", "net/summary", "reason=stopped",
                                                               "reason=peer-closed")),
        ("no echo in torpor's save -c window", edit_bench_net("torpor", "net/windows.tsv", "save-c\t",
                                                             "other\t")),
        ("HTTP requests failed", edit_bench_net("linux", "net/http-rate.txt", "errors=0", "errors=3")),
        ("no HTTP rate", lambda d: (d / "net-torpor-1" / "net" / "http-rate.txt").unlink()),
        ("no torpor downtime after save + restore", edit_bench_net(
            "torpor", "console.log", "resumed (#3)", "resumed (#9)")),
        ("a torpor PANIC during the network run", edit_bench_net(
            "torpor", "console.log", "demo: running", "demo: running\ntorpor: PANIC: planted")),
        ("no echo timeline", lambda d: [(p / "net" / "timeline.csv").unlink() for p in d.glob("net-*")]),
        ("no disk run for Linux", lambda d: shutil.rmtree(d / "blk-linux-1")),
        ("the torpor disk's live migration failed", edit_bench_blk("torpor", "ops.tsv", "70000\t0", "70000\t1")),
        ("no blkstat samples for torpor", lambda d: (d / "blk-torpor-1" / "blkstat.txt").write_text("")),
        ("the disk never moved after the Linux migration", lambda d: (d / "blk-linux-1" / "blkstat.txt")
         .write_text("".join(l + "\n" for l in (d / "blk-linux-1" / "blkstat.txt").read_text().splitlines()
                             if int(l.split()[0]) < 70_100))),
        ("torpor used a one-page ring", edit_bench_blk("torpor", "console.log", "ring-page-order 4",
                                                       "ring-page-order 0")),
        ("torpor fell back to transient grants after the migration", edit_bench_blk(
            "torpor", "console.log", "(connect #2): 131072 sectors of 512 bytes (64 MiB), flush: "
            "flush-cache, 512 ring slots, indirect: 64 segments a request, grants: persistent",
            "(connect #2): 131072 sectors of 512 bytes (64 MiB), flush: flush-cache, 512 ring slots, "
            "indirect: 64 segments a request, grants: transient")),
        ("blkpersistent=0 still used persistent grants", edit_bench_blk(
            "torpor-transient", "console.log", "grants: transient", "grants: persistent")),
        ("a torpor PANIC during the disk run", edit_bench_blk(
            "torpor", "console.log", "demo: running", "demo: running\ntorpor: PANIC: planted"))],
}
# Harmless changes: the run must still pass (the serial scan is scoped to the
# scenario for guest crashes; wall-clock ones per scenario).
HARMLESS = [
    ("Xen crashed a guest during another scenario", in_serial("earlier", XEN_CRASH)),
]
# torpor-suspend with NET=1: the client's record over its five operations.
TORPOR_NET_WINDOWS = [f"{op}-{k}" for k, (op, _, _) in enumerate(SUSPEND_OPS, 1)]
TORPOR_ARP_WINDOWS = [f"{op}-{k}" for k, (op, c, _) in enumerate(SUSPEND_OPS, 1) if not c]


def with_net(*plants):
    def plant(d: pathlib.Path) -> None:
        (d / "net_off").unlink(missing_ok=True)  # NET=1 says nothing
        write_net(d, TORPOR_NET_WINDOWS, TORPOR_ARP_WINDOWS, "10.77.0.3", "00:16:3e:77:00:03",
                  ["torpor: up 42 s, 5 suspends, last downtime 500 ms"] * 2)
        for p in plants:
            p(d)
    return plant


TORPOR_NET_FAULTS = [
    ("the client's record with a byte lost", with_net(NET_FAULTS[0][1])),
    ("the client's record ending in a closed connection", with_net(NET_FAULTS[2][1])),
    ("the client's record with no echo in window migrate-live-4",
     with_net(edit_net("windows.tsv", "migrate-live-4\t", "other\t"))),
    ("the client's record with no gratuitous ARP after migrate-3",
     with_net(edit_net("arp.tsv", "\t1\tmigrate-3\n", "\t0\tmigrate-3\n"))),
    ("the client's record with an empty HTTP answer", with_net(lambda d: write(d / "net" / "http-1.txt", "\n"))),
]
FAULTS["torpor-suspend"] += TORPOR_NET_FAULTS


def two_hosts(**fault):
    def plant(d: pathlib.Path) -> None:
        build_torpor_two_hosts(d, **fault)  # rewrites every file of the good run
    return plant


def host_b_file(path: str, text):
    def plant(d: pathlib.Path) -> None:
        f = d.parent / "host-b" / d.name / path
        if text is None:
            f.unlink()
        else:
            write(f, text)
    return plant


def host_b_console(edit):
    def plant(d: pathlib.Path) -> None:
        f = d.parent / "host-b" / d.name / "console/guest-th--incoming.log"
        f.write_text(edit(f.read_text()))
    return plant


FAULTS["torpor-two-hosts"] = TORPOR_FAULTS + NET_FAULTS[:4] + [
    ("the clock not rebased on B (30 s back)", two_hosts(b_clock_shift_s=-30)),
    ("the clock 28 s ahead on B (a clamped rebase)", two_hosts(b_clock_shift_s=28)),
    ("the heartbeat timer 5 s late after the hop", two_hosts(timer_late_s=5)),
    ("the two Xens' system times alike (no rebase exercised)", two_hosts(b_xen_behind_s=0.5)),
    ("the clock 3 s off A's Xen system time after the return", two_hosts(a_offset_s=3)),
    ("no gratuitous ARP while the guest was on B", two_hosts(garp=False)),
    ("host B's scenario failed", host_b_file("rc", "1\n")),
    ("host B's migrate back failed", lambda d: write_steps(d.parent / "host-b" / d.name,
                                                           TWO_HOSTS_B_STEPS, {"migrate-1-ba": 1})),
    ("host B's console log missing", host_b_file("console/guest-th--incoming.log", None)),
    ("host B's hops.tsv missing", host_b_file("hops.tsv", None)),
    ("host B's serial log missing", lambda d: (d.parent / "host-b" / "serial.log").unlink()),
    ("a record acknowledged on B not on the LUN read back on A", damage_record(120)),
    ("the LUN copy cut short", truncate_image(100)),
    ("no disk copy after the shutdown", lambda d: (d / "disk-prefix.img").unlink()),
    ("xvda never connected on B", host_b_console(lambda t: t.replace("(connect #2)", "(connect #9)"))),
    ("the writer did not go on after the return to A",
     drop_lines_matching(r"blk: acked (1[89]\d|2\d\d)$")),
    ("a write failed on B", host_b_console(
        lambda t: t.replace("blk: acked 149", "blk: write of record 150 failed: io_error; writer stops"))),
    ("no shutdown after the return", drop_lines("shutdown requested: poweroff")),
]
HARMLESS_FOR = {"torpor-core": CLOCK_HARMLESS,
                "torpor-suspend": CLOCK_HARMLESS + [("the client's record of a good stream", with_net())]}


# --- running the checkers -----------------------------------------------------

def run_checker(script: pathlib.Path, extra: list, results: pathlib.Path, scratch: pathlib.Path):
    args = [a.replace("{scratch}", str(scratch)) for a in extra]
    done = subprocess.run([sys.executable, str(script), str(results), *args],
                          capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


class CheckerSelfTest(unittest.TestCase):

    def expect(self, script, extra, results, scratch, passing: bool, case: str):
        rc, out = run_checker(script, extra, results, scratch)
        fails = [l for l in out.splitlines() if l.startswith("FAIL ")]
        with self.subTest(checker=script.name, case=case):
            if passing:
                self.assertTrue(rc == 0 and not fails, f"{script.name} should PASS on {case}: "
                                f"rc={rc}\n{out[-3000:]}")
            else:
                self.assertTrue(rc != 0 and fails, f"{script.name} should FAIL on {case}: "
                                f"rc={rc}\n{out[-3000:]}")

    def each(self, body):
        for script, (scenario, extra) in discovered_checkers().items():
            with tempfile.TemporaryDirectory() as tmp:
                body(script, scenario, extra, pathlib.Path(tmp))

    def test_empty_result_directory_fails(self):
        def body(script, scenario, extra, tmp):
            (tmp / "res" / scenario).mkdir(parents=True)
            self.expect(script, extra, tmp / "res" / scenario, tmp, False, "an empty directory")
        self.each(body)

    def test_missing_result_directory_fails(self):
        def body(script, scenario, extra, tmp):
            self.expect(script, extra, tmp / "res" / scenario, tmp, False, "a missing directory")
        self.each(body)

    def test_generic_cut_short_run_fails(self):
        def body(script, scenario, extra, tmp):
            d = build_generic_cut_short(tmp / "res", scenario)
            self.expect(script, extra, d, tmp, False, "a run cut off after boot")
        self.each(body)

    def test_synthetic_runs(self):
        """Good run passes; cut short or with a planted fault, it fails."""
        def body(script, scenario, extra, tmp):
            if scenario not in BUILDERS:
                print(f"NOTE: no synthetic run for {script.name} ({scenario}): only the empty, "
                      "missing and cut-short cases ran", file=sys.stderr)
                return
            cases = [("a good run", None, True)]
            cases += [(f"a good run with {what}", plant, True)
                      for what, plant in HARMLESS + HARMLESS_FOR.get(scenario, [])]
            cases += [("console logs cut in half", lambda d: [cut_in_half(p) for p in console_logs(d)],
                       False),
                      ("tables (*.tsv) cut in half", lambda d: [cut_in_half(p) for p in d.glob("*.tsv")],
                       False),
                      ("every file cut in half", lambda d: [cut_in_half(p) for p in d.parent.rglob("*")
                                                            if p.is_file()], False)]
            cases += [(f"a run with {what}", plant, False)
                      for what, plant in GENERIC_FAULTS + FAULTS.get(scenario, [])]
            for i, (case, plant, passing) in enumerate(cases):
                root = tmp / f"run{i}"
                d = build_run(root, scenario)
                if plant:
                    plant(d)
                self.expect(script, extra, d, tmp, passing, case)
                shutil.rmtree(root)
        self.each(body)


def build_two_hosts_bench_run(out: pathlib.Path, gap_ms: int = 3000, lose_bytes: bool = False) -> None:
    """run-two-hosts.sh's OUTDIR for the cross-host bench: the synthetic
    round trip, with the client's timeline on a clock of its own that holds a
    gap_ms wait for an echo inside each hop."""
    a = out / "torpor-two-hosts"
    build_torpor_two_hosts(a)
    hops = {}
    for host, d in (("A", a), ("B", out / "host-b" / "torpor-two-hosts")):
        for r in read_tsv(d / "hops.tsv", 5):
            hops[(host, r[0], r[1], r[2])] = float(r[3])
    start, back = hops[("A", "1", "ab", "send-start")], hops[("A", "1", "ba", "arrived")]
    b_send = hops[("B", "1", "ba", "send-start")]
    offset = start - 1000.0  # the client's clock: 1000 s at A's send-start
    points, echoed, t = [], 0, (start - 10 - offset) * 1000
    gaps = [((start + 0.5 - offset) * 1000, gap_ms), ((b_send + 0.5 - offset) * 1000, gap_ms)]
    while t < (back + 20 - offset) * 1000:
        t += 100
        for g0, g in gaps:
            if g0 <= t < g0 + g:
                t = g0 + g
        echoed += 6553
        points.append(f"{int(t)},{echoed}")
    write(a / "net" / "timeline.csv", "mono_ms,echoed\n" + "".join(p + "\n" for p in points))
    rows = [("start", (start - 10 - offset) * 1000), ("hop-1-ab", (start - offset) * 1000),
            ("on-b-1", (hops[("A", "1", "ab", "send-end")] - offset) * 1000),
            ("back-1", (back - offset) * 1000), ("idle", t)]
    write(a / "net" / "windows.tsv", "label\tstart_ms\tend_ms\tbytes\tstall_max_ms\n" + "".join(
        f"{label}\t{int(s0)}\t{int(s1)}\t1000\t{gap_ms}\n" for (label, s0), (_, s1) in zip(rows, rows[1:])))
    summary = (f"client: bytes={echoed} stalls_max_ms={gap_ms} errors={1 if lose_bytes else 0} "
               f"duration_ms={int(t - rows[0][1])} windows=4 reason=stopped connections=1\n")
    write(a / "net" / "summary", summary)
    write(a / "net" / "client.log", "client: connected to 10.77.0.9:7 after 1 tries\n" + summary)


class BenchTwoHostsReportTest(unittest.TestCase):
    REPORT = HARNESS.parent / "bench_two_hosts_report.py"

    def run_report(self, torpor: pathlib.Path, linux: pathlib.Path):
        p = subprocess.run([sys.executable, str(self.REPORT), str(torpor), str(linux)],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout

    def test_empty_runs_fail(self):
        with tempfile.TemporaryDirectory() as tmp:
            rc, out = self.run_report(pathlib.Path(tmp), pathlib.Path(tmp))
            self.assertEqual(rc, 1, out)

    def test_good_runs_give_each_hops_wait_and_the_ratio(self):
        with tempfile.TemporaryDirectory() as tmp:
            build_two_hosts_bench_run(pathlib.Path(tmp) / "t", gap_ms=2000)
            build_two_hosts_bench_run(pathlib.Path(tmp) / "l", gap_ms=8000)
            rc, out = self.run_report(pathlib.Path(tmp) / "t", pathlib.Path(tmp) / "l")
            self.assertEqual(rc, 0, out)
            for hop in ("A->B", "B->A"):  # the gap plus one 100 ms step, to a ms of rounding
                self.assertRegex(out, rf"\| client's longest wait for an echo, {hop} \(ms, median of "
                                 r"1 / 1\) \| 2(099|100) \| 8(099|100) \| 0\.26 \|")

    def test_a_broken_stream_fails(self):
        with tempfile.TemporaryDirectory() as tmp:
            build_two_hosts_bench_run(pathlib.Path(tmp) / "t")
            build_two_hosts_bench_run(pathlib.Path(tmp) / "l", lose_bytes=True)
            rc, out = self.run_report(pathlib.Path(tmp) / "t", pathlib.Path(tmp) / "l")
            self.assertEqual(rc, 1, out)


class ConsoleReplayTest(unittest.TestCase):

    def test_lines_replayed_after_a_migration_are_counted_once(self):
        """A receiving xenconsoled may print the sender's last lines again (the
        console ring travels with the guest): seen on Xen, a quiesce report in
        both logs. Only those leading repeats go; the same text after the
        resume report stays."""
        from harness_results import console_lines_without_replay
        with tempfile.TemporaryDirectory() as tmp:
            d = pathlib.Path(tmp)
            sender = Console().say("Logfile Opened", "boot", "report A", "xenstore: quiesced in 5 us")
            write(d / "console/guest-g.log", sender.text())
            incoming = Console(sender.t + 1).say(
                "Logfile Opened", "xenstore: quiesced in 5 us",
                "suspend #1: resumed in a new domain (hypercall returned 0), downtime 9 ms",
                "report A", "xenstore: quiesced in 5 us")
            write(d / "console/guest-g--incoming.log", incoming.text())
            lines = console_lines_without_replay(d, "g")
            self.assertEqual(lines.count("xenstore: quiesced in 5 us"), 2)
            self.assertEqual(lines.count("report A"), 2)
            self.assertEqual(lines.count("boot"), 1)

    def test_each_log_keeps_its_stamps_without_the_replayed_lines(self):
        """The torpor-suspend checker counts heartbeats per log: a replayed
        beat would read as a repeat, and a soak of 1000 cycles sees some."""
        from harness_results import console_logs_without_replay
        with tempfile.TemporaryDirectory() as tmp:
            d = pathlib.Path(tmp)
            sender = Console().say("Logfile Opened", "beat 7", "beat 8")
            write(d / "console/guest-g.log", sender.text())
            incoming = Console(sender.t + 1).say(
                "Logfile Opened", "beat 8",
                "suspend #1: resumed in a new domain (hypercall returned 0), downtime 9 ms", "beat 9")
            write(d / "console/guest-g--incoming.log", incoming.text())
            logs = console_logs_without_replay(d, "g")
            self.assertEqual([p.name for p, _ in logs], ["guest-g.log", "guest-g--incoming.log"])
            self.assertEqual([t for _, t in logs[1][1]], [
                "Logfile Opened",
                "suspend #1: resumed in a new domain (hypercall returned 0), downtime 9 ms", "beat 9"])
            self.assertTrue(all(stamp for _, lines in logs for stamp, _ in lines))


class StepFailureHintTest(unittest.TestCase):

    def test_a_failed_step_names_what_its_log_says(self):
        from harness_results import Checker, read_steps  # noqa: E402
        import contextlib
        import io
        with tempfile.TemporaryDirectory() as tmp:
            d = pathlib.Path(tmp)
            (d / "steps").mkdir()
            (d / "steps.tsv").write_text("step\trc\tms\nmigrate-live\t1\t900\nready\t0\t5\n")
            (d / "steps" / "04-migrate-live.log").write_text(
                "xc: info: Saving domain 3\nxc: error: Mapping of pfn 0x1234 failed 22\n"
                "migration sender: libxl_domain_suspend failed (rc=-3)\nmore\n")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                c = Checker("x")
                c.check_steps(read_steps(d), ("migrate-live", "ready", "gone"))
            text = out.getvalue()
            self.assertIn("FAIL x: step migrate-live rc=1: xc: error: Mapping of pfn 0x1234 "
                          "failed 22 | migration sender: libxl_domain_suspend failed", text)
            self.assertIn("PASS x: step ready rc=0\n", text)
            self.assertIn("FAIL x: step gone rc=None\n", text)
            self.assertEqual((c.passed, c.failed), (1, 2))


if __name__ == "__main__":
    unittest.main()
