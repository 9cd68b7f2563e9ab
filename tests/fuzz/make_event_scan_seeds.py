#!/usr/bin/env python3
"""Writes the seed corpus of event_scan_fuzz into event_scan_seeds/ (checked in).

Input format (see event_scan_fuzz.cpp): one byte picking owned_words
(1 + byte % 16), the selector, 64 pending words, 64 mask words, then the owned
words; all little-endian 64-bit.
"""
import os
import struct

ALL = 2**64 - 1


def seed(owned_pick, selector, pending, mask, owned):
    words = [selector] + [pending.get(i, 0) for i in range(64)] + \
            [mask.get(i, 0) for i in range(64)] + owned
    return bytes([owned_pick]) + b"".join(struct.pack("<Q", w) for w in words)


SEEDS = {
    "one_port": seed(15, 1, {0: 1 << 3}, {}, [1 << 3] + [0] * 15),
    "masked_and_foreign": seed(15, 0b101, {0: 0b1110, 2: 1 << 63}, {0: 0b10},
                               [0b1100, 0, 1 << 63] + [0] * 13),
    # Selector bits 40 and 63 name words no vCPU can own (kMaxPorts = 1024).
    "selector_beyond_owned": seed(15, (1 << 63) | (1 << 40) | (1 << 15),
                                  {15: 1 << 9, 40: ALL, 63: 1}, {}, [0] * 15 + [1 << 9]),
    "all_ones": seed(255, ALL, {i: ALL for i in range(64)}, {}, [ALL] * 16),
}

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "event_scan_seeds")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
