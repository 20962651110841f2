#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-tests of api.py, the API diff of kernel::io against 7.3, and of its
check of the compatibility chapter.

testdata/api/upstream.rs and ours.rs are two miniature crates whose APIs
differ in each way the diff tells apart; rustdoc (the harness's pinned
toolchain, JSON output) documents both, and the diff must name each
difference as what it is. The chapter check is fed rows that list the diff
exactly, and rows that miss an entry, list one too many, give the wrong kind
or list one entry twice.

Run by selftest.sh:  python3 -m unittest -v api_test   (in tests/harness)
"""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "testdata", "api")
sys.path.insert(0, HERE)

import api  # noqa: E402

RUSTDOC = os.environ.get("API_TEST_RUSTDOC", "rustdoc")


def document(source, out_dir):
    """The rustdoc JSON of the crate `source`, as a Crate."""
    subprocess.run([RUSTDOC, "--edition=2021", "--crate-name", "kernel", "--crate-type", "lib",
                    "-Zunstable-options", "--output-format", "json", "--output", out_dir,
                    source], check=True, capture_output=True,
                   env=dict(os.environ, RUSTC_BOOTSTRAP="1"))
    return api.Crate(os.path.join(out_dir, "kernel.json"))


class Diff(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with tempfile.TemporaryDirectory() as tmp:
            upstream = document(os.path.join(DATA, "upstream.rs"), os.path.join(tmp, "u"))
            ours = document(os.path.join(DATA, "ours.rs"), os.path.join(tmp, "o"))
        cls.rows = api.diff(api.api(ours, api.type_params(upstream)), api.api(upstream))
        cls.kinds = {key: kind for kind, key, _, _ in cls.rows}

    def test_unsafe_trait_is_a_change(self):
        self.assertEqual(self.kinds.get("trait kernel::io::Backend"), "changed")

    def test_new_defaulted_parameter_generalizes_impls(self):
        self.assertEqual(self.kinds.get("struct kernel::io::Region"), "changed")
        self.assertEqual(self.kinds.get("impl kernel::io::Loc<kernel::io::Region<G0>, u32> "
                                        "for usize"), "generalized")

    def test_lost_send_and_sync_are_removals(self):
        self.assertEqual(self.kinds.get("impl core::marker::Send for kernel::io::View<G0>"),
                         "removed")
        self.assertEqual(self.kinds.get("impl core::marker::Sync for kernel::io::View<G0>"),
                         "removed")

    def test_removed_and_added_items(self):
        self.assertEqual(self.kinds.get("struct kernel::io::Gone"), "removed")
        self.assertEqual(self.kinds.get("fn kernel::io::View::added"), "added")
        self.assertEqual(self.kinds.get("struct kernel::io::A8"), "added")

    def test_renamed_parameters_and_reexports_are_the_same_api(self):
        for key in ("fn kernel::io::View::raw", "type kernel::io::Alias",
                    "trait kernel::io::Loc", "trait kernel::io::Loc::offset"):
            self.assertNotIn(key, self.kinds)

    def test_items_added_with_an_added_type_are_listed_as_it(self):
        listed = {key for _, key, _, _ in api.listed(self.rows)}
        self.assertIn("struct kernel::io::A8", listed)
        self.assertNotIn("impl core::marker::Send for kernel::io::A8", listed)
        self.assertIn("impl core::marker::Send for kernel::io::A8", self.kinds)


class Chapter(unittest.TestCase):
    ROWS = [("changed", "trait kernel::io::Backend", "trait", "unsafe trait"),
            ("added", "fn kernel::io::View::added", None, "fn(Self)"),
            ("added", "fn kernel::io::View::more", None, "fn(Self)")]

    def test_exact_list_holds(self):
        chapter = [("changed", "trait kernel::io::Backend", 1),
                   ("added", "fn kernel::io::View::*", 2)]
        self.assertEqual(api.compare_chapter(self.ROWS, chapter), [])

    def test_missing_entry_fails(self):
        problems = api.compare_chapter(self.ROWS, [("added", "fn kernel::io::View::*", 2)])
        self.assertEqual(problems, ["not in the chapter: changed trait kernel::io::Backend"])

    def test_extra_row_fails(self):
        chapter = [("changed", "trait kernel::io::Backend", 1),
                   ("added", "fn kernel::io::View::*", 2), ("removed", "struct Gone", 3)]
        self.assertEqual(api.compare_chapter(self.ROWS, chapter),
                         ["the chapter lists what the diff does not have (line 3): "
                          "removed struct Gone"])

    def test_wrong_kind_fails(self):
        chapter = [("added", "trait kernel::io::Backend", 1),
                   ("added", "fn kernel::io::View::*", 2)]
        self.assertEqual(api.compare_chapter(self.ROWS, chapter),
                         ["the chapter says added (line 1), the diff changed: "
                          "trait kernel::io::Backend"])

    def test_entry_listed_twice_fails(self):
        chapter = [("changed", "trait kernel::io::Backend", 1),
                   ("added", "fn kernel::io::View::*", 2), ("added", "fn *::added", 3)]
        problems = api.compare_chapter(self.ROWS, chapter)
        self.assertEqual(problems, ["listed 2 times in the chapter (lines 2, 3): "
                                    "fn kernel::io::View::added"])

    def test_chapter_rows_are_read_from_checked_tables_only(self):
        with tempfile.NamedTemporaryFile("w", suffix=".rst", delete=False) as f:
            f.write(".. list-table:: checked\n   :class: api-diff\n\n"
                    "   * - ``trait kernel::io::Backend``\n     - changed\n     - why\n\n"
                    ".. list-table:: not checked\n\n"
                    "   * - ``struct kernel::io::Other``\n     - added\n")
        try:
            self.assertEqual(api.chapter_rows(f.name),
                             [("changed", "trait kernel::io::Backend", 4)])
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()
