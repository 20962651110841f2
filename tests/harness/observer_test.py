#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-tests of observer.py, the check of ivshmem's shared memory from outside
the guest: a file as the layout should leave it passes every check, and each
kind of fault fails the check it belongs to, and only that one.

Run by selftest.sh:  python3 -m unittest -v observer_test   (in tests/harness)
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import observer  # noqa: E402


def good_file():
    """The shared memory as the sample leaves it: its own first 16 KiB (whatever the later
    drivers left: here the prefill pattern), zeros, and the layout."""
    data = bytearray(observer.SIZE)
    for i in range(observer.OBSERVED):
        data[i] = observer.prefill(i)
    for items in observer.model().values():
        for at, byte in items.items():
            data[at] = byte
    return data


def failing(data):
    return [name for name, problem in observer.check(bytes(data)) if problem]


class Checks(unittest.TestCase):
    def test_the_layout_passes_every_check(self):
        results = observer.check(bytes(good_file()))
        self.assertEqual([name for name, _ in results],
                         [name for name, _ in observer.ITEMS + observer.SMP_ITEMS]
                         + ["untouched"])
        self.assertEqual(failing(good_file()), [])

    def test_a_wrong_byte_fails_its_item(self):
        for name, _ in observer.ITEMS:
            data = good_file()
            at = min(observer.model()[name])
            data[at] ^= 0x80
            self.assertEqual(failing(data), [name], name)

    def test_a_swapped_byte_order_fails_the_fields(self):
        data = good_file()
        be16 = observer.LAYOUT + 34
        data[be16], data[be16 + 1] = data[be16 + 1], data[be16]
        self.assertEqual(failing(data), ["fields"])

    def test_a_stray_write_fails_untouched(self):
        data = good_file()
        data[observer.LAYOUT + 0x3000] = 0x42
        results = dict(observer.check(bytes(data)))
        self.assertIn("at BAR offset 0x83000: 0x42", results["untouched"])
        self.assertEqual(failing(data), ["untouched"])

    def test_an_unwritten_padding_byte_must_stay_zero(self):
        data = good_file()
        data[observer.LAYOUT + 1] = 0xFF
        self.assertEqual(failing(data), ["untouched"])

    def test_a_move_as_memcpy_forward_fails(self):
        # A forward byte-by-byte copy with the destination above the source repeats the start.
        data = good_file()
        base = observer.LAYOUT + 0x600
        src = list(range(256))
        for k in range(0xE0):
            src[0x10 + k] = src[k]
        data[base:base + 256] = bytes(src)
        self.assertEqual(failing(data), ["move_up"])

    def test_a_lost_increment_fails_the_counters(self):
        # Context 2's 32-bit count one short: an increment lost between two CPUs.
        data = good_file()
        at = observer.SMP_AREA + 64 * 2
        data[at:at + 4] = (observer.SMP_ROUNDS - 1).to_bytes(4, "little")
        self.assertEqual(failing(data), ["smp_counters"])

    def test_a_torn_64bit_value_fails_single_access(self):
        # The low half of one value and the high half of the other.
        data = good_file()
        data[observer.SINGLE_AT:observer.SINGLE_AT + 8] = (0xFFFF_FFFF_FFFF_FFFF).to_bytes(8, "little")
        self.assertEqual(failing(data), ["single_access_64bit"])

    def test_below_observed_is_not_compared(self):
        data = good_file()
        data[0x10] ^= 0xFF
        self.assertEqual(failing(data), [])

    def test_a_short_file_fails(self):
        self.assertEqual(failing(good_file()[:4096]), ["size"])


if __name__ == "__main__":
    unittest.main()
