#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-tests of doccheck.py: a guide whose Rust is not compiled, or not cut
at a pair of snippet markers, or a snippet no page shows, must fail it.

Run by selftest.sh:  python3 -m unittest -v doccheck_test   (in tests/harness)
"""

import os
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import doccheck  # noqa: E402

DRIVER = """\
// SPDX-License-Identifier: GPL-2.0
fn setup() {}
// [recipe:map]
fn map() -> u32 {
    7
}
// [end recipe:map]
"""

INCLUDE = """\
.. literalinclude:: ../samples/drv.rs
   :language: rust
   :start-after: [recipe:map]
   :end-before: [end recipe:map]
"""


class DocCheck(unittest.TestCase):
    def project(self, rst, files=None, kbuild="obj-m += drv.o\n"):
        """Runs the checker on a project with Documentation/index.rst = RST,
        samples/Kbuild = KBUILD and FILES ({path: text}, samples/drv.rs by
        default); returns its problems."""
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        files = {"samples/drv.rs": DRIVER} if files is None else files
        files = dict(files, **{"Documentation/index.rst": textwrap.dedent(rst)})
        if kbuild is not None:
            files["samples/Kbuild"] = kbuild
        for path, text in files.items():
            full = os.path.join(tmp.name, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
        problems, shown = doccheck.check(os.path.join(tmp.name, "Documentation"), tmp.name)
        return problems, shown

    def assertProblem(self, problems, text):
        self.assertTrue(any(text in p for p in problems), f"{text!r} not in {problems}")

    def test_compiled_snippet_passes(self):
        problems, shown = self.project("Text.\n\n" + INCLUDE + "\nC::\n\n    u32 id = readl(bar);\n")
        self.assertEqual(problems, [])
        self.assertEqual(shown, 1)

    def test_code_block_in_rust_fails(self):
        problems, _ = self.project(INCLUDE + "\n.. code-block:: rust\n\n    let x = 1;\n")
        self.assertProblem(problems, "a code-block in Rust")

    def test_code_directive_with_language_option_fails(self):
        problems, _ = self.project(INCLUDE + "\n.. code::\n   :language: rust\n\n    x\n")
        self.assertProblem(problems, "a code in Rust")

    def test_literal_block_that_reads_as_rust_fails(self):
        for line in ("let regs = bar.cast::<Regs>();", "fn probe(pdev: &Device) {}",
                     "impl RegisterBlock for Regs {}", "#[repr(C)]",
                     "x = io_read!(regs, .status);"):
            with self.subTest(line=line):
                problems, _ = self.project(INCLUDE + f"\nThus::\n\n    {line}\n")
                self.assertProblem(problems, "a literal block that reads as Rust")

    def test_file_outside_the_build_fails(self):
        problems, _ = self.project(INCLUDE, kbuild="obj-m += other.o\n")
        self.assertProblem(problems, "samples/drv.rs is not an object of samples/Kbuild, "
                                     "and no compiled file includes it")
        problems, _ = self.project(INCLUDE, kbuild=None)
        self.assertProblem(problems, "has no Kbuild beside it")

    def test_module_of_a_compiled_file_passes(self):
        rst = INCLUDE.replace("../samples/drv.rs", "../samples/common/regs.rs")
        drv = '#[path = "common/regs.rs"]\nmod regs;\n'
        problems, shown = self.project(rst, {"samples/drv.rs": drv,
                                             "samples/common/regs.rs": DRIVER})
        self.assertEqual(problems, [])
        self.assertEqual(shown, 1)
        # Included by a file that is not compiled itself: not compiled.
        problems, _ = self.project(rst, {"samples/drv.rs": drv,
                                         "samples/common/regs.rs": DRIVER},
                                   kbuild="obj-m += other.o\n")
        self.assertProblem(problems, "samples/common/regs.rs has no Kbuild beside it, "
                                     "and no compiled file includes it")

    def test_host_crate_needs_no_kbuild(self):
        rst = INCLUDE.replace("../samples/drv.rs", "../tests/host/src/x.rs")
        problems, shown = self.project(rst, {"tests/host/src/x.rs": DRIVER})
        self.assertEqual(problems, [])
        self.assertEqual(shown, 1)

    def test_missing_file_fails(self):
        problems, _ = self.project(INCLUDE.replace("drv.rs", "gone.rs"))
        self.assertProblem(problems, "gone.rs: no such file")

    def test_include_without_markers_fails(self):
        problems, _ = self.project(".. literalinclude:: ../samples/drv.rs\n   :language: rust\n")
        self.assertProblem(problems, "must be cut at a pair of markers")
        rst = INCLUDE.replace("[end recipe:map]", "}")
        problems, _ = self.project(rst)
        self.assertProblem(problems, "must be cut at a pair of markers")

    def test_mismatched_pair_fails(self):
        rst = INCLUDE.replace("[end recipe:map]", "[end recipe:other]")
        problems, _ = self.project(rst)
        self.assertProblem(problems, "must be cut at a pair of markers")

    def test_marker_twice_fails(self):
        text = DRIVER + "// [recipe:map]\n"
        problems, _ = self.project(INCLUDE, {"samples/drv.rs": text})
        self.assertProblem(problems, "[recipe:map] occurs 2 times")
        self.assertProblem(problems, "marker [recipe:map] has 2 start(s) and 1 end(s)")

    def test_reversed_pair_fails(self):
        text = "// [end recipe:map]\nfn map() {}\n// [recipe:map]\n"
        problems, _ = self.project(INCLUDE, {"samples/drv.rs": text})
        self.assertProblem(problems, "comes before")

    def test_empty_snippet_fails(self):
        text = "// [recipe:map]\n// only a comment\n// [end recipe:map]\n"
        problems, _ = self.project(INCLUDE, {"samples/drv.rs": text})
        self.assertProblem(problems, "no code between")

    def test_snippet_no_page_shows_fails(self):
        text = DRIVER + "// [guide:lost]\nfn lost() {}\n// [end guide:lost]\n"
        problems, shown = self.project(INCLUDE, {"samples/drv.rs": text})
        self.assertProblem(problems, "snippet [guide:lost] is shown by no page")
        self.assertEqual(shown, 1)

    def test_unpaired_marker_fails(self):
        text = DRIVER + "// [guide:half]\nfn half() {}\n"
        problems, _ = self.project(INCLUDE, {"samples/drv.rs": text})
        self.assertProblem(problems, "marker [guide:half] has 1 start(s) and 0 end(s)")

    def test_main_exit_status(self):
        with tempfile.TemporaryDirectory() as tmp:
            doc = os.path.join(tmp, "Documentation")
            os.makedirs(doc)
            with open(os.path.join(doc, "index.rst"), "w") as f:
                f.write(".. code-block:: rust\n\n    let x = 1;\n")
            with open(os.devnull, "w") as null:
                stdout, sys.stdout = sys.stdout, null
                try:
                    self.assertEqual(doccheck.main([doc, tmp]), 1)
                    os.remove(os.path.join(doc, "index.rst"))
                    self.assertEqual(doccheck.main([doc, tmp]), 0)
                finally:
                    sys.stdout = stdout


if __name__ == "__main__":
    unittest.main()
