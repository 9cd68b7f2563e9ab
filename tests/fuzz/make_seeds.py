#!/usr/bin/env python3
"""Writes the seed corpora (checked in) of the libFuzzer targets.

seeds/ (xenstore_reply_fuzz): one byte for the largest chunk (0: all at once),
one byte seeding the chunk sizes, then xenstore replies as the daemon sends
them (xen/io/xs_wire.h: type, req_id, tx_id, len, little-endian; payload).

reader_seeds/ (xenstore_reader_fuzz): a program of one-byte operations (see the
switch in xenstore_reader_fuzz.cpp) and their argument bytes.
"""
import os
import struct

XS = {"directory": 1, "read": 2, "watch": 4, "transaction_start": 6, "write": 11,
      "watch_event": 15, "error": 16}


def reply(kind, payload, req_id=1, tx_id=0):
    return struct.pack("<IIII", XS[kind], req_id, tx_id, len(payload)) + payload


def seed(largest, chunk_seed, *replies):
    return bytes([largest, chunk_seed]) + b"".join(replies)


SEEDS = {
    "read_value": seed(7, 3, reply("read", b"hello")),
    "write_ok_then_read": seed(0, 0, reply("write", b"OK\0", 1), reply("read", b"poweroff", 2)),
    "watch_event_bytewise": seed(1, 9, reply("watch_event", b"control/shutdown\0tok\0", 0)),
    "transaction_started": seed(5, 1, reply("transaction_start", b"42\0")),
    "error_enoent": seed(16, 4, reply("error", b"ENOENT\0")),
    "directory_listing": seed(3, 7, reply("directory", b"backend\0device\0control\0")),
    "watch_ack_event_read": seed(11, 2, reply("watch", b"OK\0", 5),
                                 reply("watch_event", b"data/ping\0ping-token\0", 0),
                                 reply("read", b"", 6)),
    "largest_read": seed(255, 77, reply("read", b"v" * 4096)),
    "oversized_header": seed(0, 0, struct.pack("<IIII", XS["read"], 1, 0, 4097) + b"x" * 8),
    "unknown_type": seed(4, 5, struct.pack("<IIII", 3, 1, 0, 2) + b"??"),
}

# xenstore_reader_fuzz operations (the byte modulo 12).
NEW_REQUEST, REPLY, ERROR, EVENT, MALFORMED, RAW, INDICES, PASS, WITHDRAW, POP = 0, 1, 3, 4, 5, 6, 7, 8, 10, 11


def read_reply(req_id, value):
    return bytes([REPLY, req_id, len(value)]) + value


READER_SEEDS = {
    "requests_and_replies": bytes([NEW_REQUEST, NEW_REQUEST, NEW_REQUEST]) + read_reply(1, b"hello")
    + read_reply(2, b"") + bytes([PASS, 3]) + read_reply(2, b"dup") + bytes([ERROR, 3, PASS, 5, POP]),
    "event_flood": b"".join(bytes([EVENT, i % 4, i % 3]) + (bytes([PASS, 2, POP]) if i % 5 == 0 else b"")
                            for i in range(60)) + bytes([PASS, 5]),
    "bad_indices": bytes([NEW_REQUEST]) + read_reply(1, b"abc") + bytes([INDICES, 0x10, 0x27, 0, 0, PASS, 1])
    + bytes([NEW_REQUEST]) + read_reply(2, b"ok") + bytes([PASS, 3]),
    "garbage_header": bytes([RAW, 16]) + struct.pack("<IIII", 3, 1, 0, 2) + read_reply(1, b"x")
    + bytes([PASS, 5]),
    "withdraw_then_late": bytes([NEW_REQUEST, WITHDRAW, 0]) + read_reply(1, b"late") + bytes([PASS, 1]),
    "ring_wraps": b"".join(bytes([NEW_REQUEST]) + read_reply(i + 1, bytes([65 + i % 26]) * 47)
                           + (bytes([PASS, i % 4]) if i % 3 == 0 else b"") for i in range(40)),
    "malformed_then_reply": bytes([NEW_REQUEST, MALFORMED, 1]) + read_reply(1, b"after") + bytes([PASS, 4]),
}

if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for directory, seeds in (("seeds", SEEDS), ("reader_seeds", READER_SEEDS)):
        out = os.path.join(here, directory)
        os.makedirs(out, exist_ok=True)
        for name, data in sorted(seeds.items()):
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
