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


# The same on arm64, built with clang: readl() at offset 0 (with the alternatives of
# __raw_readl(), which are not in the listing but in .altinstructions), writel() at offset 8
# (clang forms the address in a register), and the fence probe.
A64_READ = [("nop", "", None), ("ldr", "w0, [x0]", None), ("dmb", "oshld", None),
            ("eor", "x8, x0, x0", None), ("cbnz", "x8, .", None),
            ("ret", "", None)]
A64_READ_ALTS = ["nop -> dmb osh (cpucap 120)", "ldr -> ldar (cpucap 117)"]
A64_WRITE = [("dmb", "oshst", None), ("add", "x8, x0, #0x8", None), ("str", "w1, [x8]", None),
             ("ret", "", None)]
A64_FENCE = [("mov", "w8, #0x1", None), ("str", "w8, [x1]", None), ("dmb", "oshst", None),
             ("str", "wzr, [x0]", None), ("mov", "w8, #0x2", None), ("str", "w8, [x1]", None),
             ("ret", "", None)]
A64_CONFIG = [("stp", "x29, x30, [sp, #-0x20]!", None), ("bl", "0x8 <probe_x+0x8>",
              "pci_read_config_dword"), ("ldp", "x29, x30, [sp], #0x20", None), ("ret", "", None)]


def table(code, override=None, alts=None):
    """A probe table in which every probe is `code`, except those in override; alts gives
    each probe's alternatives (all have none by default)."""
    override, alts = override or {}, alts or {}
    return {name: codegen.measure(override.get(name, code), alts.get(name, ()))
            for name, *_ in codegen.PROBES}


def a64_table(override=None, alts=None):
    """An arm64 probe table: every probe reads as readl() does, with its alternatives, except
    those in override (whose alternatives are in alts, none by default)."""
    override = override or {}
    code = {"config_read": A64_CONFIG, "ordered_fence": A64_FENCE, "relaxed_fence": A64_FENCE,
            "mmio_write": A64_WRITE}
    code.update(override)
    patched = {name: A64_READ_ALTS for name, *_ in codegen.PROBES if name not in code}
    patched.update(alts or {})
    return table(A64_READ, code, patched)


def failures(ours, c, exact=False, arch=codegen.EM_X86_64, helpers=False):
    """The FAIL messages of the rules, as a list."""
    _, failed, _, messages = codegen.check(ours, c, exact, arch, helpers)
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
        self.assertTrue(any(m.startswith("FAIL mmio_read: not the C probe's instructions "
                                         "(4 against 3)") for m in found), found)

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

    def test_each_property_counts_once(self):
        # An exact probe with other instructions fails once, not once for the count and once
        # for the list; a passing one passes once.
        code = {"config_read": [("call", "", "pci_read_config_dword"), ("ret", "", None)],
                "ordered_fence": C_FENCE, "relaxed_fence": C_FENCE}
        ours = table(C_PLAIN, dict(code, mmio_read8=[("endbr64", "", None),
                                                     ("movzbl", "(%rdi),%eax", None),
                                                     ("nop", "", None), ("ret", "", None)]))
        found = failures(ours, table(C_PLAIN, code))
        self.assertEqual([m for m in found if "mmio_read8" in m and "call" not in m],
                         [m for m in found if m.startswith("FAIL mmio_read8: not the C probe")])
        self.assertEqual(len([m for m in found if "mmio_read8" in m]), 1)
        passed, _, _, _ = codegen.check(table(C_PLAIN, code), table(C_PLAIN, code))
        # mmio0: calls and the instructions; mmio: calls and the count; mem: calls and the
        # count; checked: calls; fence: calls and the store; nofence: calls and the store;
        # config: its call.
        kinds = [kind for _, kind, _, _ in codegen.PROBES]
        want = (2 * kinds.count("mmio0") + 2 * kinds.count("mmio") + 2 * kinds.count("mem")
                + kinds.count("checked") + 2 * kinds.count("fence") + 2 * kinds.count("nofence")
                + kinds.count("config"))
        self.assertEqual(passed, want)

    def test_the_config_probe_must_call_the_pci_core(self):
        ours = table(C_PLAIN, {"config_read": [("call", "", "rust_helper_readl"),
                                               ("ret", "", None)]})
        found = failures(ours, table(C_PLAIN))
        self.assertIn("FAIL config_read: calls ['rust_helper_readl'], want pci_read_config_dword",
                      found)

    def test_memory_probes_need_c_count_and_no_call(self):
        longer = [("endbr64", "", None), ("mov", "%rdi,%rax", None), ("mov", "0x4(%rax),%eax", None),
                  ("ret", "", None)]
        found = failures(table(C_PLAIN, {"sysmem_read": longer}), table(C_PLAIN))
        self.assertIn("FAIL sysmem_read: 4 instructions, C has 3", found)
        called = [("endbr64", "", None), ("call", "", "memcpy"), ("ret", "", None)]
        found = failures(table(C_PLAIN, {"coherent_write": called}), table(C_PLAIN))
        self.assertIn("FAIL coherent_write: 1 calls (memcpy), want 0", found)

    def test_helpers_rule_wants_the_c_accessor_called(self):
        # Where the MMIO accessors are the C ones, out of line (UML, 32-bit arm): each access
        # calls the helper of its own accessor, and nothing else is required of its code.
        def helper_calls(name):
            accessor = next(a for n, _, _, a in codegen.PROBES if n == name)
            return [("call", "", f"rust_helper_{accessor}"), ("ret", "", None)]
        code = {name: helper_calls(name) for name, kind, _, _ in codegen.PROBES
                if kind in ("mmio", "mmio0", "checked", "fence", "nofence")}
        code["config_read"] = [("call", "", "pci_read_config_dword"), ("ret", "", None)]
        code["ordered_fence"] = [("movl", "$0x1,(%rsi)", None)] + code["ordered_fence"]
        c = table(C_PLAIN, {"config_read": code["config_read"]})
        self.assertEqual(failures(table(C_PLAIN, code), c, helpers=True), [])
        wrong = dict(code, mmio_read=[("call", "", "rust_helper_readl_relaxed"),
                                      ("ret", "", None)], mmio_write8=C_PLAIN)
        found = failures(table(C_PLAIN, wrong), c, helpers=True)
        self.assertIn("FAIL mmio_read: calls ['rust_helper_readl_relaxed'], want "
                      "['rust_helper_readl'] (the C accessor, out of line)", found)
        self.assertIn("FAIL mmio_write8: calls [], want ['rust_helper_writeb'] (the C accessor, "
                      "out of line)", found)

    def test_a_32bit_arm_store_of_one_is_seen(self):
        # llvm-objdump prints a 32-bit arm immediate in decimal: `mov r0, #1`, not `#0x1`.
        code = {name: [("bl", ".", f"rust_helper_{accessor}"), ("bx", "lr", None)]
                for name, kind, _, accessor in codegen.PROBES
                if kind in ("mmio", "mmio0", "checked", "fence", "nofence")}
        code["config_read"] = [("bl", ".", "pci_read_config_dword"), ("bx", "lr", None)]
        kept = [("mov", "r0, #1", None), ("str", "r0, [r4]", None)] + code["ordered_fence"]
        c = table(C_PLAIN, {"config_read": code["config_read"]})
        arm = codegen.EM_ARM
        self.assertEqual(failures(table(C_PLAIN, dict(code, ordered_fence=kept)), c,
                                  arch=arm, helpers=True), [])
        other = [("mov", "r0, #16", None), ("str", "r0, [r4]", None)] + code["ordered_fence"]
        self.assertIn("FAIL ordered_fence: the store of 1 is dropped, want kept",
                      failures(table(C_PLAIN, dict(code, ordered_fence=other)), c,
                               arch=arm, helpers=True))

    def test_a_probe_that_neither_has_is_not_checked(self):
        # 64-bit accesses on a 32-bit kernel: no probe on either side, no check.
        code = {"config_read": [("call", "", "pci_read_config_dword"), ("ret", "", None)],
                "ordered_fence": C_FENCE, "relaxed_fence": C_FENCE}
        ours, c = table(C_PLAIN, code), table(C_PLAIN, code)
        ours["mmio_read64"] = c["mmio_read64"] = None
        passed, failed, _, messages = codegen.check(ours, c)
        self.assertEqual((failed, [m for m in messages if "mmio_read64" in m]), (0, []))

    def test_a_missing_probe_fails(self):
        ours = table(C_PLAIN)
        ours["mmio_write"] = None
        self.assertIn("FAIL mmio_write: probe missing (ours False, C True)",
                      failures(ours, table(C_PLAIN)))



A64 = codegen.EM_AARCH64


class Arm64Rules(unittest.TestCase):
    def test_identical_code_passes_every_rule(self):
        self.assertEqual(failures(a64_table(), a64_table(), exact=True, arch=A64), [])

    def test_a_bl_to_a_helper_is_a_call(self):
        ours = a64_table({"mmio_read0": [("bl", "0x0 <probe_x>", "rust_helper_readl"),
                                         ("ret", "", None)]}, {"mmio_read0": []})
        found = failures(ours, a64_table(), arch=A64)
        self.assertIn("FAIL mmio_read0: 1 calls (rust_helper_readl), want 0", found)

    def test_a_tail_call_to_a_helper_is_a_call(self):
        ours = a64_table({"mmio_write": [("add", "x1, x0, #0x8", None),
                                         ("b", "0x4 <probe_x+0x4>", "rust_helper_writel")]})
        found = failures(ours, a64_table(), arch=A64)
        self.assertIn("FAIL mmio_write: 1 calls (rust_helper_writel), want 0", found)

    def test_a_local_branch_is_not_a_call(self):
        entry = codegen.measure([("b", "0x10 <probe_x+0x10>", None), ("cbnz", "x8, 0x4", None)])
        self.assertEqual(entry["calls"], 0)

    def test_writeback_forms_fail(self):
        for insn in [("ldr", "w0, [x0, #0x4]!"), ("ldr", "w0, [x0], #0x4"),
                     ("str", "w1, [x0, #0x8]!"), ("strb", "w1, [x0], #0x1")]:
            code = [("dmb", "oshst", None), (*insn, None), ("ret", "", None)]
            found = failures(a64_table({"mmio_write": code}), a64_table(), arch=A64)
            self.assertIn(f"FAIL mmio_write: writeback or pair form on an access: "
                          f"['{insn[0]} {insn[1]}']", found)

    def test_pair_forms_fail(self):
        code = [("dmb", "oshst", None), ("stp", "w1, w2, [x0, #0x8]", None), ("ret", "", None)]
        found = failures(a64_table({"mmio_write": code}), a64_table(), arch=A64)
        self.assertIn("FAIL mmio_write: writeback or pair form on an access: "
                      "['stp w1, w2, [x0, #0x8]']", found)

    def test_stack_frames_are_not_accesses(self):
        # A frame's pre- and post-indexed pair of the stack pointer is not an MMIO access.
        framed = [("stp", "x29, x30, [sp, #-0x10]!", None)] + A64_READ[:-1] + [
            ("ldp", "x29, x30, [sp], #0x10", None), ("ret", "", None)]
        self.assertEqual(codegen.a64_forbidden(codegen.measure(framed)["listing"]), [])

    def test_a_missing_barrier_fails(self):
        code = [("add", "x8, x0, #0x4", None), ("nop", "", None), ("ldr", "w0, [x8]", None),
                ("ret", "", None)]
        c = [("add", "x8, x0, #0x4", None)] + A64_READ
        found = failures(a64_table({"mmio_read": code}), a64_table({"mmio_read": c}), arch=A64)
        self.assertTrue(any(m.startswith("FAIL mmio_read: access sequence ['nop', 'ldr'], C has")
                            for m in found), found)

    def test_another_barrier_fails(self):
        code = [("add", "x8, x0, #0x8", None), ("dmb", "ish", None), ("str", "w1, [x8]", None),
                ("ret", "", None)]
        found = failures(a64_table({"mmio_write": code}), a64_table(), arch=A64)
        self.assertIn("FAIL mmio_write: access sequence ['dmb ish', 'str'], C has "
                      "['dmb oshst', 'str']", found)

    def test_a_fence_without_its_barrier_fails(self):
        code = [c for c in A64_FENCE if c[0] != "dmb"]
        found = failures(a64_table({"ordered_fence": code}), a64_table(), arch=A64)
        self.assertTrue(any(m.startswith("FAIL ordered_fence: access sequence")
                            for m in found), found)

    def test_the_same_sequence_in_another_schedule_passes(self):
        # The address addition before the barrier, or the offset folded into the store.
        for code in ([("add", "x8, x0, #0x8", None), ("dmb", "oshst", None),
                      ("str", "w1, [x8]", None), ("ret", "", None)],
                     [("dmb", "oshst", None), ("str", "w1, [x0, #0x8]", None), ("ret", "", None)]):
            found = failures(a64_table({"mmio_write": code}), a64_table(), arch=A64)
            self.assertFalse(any("mmio_write" in m for m in found), found)

    def test_an_extra_instruction_at_an_offset_fails(self):
        # x86-64 allows one (the address addition); arm64, where C's address is a register
        # too, none.
        code = [("mov", "x9, x0", None), ("add", "x8, x9, #0x8", None), ("dmb", "oshst", None),
                ("str", "w1, [x8]", None), ("ret", "", None)]
        c = [("add", "x8, x0, #0x8", None), ("dmb", "oshst", None), ("str", "w1, [x8]", None),
             ("ret", "", None)]
        found = failures(a64_table({"mmio_write": code}), a64_table({"mmio_write": c}),
                         arch=A64)
        self.assertIn("FAIL mmio_write: 5 instructions, C has 4 (allowed: +0)", found)

    def test_a_missing_alternative_fails(self):
        ours = a64_table(alts={"mmio_read8": A64_READ_ALTS[1:]})
        found = failures(ours, a64_table(), arch=A64)
        self.assertIn("FAIL mmio_read8: alternatives ['ldr -> ldar (cpucap 117)'], C has "
                      "['nop -> dmb osh (cpucap 120)', 'ldr -> ldar (cpucap 117)']", found)

    def test_another_capability_fails(self):
        ours = a64_table(alts={"relaxed_read": ["nop -> dmb osh (cpucap 120)",
                                                "ldr -> ldar (cpucap 116)"]})
        found = failures(ours, a64_table(), arch=A64)
        self.assertTrue(any(m.startswith("FAIL relaxed_read: alternatives") for m in found),
                        found)

    def test_an_ordered_write_must_keep_the_store_of_one(self):
        dropped = [("dmb", "oshst", None), ("str", "wzr, [x0]", None), ("mov", "w8, #0x2", None),
                   ("str", "w8, [x1]", None), ("ret", "", None)]
        found = failures(a64_table({"ordered_fence": dropped}), a64_table(), arch=A64)
        self.assertIn("FAIL ordered_fence: the store of 1 is dropped, want kept", found)


class X86Listing(unittest.TestCase):
    # objdump -d -r -w --no-show-raw-insn --demangle=rust, as codegen.py runs it: a function
    # with a relocation on the same line, a demangled name with spaces, and padding after the
    # function's size.
    LISTING = "\n".join([
        "",
        "io_probes.o:     file format elf64-x86-64",
        "",
        "Disassembly of section .text.probe_x:",
        "",
        "0000000000000000 <probe_x>:",
        "   0:\tendbr64",
        "   4:\tmov    0x4(%rdi),%eax",
        "   7:\tcall   c <probe_x+0xc>\t8: R_X86_64_PLT32\trust_helper_readl-0x4",
        "   c:\tjmp    11 <probe_x+0x11>\td: R_X86_64_PLT32\t<kernel::io::Mmio as core::fmt::Debug>::fmt-0x4",
        "  11:\tjmp    16 <probe_x+0x16>\t12: R_X86_64_PLT32\t__x86_return_thunk-0x4",
        "  16:\tint3",
        "  17:\tint3",
    ])

    def test_instructions_relocations_and_size(self):
        funcs = codegen.parse_x86(self.LISTING, {"probe_x": 0x16})
        self.assertEqual(funcs["probe_x"], [
            ("endbr64", "", None), ("mov", "0x4(%rdi),%eax", None),
            ("call", "c <probe_x+0xc>", "rust_helper_readl"),
            ("jmp", "11 <probe_x+0x11>", "<kernel::io::Mmio as core::fmt::Debug>::fmt"),
            ("jmp", "16 <probe_x+0x16>", "__x86_return_thunk")])
        entry = codegen.measure(funcs["probe_x"])
        # A call and a tail call; the jump to the return thunk is a return.
        self.assertEqual(entry["callees"], ["rust_helper_readl",
                                            "<kernel::io::Mmio as core::fmt::Debug>::fmt"])
        self.assertEqual(entry["insns"], 5)


class Arm64Listing(unittest.TestCase):
    # llvm-objdump-19 -d -r --no-show-raw-insn, as codegen.py runs it: a function, a call
    # with its relocation on the next line, and an alternative's replacement after the
    # function's size.
    LISTING = "\n".join([
        "",
        "io_probes.o:\tfile format elf64-littleaarch64",
        "",
        "Disassembly of section .text.probe_x:",
        "",
        "0000000000000000 <probe_x>:",
        "       0:      \tnop",
        "       4:      \tbl\t0x4 <probe_x+0x4>",
        "\t\t0000000000000004:  R_AARCH64_CALL26\trust_helper_readl",
        "       8:      \tmov\tw8, #0x1                // =1",
        "       c:      \tret",
        "      10:      \tcbnz\tx8, 0x10 <probe_x+0x10>",
        "      14:      \tb.ne\t0x8 <probe_x+0x8>",
        "      18:      \tret",
        "      1c:      \tdmb\tosh",
    ])

    def test_instructions_relocations_and_size(self):
        funcs, at = codegen.parse_a64(self.LISTING, {"probe_x": 28})
        # The relocation names the callee; a branch to itself reads as in the source.
        self.assertEqual(funcs["probe_x"], [("nop", "", None), ("bl", ".", "rust_helper_readl"),
                                            ("mov", "w8, #0x1", None), ("ret", "", None),
                                            ("cbnz", "x8, .", None),
                                            ("b.ne", "0x8 <probe_x+0x8>", None),
                                            ("ret", "", None)])
        # The replacement is beyond the function, but can be looked up.
        self.assertEqual(at[(".text.probe_x", 0x1c)], ("dmb", "osh"))
        entry = codegen.measure(funcs["probe_x"])
        self.assertEqual(entry["costly"], ["rust_helper_readl"])
        self.assertIn("b.ne <+0x8>", entry["listing"])


class Arm64Normalize(unittest.TestCase):
    def test_a_frame_record_is_left_out(self):
        framed = ["stp x29, x30, [sp, #-0x10]!", "nop", "ldr w0, [x0]", "mov x29, sp",
                  "ldp x29, x30, [sp], #0x10", "ret"]
        self.assertEqual(codegen.a64_normalize(framed), ["nop", "ldr w0, [x0]", "ret"])

    def test_other_stack_pairs_stay(self):
        saved = ["stp x19, x20, [sp, #-0x20]!", "ret"]
        self.assertEqual(codegen.a64_normalize(saved), saved)

    def test_a_widening_into_the_eor_folds(self):
        for widen in ("mov w8, w0", "and x8, x0, #0xff", "and x8, x0, #0xffff"):
            c = ["ldr w0, [x0]", "dmb oshld", widen, "eor x8, x8, x8", "cbnz x8, .", "ret"]
            self.assertEqual(codegen.a64_normalize(c), ["ldr w0, [x0]", "dmb oshld",
                                                        "eor x8, x0, x0", "cbnz x8, .", "ret"])

    def test_a_widening_elsewhere_stays(self):
        # Into another register than the eor's, or not followed by one: not C's __io_ar().
        for code in (["mov w9, w0", "eor x8, x8, x8"], ["mov w8, w0", "ret"],
                     ["and x8, x0, #0xf", "eor x8, x8, x8"]):
            self.assertEqual(codegen.a64_normalize(code), code)

    def test_a_read_without_the_dependency_fails(self):
        code = [("nop", "", None), ("ldr", "w0, [x0]", None), ("dmb", "oshld", None),
                ("ret", "", None)]
        found = failures(a64_table({"mmio_read16": code}), a64_table(), arch=A64)
        self.assertTrue(any(m.startswith("FAIL mmio_read16: not the C probe's instructions")
                            for m in found), found)

    def test_a_leaf_frame_does_not_count_against_ours(self):
        framed = [("stp", "x29, x30, [sp, #-0x10]!", None)] + A64_READ[:-1] + [
            ("mov", "x29, sp", None), ("ldp", "x29, x30, [sp], #0x10", None), ("ret", "", None)]
        c = A64_READ[:3] + [("mov", "w8, w0", None), ("eor", "x8, x8, x8", None)] + A64_READ[4:]
        found = failures(a64_table({"mmio_read0": framed}), a64_table({"mmio_read0": c}),
                         arch=A64)
        self.assertFalse(any("mmio_read0" in m for m in found), found)


if __name__ == "__main__":
    unittest.main()
