#!/usr/bin/env python3
"""Asserts the torpor-suspend scenario from torpor's own console output.

usage: check_torpor_suspend.py RESULTDIR
When the scenario ran the dom0 network client (NET=1: RESULTDIR/net/target),
also that dom0 pinged torpor and fetched / before and after, that one TCP
connection streamed through its echo port across every operation with every
byte checked, and that a gratuitous ARP came after each resume into a new
domain (harness_net.py).
"""
import pathlib
import re
import sys

from blk_image import check_records, reader_checks, storage_errors
from harness_net import check_client, check_ping_http, client_ran
from harness_results import (HEARTBEAT as BEAT, Checker, all_console_logs, check_boot_self_tests,
                             check_no_panic, check_serial, check_wall_clock,
                             console_logs_without_replay,
                             read_steps, read_text, read_tsv)

MIN_OPERATIONS = 5  # the five named operations before the mixed cycles
# The guest runs for at least half a second after each resume (dom0 waits for
# it, pokes a watch and types a line): five 100 ms heartbeats per operation.
MIN_BEATS_PER_OPERATION = 5
MIN_BEATS_PER_LOG = 10
# The storage workload writes a record every 20 ms: even a slow run acknowledges
# hundreds; a handful means the writer stalled.
MIN_ACKED_RECORDS = 200


def check_heartbeats(c: Checker, files: list, per_file: list, operations: int) -> None:
    # Monotonic time never goes back within each domain's log (each log file is
    # in time order), nor across a suspend (resume mono > suspend mono).
    c.check(files, f"{len(files)} console logs of the guest")
    all_beats, numbers = [], []
    for f, parsed in zip(files, per_file):
        beats = [(s, m) for s, t in parsed if (m := BEAT.match(t))]
        monos = [int(m.group(2)) for _, m in beats]
        c.check(len(monos) >= MIN_BEATS_PER_LOG and all(b > a for a, b in zip(monos, monos[1:])),
                f"{f.name}: {len(monos)} heartbeats (>= {MIN_BEATS_PER_LOG}), monotonic time "
                "strictly increasing")
        all_beats += beats
        numbers += [int(m.group(1)) for _, m in beats]
    # Only one domain runs at a time and a suspended guest's console ring
    # travels with it: across all logs the beats are 0..n, each exactly once.
    numbers.sort()
    least = max(MIN_BEATS_PER_LOG, MIN_BEATS_PER_OPERATION * operations)
    c.check(len(numbers) >= least and numbers == list(range(len(numbers))),
            f"heartbeats 0..{len(numbers) - 1} across all logs, none lost or repeated "
            f"(>= {least}: {MIN_BEATS_PER_OPERATION} per operation)")
    check_wall_clock(c, all_beats, "on every host")


OPERATION_LINES = {  # name: pattern, its first group the operation's number k
    "suspending": r"^app: suspending \(#(\d+)\) at mono_ns=(\d+)$",
    "resumed": r"^app: resumed \(#(\d+)\) cancelled=(\d) downtime_ms=(\d+) mono_ns=(\d+) "
               r"checksum=\w+ (\w+)$",
    "outcome": r"^suspend #(\d+): (resumed in a new domain|cancelled) \(hypercall returned \d+\)",
    "advanced": r"^app: after resume #(\d+) (\d+) of (\d+) vcpus advanced",
    "timer": r"^app: timer armed before suspend (\d+) fired at or after",
    "self_test": r"^net: self-test after resume #(\d+) PASS: ",
    "watch": r'^watch data/ping fired: value="after-(\d+)"$',
    "console": r'^console: echo "echo-(\d+)"$',
    "suspend_path": r"^suspend #(\d+) path \(us\):.* total=\d+$",
    "resume_path": r"^resume #(\d+) path \(us\):.* total=\d+$",
}


def index_operations(text: str) -> dict:
    """For each kind of per-operation line, its first match for each k: one
    pass over the output however many operations ran (a soak has 1000)."""
    index = {}
    for name, pattern in OPERATION_LINES.items():
        found = index[name] = {}
        for m in re.finditer(pattern, text, re.M):
            found.setdefault(int(m.group(1)), m)
    return index


def check_operation(c: Checker, index: dict, k: int, op: str, cancelled: bool, rc: int):
    """Returns the guest-reported downtime in ms, or None."""
    what = f"#{k} {op}"
    c.check(rc == 0, f"{what}: xl rc as expected")
    sus, res = index["suspending"].get(k), index["resumed"].get(k)
    if not (sus and res):
        c.check(False, f"{what}: suspend and resume reported")
        return None
    c.check(res.group(2) == ("1" if cancelled else "0"),
            f"{what}: told cancelled={res.group(2)}, downtime {res.group(3)} ms")
    outcome = index["outcome"].get(k)
    want = "cancelled" if cancelled else "resumed in a new domain"
    c.check(outcome and outcome.group(2) == want, f"{what}: kernel reports suspend #{k}: {want}")
    c.check(res.group(5) == "unchanged", f"{what}: memory checksum {res.group(5)}")
    c.check(int(res.group(4)) > int(sus.group(2)), f"{what}: monotonic clock went forward")
    adv = index["advanced"].get(k)
    c.check(adv is not None and adv.group(2) == adv.group(3) == "4",
            f"{what}: every vCPU counting after resume ({adv.group(0) if adv else 'missing'})")
    c.check(k in index["timer"], f"{what}: timer armed before suspend fired after it")
    c.check(k in index["self_test"],
            f"{what}: echo and HTTP servers pass their loopback self-test after the resume")
    c.check(k in index["watch"], f"{what}: watch fired")
    c.check(k in index["console"], f"{what}: console input")
    c.check(k in index["suspend_path"] and k in index["resume_path"],
            f"{what}: suspend and resume breakdowns logged")
    return int(res.group(3))


def check_memory(c: Checker, text: str) -> None:
    # Free memory lives in Xen: given back once at boot (at least half of a
    # guest that uses a few MiB), then by the allocator as it frees; the
    # suspend path does no balloon work at all, and nothing was refused.
    booted = re.search(r"nr_pages=(\d+)", text)
    gave = [int(n) for n in re.findall(r"^memory: free memory lives in Xen: gave (\d+) frames",
                                       text, re.M)]
    nr_pages = int(booted.group(1)) if booted else 0
    c.check(nr_pages and len(gave) == 1 and gave[0] >= nr_pages // 2,
            f"memory: {gave[0] if gave else 'no'} of {nr_pages} frames given back to Xen at boot "
            "(at least half)")
    suspend_time = re.findall(r"^balloon: (?:gave \d+ frames|\d+ frames back|only ).*$", text, re.M)
    c.check(not suspend_time,
            f"memory: no balloon work on the suspend path{': ' + suspend_time[0] if suspend_time else ''}")
    refused = re.findall(r"^memory: Xen has no memory .*$", text, re.M)
    c.check(not refused, f"memory: no allocation refused{': ' + refused[0] if refused else ''}")
    target = re.search(r"^memory: target (\d+) KiB: gave back \d+ frames, holding", text, re.M)
    c.check(target is not None, f"memory: memory/target watched ({target.group(0) if target else 'missing'})")


NEW_DOMAIN_OPS = ("save-restore", "migrate", "migrate-live")
XL_STEPS = re.compile(r"^\d+-(save|checkpoint|migrate|migrate-live|migrate-killed)-\w+\.log$")


def check_suspend_requests(c: Checker, results: pathlib.Path, text: str, ops: list) -> None:
    """Every suspend was asked for on the suspend event channel: the guest
    published a port at boot and after each resume into a new domain, saw
    one request per operation on it, and xl (-vvv) says it notified it."""
    published = len(re.findall(r"^suspend: event channel \d+ published in "
                               r"device/suspend/event-channel$", text, re.M))
    new_domains = sum(1 for _, op, _, _ in ops if op in NEW_DOMAIN_OPS)
    c.check(ops and published == 1 + new_domains,
            f"suspend event channel published {published} times (boot + {new_domains} new "
            "domains)")
    by_channel = len(re.findall(r"^torpor: suspend requested on the suspend event channel "
                                r"\(port \d+\)$", text, re.M))
    by_xenstore = len(re.findall(r"^torpor: shutdown requested: suspend$", text, re.M))
    c.check(ops and by_channel == len(ops) and by_xenstore == 0,
            f"{by_channel} suspend requests on the event channel, {by_xenstore} through "
            f"control/shutdown, for {len(ops)} operations")
    logs = sorted(p for p in (results / "steps").glob("*.log") if XL_STEPS.match(p.name)) \
        if (results / "steps").is_dir() else []
    xl_texts = [read_text(p) for p in logs]
    via_channel = sum("issuing PV suspend request via event channel" in t for t in xl_texts)
    via_xenbus = sum("suspend request via XenBus control node" in t for t in xl_texts)
    c.check(logs and len(logs) == len(ops) and via_channel == len(logs) and via_xenbus == 0,
            f"xl logs of {len(logs)} operations: {via_channel} notified the event channel, "
            f"{via_xenbus} wrote control/shutdown")


def check_storage(c: Checker, results: pathlib.Path, text: str, ops: list) -> None:
    """The demo's storage workload on xvda (blkfront) through every operation,
    and the disk image after `xl shutdown` (README "Storage workload")."""
    start = re.search(r"^blk: xvda: (\d+) records of 512 bytes; writing from sector 0", text, re.M)
    connects = [int(n) for n in re.findall(
        r"^blkfront: xvda: connected to backend domain \d+ \(connect #(\d+)\)", text, re.M)]
    new_domain_ops = sum(1 for _, _, cancelled, _ in ops if not cancelled)
    # Sorted: the logs of a migrating guest interleave in time (s, s--incoming).
    c.check(start and sorted(connects) == list(range(1, new_domain_ops + 2)),
            f"storage: xvda connected {len(connects)} times (boot + {new_domain_ops} resumes into "
            f"a new domain), workload on {start.group(1) if start else '(never started)'} records")
    errors = storage_errors(text)
    c.check(not errors, f"storage: no I/O error, bad record or broken device"
            f"{': ' + errors[0] if errors else ''}")

    acked = [int(n) for n in re.findall(r"^blk: acked (\d+)$", text, re.M)]
    last = max(acked, default=-1)
    # Per operation: told the right outcome, and acknowledging went on after it
    # (the next suspend's burst line, or the end, has more acknowledged).
    after = {int(k): (how, int(a)) for k, how, a in re.findall(
        r"^blk: after resume #(\d+) \((cancelled|new domain)\): \d+ submitted, \d+ written, "
        r"(\d+) acknowledged", text, re.M)}
    burst = {int(k): (int(a), int(b), int(x)) for k, a, b, x in re.findall(
        r"^blk: burst of \d+ writes before suspend #(\d+) \(records (\d+)\.\.(\d+) submitted, "
        r"\d+ written, acked (\d+)\)$", text, re.M)}
    for k, op, cancelled, _ in ops:
        got = after.get(k)
        want = "cancelled" if cancelled else "new domain"
        later = burst[k + 1][2] if k + 1 in burst else last + 1
        c.check(got and got[0] == want and later > got[1],
                f"storage: #{k} {op}: writer went on ({got[1] if got else '?'} acknowledged at the "
                f"resume, {later} later)")
    cancels = len(re.findall(r"^blkfront: xvda: suspend cancelled; same ring, \d+ requests in "
                             r"flight, nothing re-issued$", text, re.M))
    c.check(cancels == sum(1 for *_, cancelled, _ in ops if cancelled),
            f"storage: {cancels} cancelled suspends kept the ring and re-issued nothing")
    reissued = [int(n) for n in re.findall(
        r"^blkfront: xvda: re-issuing (\d+) requests that had no response", text, re.M)]
    c.check(sum(reissued) > 0,
            f"storage: requests re-issued after resumes: {reissued or 'none'} (>= 1 in all)")
    checked = reader_checks(text)
    c.check(checked and all(b == 0 for _, b in checked),
            f"storage: the reader re-read {max((a for a, _ in checked), default=0)} random "
            "acknowledged records, none bad")

    # Offline: the image after xl shutdown holds every acknowledged record,
    # including those whose writes were re-issued after a resume.
    image_path = results / "disk-prefix.img"
    image = image_path.read_bytes() if image_path.exists() else b""
    c.check(last >= MIN_ACKED_RECORDS,
            f"storage: {last + 1} records acknowledged (>= {MIN_ACKED_RECORDS})")
    count, bad = check_records(image, last) if last >= 0 else (0, [(0, "nothing acknowledged")])
    c.check(image and not bad,
            f"storage: disk image after shutdown ({len(image) // 512} sectors copied): records "
            f"0..{last} present and valid" + (f"; bad: {bad}" if bad else ""))
    covered = [k for k, (_, end, _) in burst.items() if end - 1 <= last]
    c.check(covered, f"storage: pre-suspend bursts within the checked records: {len(covered)}")


def check(c: Checker, results: pathlib.Path) -> None:
    c.check_scenario_ran(results)
    steps = read_steps(results)
    bad = {n: rc for n, rc in steps.items()
           if rc != 0 and not n.startswith("migrate-killed")}
    missing = [n for n in ("create", "ready", "shutdown") if n not in steps]
    c.check(steps and not bad and not missing,
            f"{len(steps)} steps, failures: {bad or 'none'}, missing: {missing or 'none'}")

    ops = [(int(k), op, cancelled == "1", int(rc))
           for k, op, cancelled, rc in read_tsv(results / "ops.tsv", 4)]
    count = read_text(results / "op_count").strip()
    c.check(len(ops) >= MIN_OPERATIONS and count == str(len(ops)),
            f"{len(ops)} operations ran (>= {MIN_OPERATIONS}), all {count or '?'} the scenario "
            "counted at its end")

    # Replayed lines (a migration's receiving xenconsoled printing again what
    # the sender's had read) left out: a beat or report counts once.
    logs = console_logs_without_replay(results, "s")
    files, per_file = [f for f, _ in logs], [lines for _, lines in logs]
    lines = [t for f in per_file for _, t in f]
    text = "\n".join(lines)
    check_boot_self_tests(c, "".join(read_text(f) for f in files))
    check_heartbeats(c, files, per_file, len(ops))

    downtimes = []
    index = index_operations(text)
    for k, op, cancelled, rc in ops:
        ms = check_operation(c, index, k, op, cancelled, rc)
        if ms is not None:
            downtimes.append((op, ms))
    step_failed = re.findall(r"^suspend #\d+: step \S+ failed: .*$", text, re.M)
    c.check(not step_failed, f"no suspend step failed{': ' + step_failed[0] if step_failed else ''}")
    net_failed = re.findall(r"^net: self-test .*FAIL.*$", text, re.M)
    c.check(not net_failed, f"no network self-test failed{': ' + net_failed[0] if net_failed else ''}")
    check_memory(c, text)
    check_suspend_requests(c, results, text, ops)
    check_storage(c, results, text, ops)
    # The save image carries only what the guest uses (memory = 64 MiB here).
    images = [int(r[1]) for r in read_tsv(results / "images.tsv", 2)]
    saves = sum(1 for _, op, _, _ in ops if op == "save-restore")
    c.check(images and len(images) == saves and min(images) > 0 and max(images) <= 16 << 20,
            f"{len(images)} save images for {saves} saves, {min(images, default=0) / 2**20:.1f}.."
            f"{max(images, default=0) / 2**20:.1f} MiB, at most 16 of 64")
    stalls = {}
    c.check(client_ran(results) or (results / "net_off").exists(),
            "network: the dom0 client ran (NET=1), or the scenario left the vif out (NET=0)")
    if client_ran(results):
        check_ping_http(c, results, pings=2, gets=2, body="")
        stalls = check_client(c, results, [f"{op}-{k}" for k, op, _, _ in ops],
                              [f"{op}-{k}" for k, op, _, _ in ops if op in NEW_DOMAIN_OPS])
    check_no_panic(c, all_console_logs(results))
    check_serial(c, results)
    for op in sorted({o for o, _ in downtimes}):
        ms = sorted(d for o, d in downtimes if o == op)
        line = f"  downtime {op}: median {ms[len(ms) // 2]} ms over {len(ms)}"
        st = sorted(v for label, v in stalls.items() if label.rsplit("-", 1)[0] == op)
        if st:
            line += f"; client's longest stall: median {st[len(st) // 2]} ms, max {st[-1]} ms"
        print(line)


def main() -> int:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    return Checker("torpor-suspend").run(lambda c: check(c, pathlib.Path(sys.argv[1])))


if __name__ == "__main__":
    sys.exit(main())
