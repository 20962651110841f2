#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The observer outside the guest: ivshmem-plain's shared memory, as a file.

boot.sh backs the ivshmem-plain device's memory with a file
(memory-backend-file, share=on). Before the boot it fills the file with a
known pattern (`prefill`); the io_ivshmem sample checks that it reads that
pattern, runs its copy checks, clears the whole BAR and then writes the
observer layout at LAYOUT (documented in samples/io_ivshmem.rs,
`write_layout`). After the boot this script compares the file, byte for
byte, with a model of what the layout writes, built here from that
description with Python's own packing, independently of the layer.

Only OBSERVED.. is compared: the drivers loaded after io_ivshmem write the
first 16 KiB of the BAR for their own checks. Every byte there that the
layout does not write must be zero (the sample's clear), so a write at a
wrong offset anywhere fails as surely as a wrong value.

Before the layout, the sample's cases "from every CPU" write SMP_AREA from
four CPUs at once (documented at SMP_AREA in samples/io_ivshmem.rs): each
context's slot of counters, incremented through the BAR, and its stripe of
bytes; and a 64-bit location that one CPU wrote with single 64-bit writes
while the others read it. What they leave is modelled here too: exact
counts, and the last value written.

Checks, each counted once: one per item of the layout (fields, widths,
copy, fill, forward move, backward move, large copy) and of the SMP area
(counters, single access), each comparing the bytes the item writes; and
one for the untouched rest of the observed part.

  observer.py prefill FILE SIZE         write the pattern into FILE
  observer.py check FILE [--counts F]   compare FILE with the model
"""

import argparse
import struct
import sys

SIZE = 1 << 20
OBSERVED = 0x1_0000
LAYOUT = 0x8_0000
# The area of the cases from every CPU, and what they write there.
SMP_AREA = 0xC_0000
SMP_CONTEXTS = 4
SMP_ROUNDS = 500
SINGLE_AT = SMP_AREA + 0x100
SINGLE_B = 0xFFFF_FFFF_0000_0000


def prefill(i):
    return ((i * 7 + 3) ^ (i >> 8)) & 0xFF


def fields():
    """The Fields struct at +0x000, as written field by field (padding not)."""
    out = {}
    out.update(enumerate(struct.pack("<B", 0x11), 0))
    out.update(enumerate(struct.pack("<H", 0x2233), 2))
    out.update(enumerate(struct.pack("<I", 0x44556677), 4))
    out.update(enumerate(struct.pack("<Q", 0x8899AABBCCDDEEFF), 8))
    out.update(enumerate(struct.pack("<4I", 0x01020304, 0x05060708, 0x090A0B0C, 0x0D0E0F10), 16))
    out.update(enumerate(struct.pack("<H", 0x1234), 32))
    out.update(enumerate(struct.pack(">H", 0x1234), 34))
    out.update(enumerate(struct.pack("<I", 0xDEADBEEF), 36))
    out.update(enumerate(struct.pack(">I", 0xDEADBEEF), 40))
    out.update(enumerate(struct.pack("<Q", 0x0102030405060708), 48))
    out.update(enumerate(struct.pack(">Q", 0x0102030405060708), 56))
    return out


def widths():
    out = {}
    out.update(enumerate(struct.pack("<B", 0xA1), 0x100))
    out.update(enumerate(struct.pack("<H", 0xB2C3), 0x102))
    out.update(enumerate(struct.pack("<I", 0xD4E5F607), 0x104))
    out.update(enumerate(struct.pack("<Q", 0x18293A4B5C6D7E8F), 0x108))
    out.update(enumerate(struct.pack("<I", 0x0BADCAFE), 0x110))
    # Two 32-bit halves each; which goes first does not show in memory.
    out.update(enumerate(struct.pack("<Q", 0x1122334455667788), 0x118))
    out.update(enumerate(struct.pack("<Q", 0x99AABBCCDDEEFF00), 0x120))
    return out


def run(start, data):
    return dict(enumerate(data, start))


def moved(start, data, dst, src, length):
    """data copied at start, then length bytes moved from start+src to start+dst as
    memmove() moves them."""
    buf = bytearray(data)
    buf[dst:dst + length] = bytes(buf[src:src + length])
    return run(start, buf)


def smp_counters():
    """Each context's 64-byte slot: its 32-bit count, its number plus one, its 64-bit count
    (each increment adds 0x1_0000_0001) and its stripe of 48 bytes."""
    out = {}
    for ctx in range(SMP_CONTEXTS):
        stripe = bytes((ctx * 0x40 + i * 3 + 1) & 0xFF for i in range(48))
        slot = struct.pack("<IIQ", SMP_ROUNDS, ctx + 1, SMP_ROUNDS * 0x1_0000_0001) + stripe
        out.update(enumerate(slot, SMP_AREA + 64 * ctx))
    return out


ITEMS = (
    ("fields", fields),
    ("widths", widths),
    ("copy", lambda: run(0x201, bytes((13 * i + 7) & 0xFF for i in range(300)))),
    ("fill", lambda: run(0x403, b"\xa5" * 100)),
    ("move_up", lambda: moved(0x600, bytes(range(256)), 0x10, 0x00, 0xE0)),
    ("move_down", lambda: moved(0x800, bytes(i ^ 0x5A for i in range(256)), 0x00, 0x20, 0xE0)),
    ("large_copy", lambda: run(0x1003, bytes((7 * i + (i >> 8)) & 0xFF for i in range(5000)))),
)
# The items of the SMP area, at absolute BAR offsets.
SMP_ITEMS = (
    ("smp_counters", smp_counters),
    ("single_access_64bit", lambda: run(SINGLE_AT, struct.pack("<Q", SINGLE_B))),
)


def model():
    """{item: {offset in the BAR: byte}} for every item of the layout and of the SMP area."""
    out = {name: {LAYOUT + at: b for at, b in make().items()} for name, make in ITEMS}
    out.update((name, make()) for name, make in SMP_ITEMS)
    return out


def check(data):
    """[(check name, problem or None)] for the file's bytes."""
    results = []
    if len(data) != SIZE:
        return [("size", f"the file has {len(data)} bytes, not {SIZE}")]
    written = {}
    for name, items in model().items():
        wrong = [(at, data[at], want) for at, want in sorted(items.items()) if data[at] != want]
        problem = None
        if wrong:
            at, got, want = wrong[0]
            problem = (f"{len(wrong)} of its {len(items)} bytes differ; the first at BAR offset "
                       f"{at:#x}: {got:#04x}, expected {want:#04x}")
        results.append((name, problem))
        written.update(items)
    stray = [at for at in range(OBSERVED, SIZE) if at not in written and data[at] != 0]
    problem = None
    if stray:
        problem = (f"{len(stray)} bytes that nothing should have written are not zero; the first "
                   f"at BAR offset {stray[0]:#x}: {data[stray[0]]:#04x}")
    results.append(("untouched", problem))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prefill")
    p.add_argument("file")
    p.add_argument("size", type=int)
    p = sub.add_parser("check")
    p.add_argument("file")
    p.add_argument("--counts", help="file to write 'passed failed skipped' to")
    args = parser.parse_args()

    if args.command == "prefill":
        with open(args.file, "wb") as f:
            f.write(bytes(prefill(i) for i in range(args.size)))
        return 0
    try:
        with open(args.file, "rb") as f:
            results = check(f.read())
    except OSError as e:
        results = [("file", f"cannot read it: {e}")]
    return report("observer", results, args.counts)


def report(tool, results, counts):
    """Prints each of results, (name, problem or None), as one line of tool's; writes
    'passed failed 0' to the file counts, if given; returns the exit status."""
    failed = 0
    for name, problem in results:
        print(f"{tool}: {'ok  ' if problem is None else 'FAIL'} {name}"
              + (f": {problem}" if problem else ""))
        failed += problem is not None
    if counts:
        with open(counts, "w") as f:
            f.write(f"{len(results) - failed} {failed} 0\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
