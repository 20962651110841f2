#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-tests of codegen.py's rules: each rule is fed probe code that must
pass it and code that must fail it, so that the codegen stage is proven able
to fail. The code is written here as disassembly (mnemonic, operands,
relocation), as codegen.py reads it from objdump.

Run by selftest.sh:  python3 -m unittest -v codegen_test   (in tests/harness)
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import codegen  # noqa: E402

# What every probe looks like in C, on x86-64, built with clang: a field read
# at offset 4, a load at offset 0, a store around which normal memory is
# written, and KASAN's check of a load with its report call.
C_FIELD = [("endbr64", "", None), ("mov", "0x4(%rdi),%eax", None), ("ret", "", None)]
C_PLAIN = [("endbr64", "", None), ("mov", "(%rdi),%eax", None), ("ret", "", None)]
C_FENCE = [("endbr64", "", None), ("movl", "$0x1,(%rsi)", None), ("mov", "%eax,(%rdi)", None),
           ("movl", "$0x2,(%rsi)", None), ("ret", "", None)]
KASAN_LOAD = [("cmpb", "$0x0,(%rax,%rcx,1)", None), ("je", "13c <probe_x+0x27>", None),
              ("call", "13c <probe_x+0x27>", "__asan_report_load4_noabort"),
              ("mov", "(%rbx),%eax", None), ("ret", "", None)]


def table(code, override=None):
    """A probe table in which every probe is `code`, except those in override."""
    override = override or {}
    return {name: codegen.measure(override.get(name, code)) for name, _, _ in codegen.PROBES}


def failures(ours, c, exact=False):
    """The FAIL messages of the rules, as a list."""
    _, failed, _, messages = codegen.check(ours, c, exact)
    found = [m for m in messages if m.startswith("FAIL ")]
    assert failed == len(found)
    return found


class Rules(unittest.TestCase):
    def test_identical_code_passes_every_rule(self):
        # The config probe must call its accessor; everything else is C's.
        code = {"config_read": [("call", "", "pci_read_config_dword"), ("ret", "", None)],
                "ordered_fence": C_FENCE, "relaxed_fence": C_FENCE}
        self.assertEqual(failures(table(C_PLAIN, code), table(C_PLAIN, code), exact=True), [])

    def test_a_call_in_an_mmio_access_fails(self):
        ours = table(C_PLAIN, {"mmio_read0": [("call", "", "rust_helper_readl"), ("ret", "", None)]})
        found = failures(ours, table(C_PLAIN))
        self.assertTrue(any(m.startswith("FAIL mmio_read0: 1 calls (rust_helper_readl)")
                            for m in found), found)

    def test_a_sanitizer_report_call_is_not_a_cost(self):
        ours = table(C_PLAIN, {"sysmem_read": KASAN_LOAD})
        c = table(C_PLAIN, {"sysmem_read": KASAN_LOAD})
        self.assertFalse(any("sysmem_read" in m for m in failures(ours, c)))

    def test_an_extra_add_passes_only_without_exact(self):
        extra = [("endbr64", "", None), ("add", "$0x4,%rdi", None), ("mov", "(%rdi),%eax", None),
                 ("ret", "", None)]
        ours = table(C_PLAIN, {"mmio_read": extra})
        c = table(C_PLAIN, {"mmio_read": C_FIELD})
        self.assertFalse(any("mmio_read:" in m for m in failures(ours, c)))
        found = failures(ours, c, exact=True)
        self.assertIn("FAIL mmio_read: 4 instructions, C has 3", found)

    def test_two_extra_instructions_fail_even_without_exact(self):
        extra = [("endbr64", "", None), ("mov", "%rdi,%rax", None), ("add", "$0x4,%rax", None),
                 ("mov", "(%rax),%eax", None), ("ret", "", None)]
        found = failures(table(C_PLAIN, {"mmio_read": extra}), table(C_PLAIN, {"mmio_read": C_FIELD}))
        self.assertIn("FAIL mmio_read: 5 instructions, C has 3 (allowed: +1)", found)

    def test_other_instructions_of_the_same_count_fail_where_exact(self):
        ours = table(C_PLAIN, {"mmio_read8": [("endbr64", "", None), ("movzbl", "(%rdi),%eax", None),
                                              ("ret", "", None)]})
        found = failures(ours, table(C_PLAIN))
        self.assertTrue(any(m.startswith("FAIL mmio_read8: not the C probe's instructions")
                            for m in found), found)

    def test_branch_targets_compare_by_their_offset_in_the_function(self):
        moved = [("je", "1d7 <probe_c_x+0x27>", None)]
        same = [("je", "13c <probe_x+0x27>", None)]
        self.assertEqual(codegen.measure(moved)["listing"], codegen.measure(same)["listing"])
        other = [("je", "13c <probe_x+0x2b>", None)]
        self.assertNotEqual(codegen.measure(other)["listing"], codegen.measure(same)["listing"])

    def test_an_ordered_write_must_keep_the_store_before_it(self):
        dropped = [("endbr64", "", None), ("mov", "%eax,(%rdi)", None), ("movl", "$0x2,(%rsi)", None),
                   ("ret", "", None)]
        found = failures(table(C_PLAIN, {"ordered_fence": dropped}),
                         table(C_PLAIN, {"ordered_fence": C_FENCE}))
        self.assertIn("FAIL ordered_fence: the store of 1 is dropped, want kept", found)

    def test_a_relaxed_write_may_not_order_more_than_c(self):
        dropped = [("endbr64", "", None), ("mov", "%eax,(%rdi)", None), ("movl", "$0x2,(%rsi)", None),
                   ("ret", "", None)]
        # C keeps the store: ours may keep it or drop it.
        c = table(C_PLAIN, {"relaxed_fence": C_FENCE})
        self.assertFalse(any("relaxed_fence" in m for m in
                             failures(table(C_PLAIN, {"relaxed_fence": dropped}), c)))
        self.assertFalse(any("relaxed_fence" in m for m in
                             failures(table(C_PLAIN, {"relaxed_fence": C_FENCE}), c)))
        # C drops it: ours must too.
        found = failures(table(C_PLAIN, {"relaxed_fence": C_FENCE}),
                         table(C_PLAIN, {"relaxed_fence": dropped}))
        self.assertIn("FAIL relaxed_fence: the store of 1 is kept, but C drops it", found)

    def test_a_missing_probe_fails(self):
        ours = table(C_PLAIN)
        ours["mmio_write"] = None
        self.assertIn("FAIL mmio_write: probe missing (ours False, C True)",
                      failures(ours, table(C_PLAIN)))


if __name__ == "__main__":
    unittest.main()
