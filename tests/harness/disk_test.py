#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-tests of disk.py, the check of the virtio-blk disk image from outside
the guest: an image as the guest should leave it passes every check, and each
kind of fault fails the check it belongs to, and only that one.

Run by selftest.sh:  python3 -m unittest -v disk_test   (in tests/harness)
"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import disk  # noqa: E402

SEED = 1234


def written():
    """The disk as the guest leaves it: pattern 1, every WRITE region holding its slice of
    pattern 2, and P2 overwritten (as the filesystem round does)."""
    data = disk.pattern1(SEED)
    two = disk.pattern2(SEED)
    for _, at, length, _, _, src in disk.WRITES:
        data[at:at + length] = two[src:src + length]
    start, length = disk.P2
    data[start:start + length] = b"\xee" * length
    return data


def failing(data):
    return [name for name, problem in disk.check(bytes(data), SEED) if problem]


class Checks(unittest.TestCase):
    def test_the_written_disk_passes_every_check(self):
        results = disk.check(bytes(written()), SEED)
        self.assertEqual([name for name, _ in results],
                         [f"write_{w[0]}" for w in disk.WRITES] + ["untouched"])
        self.assertEqual(failing(written()), [])

    def test_a_region_never_written_fails_it(self):
        data = written()
        name, at, length, _, _, _ = disk.WRITES[2]
        data[at:at + length] = disk.pattern1(SEED)[at:at + length]
        results = dict(disk.check(bytes(data), SEED))
        self.assertIn("(never written)", results[f"write_{name}"])
        self.assertEqual(failing(data), [f"write_{name}"])

    def test_a_wrong_byte_fails_its_region(self):
        for name, at, length, _, _, _ in disk.WRITES:
            data = written()
            data[at + length - 1] ^= 0x01
            self.assertEqual(failing(data), [f"write_{name}"], name)

    def test_a_write_one_sector_off_fails_the_region_and_the_rest(self):
        data = written()
        name, at, length, _, _, src = disk.WRITES[1]
        data[at:at + length] = disk.pattern1(SEED)[at:at + length]
        data[at + disk.SECTOR:at + disk.SECTOR + length] = \
            disk.pattern2(SEED)[src:src + length]
        self.assertEqual(failing(data), [f"write_{name}", "untouched"])

    def test_a_stray_write_fails_untouched(self):
        for at in (0, 510, disk.P1[0] + 12345, disk.P2[0] - 1):
            data = written()
            data[at] ^= 0xFF
            results = dict(disk.check(bytes(data), SEED))
            self.assertIn(f"at disk offset {at:#x}", results["untouched"])
            self.assertEqual(failing(data), ["untouched"], hex(at))

    def test_the_filesystem_partition_is_not_compared(self):
        data = written()
        data[disk.P2[0]:disk.P2[0] + 4096] = b"\0" * 4096
        self.assertEqual(failing(data), [])

    def test_another_seed_fails_everything(self):
        self.assertEqual(len(failing(disk.pattern1(SEED + 1))), len(disk.WRITES) + 1)

    def test_a_short_image_fails(self):
        self.assertEqual(failing(written()[:4096]), ["size"])

    def test_prepare_lists_what_the_guest_checks(self):
        with tempfile.TemporaryDirectory() as tmp:
            disk.prepare(f"{tmp}/disk.img", tmp, SEED)
            with open(f"{tmp}/disk.img", "rb") as f:
                image = f.read()
            with open(f"{tmp}/regions") as f:
                lines = [line.split() for line in f if line.startswith(("read ", "write "))]
            self.assertEqual(os.path.getsize(f"{tmp}/pattern2.bin"), disk.PATTERN2_SIZE)
        self.assertEqual(bytes(image), bytes(disk.pattern1(SEED)))
        self.assertEqual(image[510:512], b"\x55\xaa")
        self.assertEqual(len(lines), len(disk.READS) + len(disk.WRITES))
        kind, name, at, length, _, _, _, digest = lines[0]
        self.assertEqual((kind, name), ("read", "mbr"))
        self.assertEqual(digest, disk.sha256(image[int(at):int(at) + int(length)]))
        self.assertEqual(failing(image)[:1], [f"write_{disk.WRITES[0][0]}"])


if __name__ == "__main__":
    unittest.main()
