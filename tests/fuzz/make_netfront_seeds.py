#!/usr/bin/env python3
"""Writes the seed corpus of netfront_rings_fuzz into netfront_seeds/ (checked in).

Input format (see netfront_rings_fuzz.cpp): operations, one byte each
(op = byte % 9) followed by their arguments, little-endian:
  0 n, then n x (size u16, offset u16)   post tx frames
  1 n                                     post n rx buffers
  2                                       push both rings
  3 id u16, status u16                    a tx response at the backend's next slot
  4 id u16, offset u16, flags u16, status u16   an rx response
  5 b [u32]                               tx rsp_prod: honest if b is odd, else the u32
  6 b [u32]                               rx rsp_prod likewise
  7                                       consume both rings
  8                                       reconnect (keep unanswered, new pages)
"""
import os
import struct


def post_tx(*frames):
    return bytes([0, len(frames)]) + b"".join(struct.pack("<HH", s, o) for s, o in frames)


def post_rx(n):
    return bytes([1, n])


PUSH, CONSUME, RECONNECT = bytes([2]), bytes([7]), bytes([8])
HONEST_TX, HONEST_RX = bytes([5, 1]), bytes([6, 1])


def tx_rsp(id_, status=0):
    return bytes([3]) + struct.pack("<Hh", id_, status)


def rx_rsp(id_, status, offset=0, flags=0):
    return bytes([4]) + struct.pack("<HHHh", id_, offset, flags, status)


def tx_prod(value):
    return bytes([5, 0]) + struct.pack("<I", value)


SEEDS = {
    "honest": post_tx((60, 0), (1400, 64), (98, 3998)) + post_rx(4) + PUSH
    + tx_rsp(0) + tx_rsp(1, -1) + tx_rsp(2, -2) + HONEST_TX
    + rx_rsp(0, 60) + rx_rsp(1, 1514, 100, 1) + rx_rsp(2, -1) + HONEST_RX + CONSUME,
    "bad_tx_id": post_tx((60, 0), (60, 0)) + PUSH + tx_rsp(0) + tx_rsp(300) + HONEST_TX + CONSUME,
    "double_completion": post_tx((60, 0)) + PUSH + tx_rsp(0) + HONEST_TX + CONSUME
    + post_tx((60, 0)) + PUSH + tx_rsp(0) + tx_rsp(0) + HONEST_TX + CONSUME,
    "producer_jump": post_tx((60, 0)) + PUSH + tx_prod(0x80000000) + CONSUME,
    "rx_past_page": post_rx(2) + PUSH + rx_rsp(0, 200, 4000) + HONEST_RX + CONSUME,
    "rx_more_data": post_rx(2) + PUSH + rx_rsp(0, 60, 0, 4) + HONEST_RX + CONSUME,
    "unanswered_reconnect": post_tx((60, 0), (61, 0), (62, 0), (63, 0), (64, 0)) + PUSH
    + tx_rsp(3) + tx_rsp(1) + HONEST_TX + CONSUME + RECONNECT
    + post_tx((65, 0)) + PUSH + tx_rsp(0) + HONEST_TX + CONSUME,
}

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "netfront_seeds")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
