#!/usr/bin/env python3
"""Writes the seed corpus of blkfront_ring_fuzz into blkfront_seeds/ (checked in).

Input format (see blkfront_ring_fuzz.cpp): operations, one byte each
(op = byte % 8) followed by their arguments, little-endian:
  0 op, nseg, sector u32, 11 x first_sect   post a request (op index % 5: read, write,
                                           flush, barrier, discard; op & 0x80:
                                           BLKIF_OP_INDIRECT, nseg up to 65)
  1                                        push
  2 how, id (u8, or u64 if how&0x80), operation (u8), status (u8 as -(b%4),
    or s16 if how&0x20)                    a response at the backend's next slot
  3 b [u32]                                rsp_prod: honest if b is even, else the u32
  4 budget                                 consume
  5                                        reconnect (keep unanswered, re-issue in order)
  6 u32 u32 u32                            scribble req_prod, rsp_event, req_event
  7 b                                      an honest OKAY answer at the next slot (an
                                           indirect one answered with BLKIF_OP_INDIRECT
                                           if b is odd, else with its indirect_op)
"""
import os
import struct


def post(op, nseg=1, sector=0, first=0):
    return bytes([0, op, nseg]) + struct.pack("<I", sector) + bytes([first] * 11)


PUSH, RECONNECT, HONEST_ANSWER = bytes([1]), bytes([5]), bytes([7, 0])
HONEST_ANSWER_ECHOING_INDIRECT = bytes([7, 1])
INDIRECT = 0x80
HONEST_PROD = bytes([3, 0])


def consume(budget=31):
    return bytes([4, budget])


def rsp(id_, operation, status=0):
    return bytes([2, 0, id_, operation, status])


SEEDS = {
    "honest": post(1) + post(0) + post(2, 0) + PUSH + HONEST_ANSWER * 3 + HONEST_PROD + consume(),
    "full_ring": (post(1) * 33) + PUSH + HONEST_ANSWER * 32 + HONEST_PROD + consume(),
    "bad_id": post(1) + PUSH + bytes([2, 0x80]) + struct.pack("<Q", 1 << 40) + bytes([1, 0])
              + HONEST_PROD + consume(),
    "double_completion": post(1) + post(1) + PUSH + rsp(0, 1) + rsp(0, 1) + HONEST_PROD + consume(),
    "wrong_operation": post(1) + PUSH + rsp(0, 0) + HONEST_PROD + consume(),
    "unknown_status": post(1) + PUSH + bytes([2, 0x20, 0, 1]) + struct.pack("<h", -7)
                      + HONEST_PROD + consume(),
    "producer_jump": post(1) + PUSH + bytes([3, 1]) + struct.pack("<I", 40) + consume(),
    "unpushed_answer": post(1) + post(1) + PUSH + post(1) + HONEST_ANSWER * 3 + HONEST_PROD
                       + consume(),
    "reconnect_in_order": post(1) * 5 + PUSH + rsp(3, 1) + rsp(1, 1) + HONEST_PROD + consume()
                          + post(0) + PUSH + RECONNECT + PUSH + HONEST_ANSWER * 4 + HONEST_PROD
                          + consume(),
    "indirect_honest": post(INDIRECT | 1, 64) + post(INDIRECT | 0, 12) + post(1, 11) + PUSH
                       + HONEST_ANSWER + HONEST_ANSWER_ECHOING_INDIRECT + HONEST_ANSWER
                       + HONEST_PROD + consume(),
    "indirect_wrong_operation": post(INDIRECT | 1, 32) + PUSH + rsp(0, 0) + HONEST_PROD + consume(),
    "indirect_reconnect": post(INDIRECT | 1, 40) * 3 + PUSH + rsp(1, 6) + HONEST_PROD + consume()
                          + RECONNECT + PUSH + HONEST_ANSWER * 2 + HONEST_PROD + consume(),
    "indirect_too_many": post(INDIRECT | 0, 65) + post(INDIRECT | 2, 5) + PUSH + consume(),
    "scribbler": post(1) + PUSH + bytes([6]) + struct.pack("<III", 30, 7, 9) + HONEST_ANSWER
                 + HONEST_PROD + consume(),
}

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "blkfront_seeds")
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds to {out}")
