#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests of copycheck.py's matcher: what counts as a line, what is a run.

Run by copycheck.sh before the check itself:
    python3 -m unittest -v copycheck_test      (from tests/harness)
"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from copycheck import counted, edit_texts, find_runs  # noqa: E402

# Six distinct lines of code; any run of them is "copied".
CODE = [f"let v{n} = read{n}(base + {n});" for n in range(8)]


def runs(ours, theirs):
    found = find_runs(counted(ours), counted(theirs))
    return [(r.our_range(), r.their_range(), r.length) for r in found]


class Matcher(unittest.TestCase):
    def test_six_line_run_is_found(self):
        theirs = "\n".join(["fn upstream() {"] + CODE[:6] + ["}"])
        ours = "\n".join(["// ours", "fn ours() {"] + CODE[:6] + ["}"])
        # Our lines 3-8 are upstream's lines 2-7.
        self.assertEqual(runs(ours, theirs), [((3, 8), (2, 7), 6)])

    def test_five_line_run_is_not_found(self):
        theirs = "\n".join(CODE[:5] + ["upstream_only();"])
        ours = "\n".join(CODE[:5] + ["ours_only();"])
        self.assertEqual(runs(ours, theirs), [])

    def test_run_is_maximal_and_reported_once(self):
        theirs = "\n".join(CODE)
        ours = "\n".join(CODE)
        self.assertEqual(runs(ours, theirs), [((1, 8), (1, 8), 8)])

    def test_brace_only_lines_are_skipped(self):
        for line in ["}", "};", "{", ")", "])", "},", "});", "///", "//!", "*/", "=> {}"]:
            self.assertEqual(counted(line), [], line)
        # Six identical lines made only of braces are no run.
        braces = "\n".join(["}", "};", "{", ")", "])", "});", "}"])
        self.assertEqual(runs(braces, braces), [])

    def test_skipped_lines_neither_break_nor_make_a_run(self):
        # Upstream has the six lines in one block; ours spreads them over
        # blocks, blank lines and extra braces: still the same run.
        theirs = "\n".join(CODE[:6])
        ours = "\n".join(CODE[:2] + ["", "}", "{"] + CODE[2:4] + ["    ", "})"] + CODE[4:6])
        self.assertEqual(runs(ours, theirs), [((1, 11), (1, 6), 6)])
        # Five real lines and braces make no run of six.
        ours = "\n".join(CODE[:3] + ["}", "}"] + CODE[3:5])
        theirs = "\n".join(CODE[:3] + ["}", "}"] + CODE[3:5] + ["other();"])
        self.assertEqual(runs(ours, theirs), [])

    def test_leading_and_trailing_whitespace_is_ignored(self):
        theirs = "\n".join(CODE[:6])
        ours = "\n".join("\t    " + line + "  " for line in CODE[:6])
        self.assertEqual(len(runs(ours, theirs)), 1)

    def test_inner_whitespace_and_other_changes_count(self):
        theirs = "\n".join(CODE[:6])
        changed = list(CODE[:6])
        changed[3] = changed[3].replace(" = ", " =  ")
        self.assertEqual(runs("\n".join(changed), theirs), [])

    def test_two_copies_are_two_runs(self):
        theirs = "\n".join(CODE[:6])
        ours = "\n".join(CODE[:6] + ["mine();"] + CODE[:6])
        self.assertEqual(runs(ours, theirs), [((1, 6), (1, 6), 6), ((8, 13), (1, 6), 6)])


class Edits(unittest.TestCase):
    def test_inserted_and_replacing_text_is_checked_not_the_anchor(self):
        with tempfile.TemporaryDirectory() as top:
            edits = os.path.join(top, "edits")
            os.mkdir(edits)
            with open(os.path.join(edits, "10-x.toml"), "w") as f:
                f.write('[[edit]]\nfile = "a.rs"\nanchor = "ANCHOR"\n'
                        'insert_after = """\nINSERTED\n"""\n'
                        '[[edit]]\nfile = "a.rs"\nanchor = "OTHER"\n'
                        'replace = "REPLACED"\n'
                        '[[edit]]\nfile = "a.rs"\nanchor = "GONE"\ndelete = true\n')
            found = list(edit_texts(edits, top))
        self.assertEqual(found, [("edits/10-x.toml[edit 1].insert_after", "INSERTED\n"),
                                 ("edits/10-x.toml[edit 2].replace", "REPLACED")])


if __name__ == "__main__":
    unittest.main()
