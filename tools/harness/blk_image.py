"""The demo's storage workload records (README "Storage workload"; the guest's
apps/demo/blk_record.h): 512 bytes, record i at sector i.
  bytes 0-7     ASCII "TORPORLG"
  bytes 8-15    i, little-endian 64-bit
  bytes 16-507  payload: byte k = ((i * 31 + k * 7) ^ (i >> 8)) & 0xff
  bytes 508-511 CRC-32 (zlib's) of bytes 0-507, little-endian
Used by the checkers on the copy of the disk a scenario keeps, with what the
guest's log says of the workload (storage_errors, reader_checks).
"""
import re
import struct
import zlib

RECORD = 512
MAGIC = b"TORPORLG"


def make_record(i: int) -> bytes:
    head = MAGIC + struct.pack("<Q", i)
    payload = bytes((((i * 31 + k * 7) ^ (i >> 8)) & 0xff) for k in range(16, 508))
    body = head + payload
    return body + struct.pack("<I", zlib.crc32(body))


def record_problem(i: int, rec: bytes):
    """Why `rec` is not record i, or None."""
    if len(rec) < RECORD:
        return "missing (the image ends before it)"
    if rec[:8] != MAGIC:
        return "no TORPORLG magic"
    if struct.unpack_from("<Q", rec, 8)[0] != i:
        return "wrong index"
    if struct.unpack_from("<I", rec, 508)[0] != zlib.crc32(rec[:508]):
        return "bad CRC"
    if rec != make_record(i):
        return "wrong payload"
    return None


def check_records(image: bytes, last: int):
    """Checks records 0..last; returns (count checked, [(i, problem)] first few bad)."""
    bad = []
    for i in range(last + 1):
        problem = record_problem(i, image[i * RECORD:(i + 1) * RECORD])
        if problem:
            bad.append((i, problem))
            if len(bad) >= 5:
                break
    return last + 1, bad


# A write or read that failed, a bad record, a writer that stopped, a disk that
# never connected, a device marked broken: any of these in the guest's log.
STORAGE_ERROR = re.compile(r"^(?:blk: .*(?:failed|BAD|stops|did not connect|cannot).*|"
                           r"blkfront: .*(?:broken|cannot|not valid|still maps).*)$", re.M)
READER_CHECKED = re.compile(r"^blk: reader checked (\d+) acknowledged records, (\d+) bad$", re.M)


def storage_errors(text: str) -> list:
    """Every line of the guest's log that reports a storage failure."""
    return [m.group(0) for m in STORAGE_ERROR.finditer(text)]


def reader_checks(text: str) -> list:
    """(records re-read so far, bad among them) for each reader report."""
    return [(int(a), int(b)) for a, b in READER_CHECKED.findall(text)]
