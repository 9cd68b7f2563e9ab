"""The demo's storage workload records (README "Storage workload"; the guest's
apps/demo/blk_record.h): 512 bytes, record i at sector i.
  bytes 0-7     ASCII "TORPORLG"
  bytes 8-15    i, little-endian 64-bit
  bytes 16-507  payload: byte k = ((i * 31 + k * 7) ^ (i >> 8)) & 0xff
  bytes 508-511 CRC-32 (zlib's) of bytes 0-507, little-endian
Used by check_torpor_suspend.py on the copy of the disk the scenario keeps.
"""
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
