#!/usr/bin/env python3
"""Writes the seed corpus of xenstore_reply_fuzz into seeds/ (checked in).

Each seed is the fuzz input format: one byte for the largest chunk (0: all at
once), one byte seeding the chunk sizes, then xenstore replies as the daemon
sends them (xen/io/xs_wire.h: type, req_id, tx_id, len, little-endian; payload).
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

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
