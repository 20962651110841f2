#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-tests of summary.py: a run that is missing a result, skipped a stage,
reported nothing or recorded a malformed result must not read "ok".

Run by selftest.sh:  python3 -m unittest -v summary_test   (in tests/harness)
"""

import io
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import summary  # noqa: E402

REQUIRED = ["host-test:test", "rustfmt:gate", "cfg/kernel:gate", "cfg/boot:test",
            "cfg/upstream:upstream"]
PASSING = {"host-test": "ok 10 0 1 plain", "rustfmt": "ok 0 0 0 clean",
           "cfg/kernel": "ok 0 0 0 built", "cfg/boot": "ok 5 0 0 ours",
           "cfg/upstream": "ok 7 0 2 stock"}


class Summary(unittest.TestCase):
    def run_summary(self, results, required=REQUIRED):
        with tempfile.TemporaryDirectory() as tmp:
            for key, text in results.items():
                os.makedirs(os.path.dirname(os.path.join(tmp, key)), exist_ok=True)
                with open(os.path.join(tmp, key), "w") as f:
                    f.write(text + "\n")
            out = io.StringIO()
            with redirect_stdout(out):
                status = summary.main(["--results", tmp] + required)
        return status, out.getvalue().splitlines()

    def line(self, lines, key):
        return next(line for line in lines if line.split()[0] == key)

    def test_passing_run(self):
        status, lines = self.run_summary(PASSING)
        self.assertEqual(status, 0)
        self.assertEqual(lines[-1], "22 passed, 0 failed")
        self.assertRegex(self.line(lines, "ours"), r"^ours +ok +15 +0 +1$")
        self.assertIn("our checks: 15 passed, 0 failed; upstream's suites: 7 passed, 0 failed",
                      "\n".join(lines))

    def test_missing_stage_fails(self):
        results = dict(PASSING)
        del results["cfg/boot"]
        status, lines = self.run_summary(results)
        self.assertEqual(status, 1)
        self.assertRegex(self.line(lines, "cfg/boot"), r"FAIL +0 +1 +0 +no result recorded")
        self.assertEqual(lines[-1], "17 passed, 1 failed")

    def test_skipped_stage_fails(self):
        status, lines = self.run_summary({**PASSING, "host-test": "skip 0 0 0 not built"})
        self.assertEqual(status, 1)
        self.assertRegex(self.line(lines, "host-test"), r"FAIL +0 +1 +0 +skipped")

    def test_test_stage_with_no_check_fails(self):
        status, lines = self.run_summary({**PASSING, "cfg/boot": "ok 0 0 3 nothing ran"})
        self.assertEqual(status, 1)
        self.assertRegex(self.line(lines, "cfg/boot"), r"FAIL +0 +1 +3 +no check passed")
        # A gate may count nothing.
        status, _ = self.run_summary(PASSING)
        self.assertEqual(status, 0)

    def test_malformed_result_fails(self):
        status, lines = self.run_summary({**PASSING, "cfg/kernel": "ok built"})
        self.assertEqual(status, 1)
        self.assertRegex(self.line(lines, "cfg/kernel"), r"FAIL +0 +1 +0 +malformed")

    def test_fail_without_a_count_is_one_failure(self):
        status, lines = self.run_summary({**PASSING, "rustfmt": "FAIL 0 0 0 not clean"})
        self.assertEqual(status, 1)
        self.assertEqual(lines[-1], "22 passed, 1 failed")

    def test_unlisted_result_counts(self):
        status, lines = self.run_summary({**PASSING, "cfg/extra": "FAIL 1 2 0 unlisted"})
        self.assertEqual(status, 1)
        self.assertEqual(lines[-1], "23 passed, 2 failed")

    def test_upstream_counted_apart(self):
        status, lines = self.run_summary({**PASSING, "cfg/upstream": "FAIL 6 1 2 stock"})
        self.assertEqual(status, 1)
        self.assertRegex(self.line(lines, "upstream's"), r"FAIL +6 +1 +2$")
        self.assertRegex(self.line(lines, "ours"), r"^ours +ok +15 +0 +1$")


if __name__ == "__main__":
    unittest.main()
