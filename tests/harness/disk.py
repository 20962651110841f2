#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The virtio-blk disk, seen from outside the guest: an image file.

boot.sh gives the virtio-blk-pci device a raw image file. Before the boot,
`prepare` writes it: a seeded pattern (pattern 1) over the whole disk, and in
its first sector an MBR with two partitions, P1 (the pattern area) and P2
(the filesystem area). It also writes, for the guest's initramfs, the regions
the guest reads and writes (`regions`, one line each) and the data the guest
writes (pattern 2, `pattern2.bin`).

In the guest (tests/harness/virtio.sh), the io_virtio_blk driver reads each
READ region and compares its SHA-256 with the one listed (computed here from
the pattern), then writes each WRITE region from pattern2.bin and reads it
back; the filesystem round then makes an ext2 filesystem in P2. The same
checks run again through Linux's own virtio_blk driver.

After the boot, `check` compares the image with the model: each WRITE region
must hold its slice of pattern 2, and every other byte of the disk outside P2
(the MBR and the rest of P1, which nothing may write) must still hold what
`prepare` wrote there, so a write at a wrong offset or of a wrong length
fails as surely as wrong data. One check per WRITE region, and one for the
untouched rest.

  disk.py prepare IMAGE DIR [--seed N]   write IMAGE, DIR/regions, DIR/pattern2.bin

DIR/regions holds "disk SIZE", "partition N START LENGTH", then one line per
region: "read|write NAME OFFSET LENGTH BLOCK FLAGS SOURCE SHA256" (SOURCE,
the offset in pattern 2, is "-" for a read).
  disk.py check IMAGE [--seed N] [--counts F]
"""

import argparse
import functools
import hashlib
import random
import struct
import sys

import observer  # its report(), beside this file

SECTOR = 512
MIB = 1 << 20
SIZE = 64 * MIB
# The partitions: P1 from 1 MiB to 32 MiB (the pattern area), P2 from 32 MiB
# to the end (the filesystem).
P1 = (1 * MIB, 31 * MIB)
P2 = (32 * MIB, 32 * MIB)
PATTERN2_SIZE = 4 * MIB
SEED = 0x7669727469

# What the guest reads: (name, disk offset, length, dd block size, flags),
# flags "direct" (O_DIRECT: each dd block is one request, at most) or
# "buffered" (through the page cache: readahead decides the requests). Sizes
# and offsets are chosen off the easy paths: single sectors, odd sector
# counts, blocks that are not powers of two, regions that straddle pages and
# partitions, large requests of many segments, the end of the disk.
READS = (
    ("mbr", 0, SECTOR, SECTOR, "direct"),
    ("odd_sectors", 1 * MIB + 3 * SECTOR, 7 * SECTOR, 7 * SECTOR, "direct"),
    ("one_mib", 2 * MIB, 1 * MIB, 1 * MIB, "direct"),
    ("straddle_pages", 4 * MIB - 4096 - SECTOR, 8192 + 2 * SECTOR, 4096, "buffered"),
    ("readahead", 5 * MIB, 4 * MIB, 128 * 1024, "buffered"),
    ("uneven_blocks", 12 * MIB + SECTOR, 300 * SECTOR, 100 * SECTOR, "direct"),
    ("partition_edge", 31 * MIB, 2 * MIB, 64 * 1024, "direct"),
    ("end_of_disk", SIZE - MIB, MIB, 192 * 1024, "direct"),
)

# What the guest writes: (name, disk offset, length, dd block size, flags,
# offset in pattern 2). All within P1 from 16 MiB; flags as for READS, plus
# "fsync" (conv=fsync: a flush after the data).
WRITES = (
    ("one_sector", 16 * MIB, SECTOR, SECTOR, "direct", 0),
    ("odd_sectors", 16 * MIB + 3 * 4096 + SECTOR, 5 * SECTOR, 5 * SECTOR, "direct", 5 * SECTOR),
    ("one_mib", 17 * MIB, 1 * MIB, 1 * MIB, "direct", 64 * 1024),
    ("partial_pages", 19 * MIB - SECTOR, 64 * 1024 + 2 * SECTOR, 4096, "buffered,fsync",
     2 * MIB + SECTOR),
    ("large_buffered", 20 * MIB, 3 * MIB, 128 * 1024, "buffered,fsync", 1 * MIB),
)


def pattern1(seed):
    """The whole disk as prepared: the seeded pattern, the MBR in sector 0."""
    return bytearray(_pattern1(seed))


@functools.lru_cache(maxsize=2)
def _pattern1(seed):
    data = bytearray(random.Random(seed).randbytes(SIZE))
    data[0:SECTOR] = mbr(data[0:SECTOR])
    return bytes(data)


@functools.lru_cache(maxsize=2)
def pattern2(seed):
    """What the guest writes: another seeded pattern."""
    return random.Random(seed ^ 0x5A5A5A5A).randbytes(PATTERN2_SIZE)


def untouched_ranges():
    """The (start, end) ranges of the disk that nothing may write: all but the WRITE regions
    and P2, in order."""
    taken = sorted([(at, at + length) for _, at, length, _, _, _ in WRITES]
                   + [(P2[0], P2[0] + P2[1])])
    ranges, start = [], 0
    for begin, end in taken:
        if begin > start:
            ranges.append((start, begin))
        start = max(start, end)
    if start < SIZE:
        ranges.append((start, SIZE))
    return ranges


def mbr(sector):
    """Sector 0 with a partition table: P1 and P2, type 0x83, and the signature."""
    out = bytearray(sector)
    out[440:446] = b"\0" * 6
    for i, (start, length) in enumerate((P1, P2)):
        entry = struct.pack("<B3sB3sII", 0, b"\xff\xff\xff", 0x83, b"\xff\xff\xff",
                            start // SECTOR, length // SECTOR)
        out[446 + 16 * i:462 + 16 * i] = entry
    out[446 + 32:510] = b"\0" * 32
    out[510:512] = b"\x55\xaa"
    return bytes(out)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def prepare(image, directory, seed):
    disk = pattern1(seed)
    two = pattern2(seed)
    with open(image, "wb") as f:
        f.write(disk)
    with open(f"{directory}/pattern2.bin", "wb") as f:
        f.write(two)
    with open(f"{directory}/regions", "w") as f:
        f.write(f"disk {SIZE}\n")
        for i, (start, length) in enumerate((P1, P2), 1):
            f.write(f"partition {i} {start} {length}\n")
        f.write("# kind name offset length block flags source sha256\n")
        for name, at, length, block, flags in READS:
            f.write(f"read {name} {at} {length} {block} {flags} - "
                    f"{sha256(disk[at:at + length])}\n")
        for name, at, length, block, flags, src in WRITES:
            f.write(f"write {name} {at} {length} {block} {flags} {src} "
                    f"{sha256(two[src:src + length])}\n")


def check(data, seed):
    """[(check name, problem or None)] for the image's bytes."""
    if len(data) != SIZE:
        return [("size", f"the image has {len(data)} bytes, not {SIZE}")]
    disk = pattern1(seed)
    two = pattern2(seed)
    results = []
    for name, at, length, _, _, src in WRITES:
        want = two[src:src + length]
        got = data[at:at + length]
        problem = None
        if got != want:
            wrong = [i for i in range(length) if got[i] != want[i]]
            problem = (f"{len(wrong)} of its {length} bytes differ; the first at disk offset "
                       f"{at + wrong[0]:#x}: {got[wrong[0]]:#04x}, expected {want[wrong[0]]:#04x}"
                       + ("" if got != disk[at:at + length] else " (never written)"))
        results.append((f"write_{name}", problem))
    problem = None
    blocks, first = 0, None
    for start, end in untouched_ranges():
        if data[start:end] == disk[start:end]:
            continue
        for block in range(start, end, 4096):
            got, want = data[block:min(block + 4096, end)], disk[block:min(block + 4096, end)]
            if got == want:
                continue
            blocks += 1
            if first is None:
                i = next(i for i in range(len(got)) if got[i] != want[i])
                first = (block + i, got[i], want[i])
    if blocks:
        at, got, want = first
        problem = (f"bytes that nothing should have written changed, in {blocks} blocks of up to "
                   f"4 KiB; the first at disk offset {at:#x}: {got:#04x}, expected {want:#04x}")
    results.append(("untouched", problem))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("image")
    p.add_argument("directory")
    p.add_argument("--seed", type=int, default=SEED)
    p = sub.add_parser("check")
    p.add_argument("image")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--counts", help="file to write 'passed failed skipped' to")
    args = parser.parse_args()

    if args.command == "prepare":
        prepare(args.image, args.directory, args.seed)
        return 0
    try:
        with open(args.image, "rb") as f:
            results = check(f.read(), args.seed)
    except OSError as e:
        results = [("image", f"cannot read it: {e}")]
    return observer.report("disk", results, args.counts)


if __name__ == "__main__":
    sys.exit(main())
