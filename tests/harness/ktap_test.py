#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-tests of ktap.py, the boot log checker, on recorded logs.

Each testdata/ktap/NAME.log is an excerpt of a recorded boot log (the first
built-in suites, then /init loading io_testdev and io_port_test), edited to
hold one fault; its header says what was edited. Every log is checked with
testdata/ktap/modules and testdata/ktap/expect, and NAME.verdict says what
the checker must conclude, one item a line (`#` starts a comment):

    config NAME                the build configuration to check the log as
                               (named in checker reports); none by default
    verdict ok|FAIL            the checker's verdict
    counts P F S               what it counts: passed, failed, skipped
    suite NAME STATUS P F S    a line it must write for NAME to the suites file
    problem REGEX              one reported problem, matched from its start
                               (re.match, `.` also matching a newline)

The problems must be exactly those listed, in the order listed: a problem
the verdict does not name (a fault counted twice, say) fails the test too.

Run by ktap-test.sh, with the kernel tree whose kunit_parser.py ktap.py uses:
    KTAP_KERNEL_TREE=<tree> python3 -m unittest -v ktap_test   (in tests/harness)
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "testdata", "ktap")
sys.path.insert(0, HERE)

import ktap  # noqa: E402

KERNEL_TREE = os.environ.get("KTAP_KERNEL_TREE", "")
MODULES = os.path.join(DATA, "modules")
EXPECT = os.path.join(DATA, "expect")


def read_verdict(path):
    verdict = {"verdict": None, "counts": None, "suites": {}, "problems": [], "config": ""}
    with open(path) as f:
        for number, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            kind, _, arg = line.partition(" ")
            if kind == "config" and arg:
                verdict["config"] = arg
            elif kind == "verdict" and arg in ("ok", "FAIL"):
                verdict["verdict"] = arg
            elif kind == "counts" and len(arg.split()) == 3:
                verdict["counts"] = tuple(int(n) for n in arg.split())
            elif kind == "suite" and len(arg.split()) == 5:
                name, status, *counts = arg.split()
                verdict["suites"][name] = (status, *map(int, counts))
            elif kind == "problem":
                verdict["problems"].append(re.compile(arg, re.S))
            else:
                raise ValueError(f"{path}:{number}: cannot read '{line}'")
    if verdict["verdict"] is None or verdict["counts"] is None:
        raise ValueError(f"{path}: needs a 'verdict' and a 'counts' line")
    if (verdict["verdict"] == "ok") != (not verdict["problems"]):
        raise ValueError(f"{path}: verdict {verdict['verdict']} with "
                         f"{len(verdict['problems'])} problems")
    return verdict


def cases():
    return sorted(name[:-len(".log")] for name in os.listdir(DATA) if name.endswith(".log"))


def setUpModule():
    if not os.path.isfile(os.path.join(KERNEL_TREE, "tools/testing/kunit/kunit_parser.py")):
        raise RuntimeError("set KTAP_KERNEL_TREE to a kernel tree with "
                           "tools/testing/kunit/kunit_parser.py "
                           f"(it is '{KERNEL_TREE}')")


class Verdicts(unittest.TestCase):
    """One test per recorded log: the checker's verdict, counts, suites and
    the exact problems it reports."""

    def check_case(self, name):
        verdict = read_verdict(os.path.join(DATA, name + ".verdict"))
        report, suites, _ = ktap.check_log(KERNEL_TREE, os.path.join(DATA, name + ".log"),
                                           ktap.read_modules(MODULES), [EXPECT],
                                           config=verdict["config"])
        problems = "\n".join(f"  - {p}" for p in report.problems) or "  (none)"
        self.assertEqual("FAIL" if report.failed else "ok", verdict["verdict"],
                         f"{name}: the problems reported:\n{problems}")
        self.assertEqual((report.passed, report.failed, report.skipped), verdict["counts"],
                         f"{name}: counts (passed, failed, skipped); problems:\n{problems}")
        self.assertEqual(len(report.problems), len(verdict["problems"]),
                         f"{name}: the problems reported:\n{problems}")
        for want, got in zip(verdict["problems"], report.problems):
            self.assertTrue(want.match(got),
                            f"{name}: problem /{want.pattern}/ expected, got:\n  {got}")
        for suite, want in verdict["suites"].items():
            self.assertIn(suite, suites, f"{name}: suite {suite} not seen")
            s = suites[suite]
            self.assertEqual((s.status, s.passed, s.failed, s.skipped), want,
                             f"{name}: suite {suite} (status, passed, failed, skipped)")


def add_case(name):
    def test(self):
        self.check_case(name)
    test.__doc__ = None
    setattr(Verdicts, "test_" + name.replace("-", "_"), test)


for _name in cases():
    add_case(_name)


class Data(unittest.TestCase):
    def test_every_log_has_a_verdict(self):
        missing = [n for n in cases() if not os.path.exists(os.path.join(DATA, n + ".verdict"))]
        self.assertEqual(missing, [])
        orphans = [n for n in os.listdir(DATA) if n.endswith(".verdict")
                   and n[:-len(".verdict")] not in cases()]
        self.assertEqual(orphans, [])


class CommandLine(unittest.TestCase):
    """ktap.py as boot.sh runs it: exit status, counts and suites files."""

    def run_ktap(self, name, directory):
        counts = os.path.join(directory, "counts")
        suites = os.path.join(directory, "suites")
        done = subprocess.run(
            [sys.executable, "-B", os.path.join(HERE, "ktap.py"),
             "--log", os.path.join(DATA, name + ".log"), "--kernel-tree", KERNEL_TREE,
             "--counts", counts, "--suites", suites, "--modules", MODULES, EXPECT],
            capture_output=True, text=True, check=False)
        with open(counts) as f:
            counted = f.read().split()
        with open(suites) as f:
            lines = f.read().splitlines()
        return done, counted, lines

    def test_passing_log(self):
        with tempfile.TemporaryDirectory() as tmp:
            done, counted, lines = self.run_ktap("pass", tmp)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(counted, ["29", "0", "1"])
        self.assertEqual(lines, ["rust_kernel_fmt ok 1 0 0", "rust_kernel_str ok 7 0 0",
                                 "rust_kernel_kunit ok 2 0 1", "io_testdev ok 5 0 0",
                                 "io_port ok 13 0 0"])

    def test_failing_log(self):
        with tempfile.TemporaryDirectory() as tmp:
            done, counted, lines = self.run_ktap("crashed-suite", tmp)
        self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
        self.assertEqual(counted, ["21", "4", "1"])
        self.assertIn("io_port unfinished 5 0 0", lines)
        self.assertIn("FAIL: KUnit suite io_port: started but never finished", done.stdout)


class Documents(unittest.TestCase):
    """Logs written here, for what the recorded ones do not show."""

    def check(self, texts, expect=None, arch="", end=("harness: init done", "reboot: Power down"),
              qemu_status=0, ours_doctests=()):
        """Checks the log `texts`, followed by `end`, against the expectation
        files whose texts `expect` lists: by default one that names each
        suite the log has with the cases it ran, so that only the fault a test
        is about is reported."""
        if expect is None:
            expect = ["\n".join(f"suite {name} {count}" for name, count in self.ran(texts))]
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "log")
            with open(log, "w") as f:
                f.write("\n".join(list(texts) + list(end)) + "\n")
            paths = []
            for n, text in enumerate(expect):
                paths.append(os.path.join(tmp, f"{n}.expect"))
                with open(paths[-1], "w") as f:
                    f.write(text + "\n")
            report, suites, _ = ktap.check_log(KERNEL_TREE, log, [], paths, arch=arch,
                                               qemu_status=qemu_status,
                                               ours_doctests=ours_doctests)
        return report, suites

    @staticmethod
    def ran(texts):
        """[(suite, cases that ran)] of a log written here: a suite is a "# Subtest:" line
        at four spaces, its cases the unskipped "ok"/"not ok" lines at four spaces after it."""
        found = []
        for text in texts:
            m = re.match(r"^    # Subtest: (\S+)$", text)
            if m:
                found.append([m.group(1), 0])
            elif found and re.match(r"^    (ok|not ok) \d+", text) and "# SKIP" not in text:
                found[-1][1] += 1
        return [tuple(f) for f in found]

    def test_empty_document_fails(self):
        # A document that plans no suite checked nothing.
        report, _ = self.check(["KTAP version 1", "1..0"])
        self.assertEqual(report.problems, ["KTAP document at line 1: plans no suite (1..0)"])

    def test_empty_suite_fails_unless_expected(self):
        log = ["KTAP version 1", "1..1", "    # Subtest: s", "    1..0", "ok 1 s"]
        report, _ = self.check(log, ["suite s 0"])
        self.assertEqual((report.failed, report.problems), (0, []))
        report, _ = self.check(log, ["suite s 1"])
        self.assertEqual(len(report.problems), 1)
        self.assertRegex(report.problems[0], r"^expected suite s planned no case \(1\.\.0\), "
                                             r"not the 1 expected")
        report, _ = self.check(log, [""])
        self.assertEqual(report.problems, ["KUnit suite s: planned no case (1..0) and ran, "
                                           "but no expectation names it (line 1)"])

    def test_suite_no_expectation_names_fails(self):
        report, _ = self.check(["KTAP version 1", "1..1", "    # Subtest: s", "    1..1",
                                "    ok 1 a", "ok 1 s"], [""])
        self.assertEqual((report.passed, report.problems),
                         (1, ["KUnit suite s: ran, but no expectation names it (line 1)"]))

    def test_count_is_exact(self):
        log = ["KTAP version 1", "1..1", "    # Subtest: s", "    1..2", "    ok 1 a",
               "    ok 2 b", "ok 1 s"]
        for expected, problems in ((2, []), (1, ["ran 2 cases, not the 1"]),
                                   (3, ["ran 2 cases, not the 3"])):
            with self.subTest(expected=expected):
                report, _ = self.check(log, [f"suite s {expected}"])
                self.assertEqual(len(report.problems), len(problems))
                for want, got in zip(problems, report.problems):
                    self.assertIn(want, got)

    def test_not_ok_with_skip_is_a_failure(self):
        report, suites = self.check(["KTAP version 1", "1..1", "    # Subtest: s", "    1..2",
                                     "    ok 1 a", "    not ok 2 b # SKIP not here", "not ok 1 s"],
                                    ["suite s 2"])
        self.assertEqual((report.passed, report.failed, report.skipped), (1, 1, 0))
        self.assertEqual(report.problems, ["KUnit case s.b: not ok, with a SKIP directive "
                                           "(a failure, not a skip)"])
        self.assertEqual(suites["s"].status, "not-ok")
        # "ok ... # SKIP" stays a skip.
        report, _ = self.check(["KTAP version 1", "1..1", "    # Subtest: s", "    1..2",
                                "    ok 1 a", "    ok 2 b # SKIP not here", "ok 1 s"],
                               ["suite s 1"])
        self.assertEqual((report.passed, report.failed, report.skipped), (1, 0, 1))

    def test_trailing_plan_fails(self):
        # Our modules print a suite's plan first, as KUnit does: a plan after the results
        # leaves the results unplanned.
        report, _ = self.check(["KTAP version 1", "1..1", "    KTAP version 1",
                                "    # Subtest: s", "    ok 1 a", "    ok 2 b", "    1..2",
                                "ok 1 s"], ["suite s 2"])
        self.assertTrue(report.failed)
        self.assertRegex(report.problems[0], r"^KUnit suite s: ")

    def test_run_timed_out(self):
        report, _ = self.check([], [""], end=["harness: init started"], qemu_status=124)
        self.assertEqual(report.problems,
                         ["the guest did not finish: killed at its time bound after 0 s"])

    def test_qemu_failed(self):
        report, _ = self.check([], [""], qemu_status=1)
        self.assertEqual(report.problems, ["QEMU exited with status 1"])

    def test_no_power_off(self):
        report, _ = self.check([], [""], end=["harness: init done"])
        self.assertEqual(report.problems, ["the guest did not power off"])
        report, _ = self.check([], [""], end=["reboot: Power down"])
        self.assertEqual(report.problems, ["/init never finished (no 'harness: init done')"])

    def test_msi_round_required(self):
        # The samples' expectations of the interrupt rounds: the INTx round's summary must not
        # stand in for the MSI round's.
        with open(os.path.join(HERE, "..", "..", "samples", "io_samples.expect")) as f:
            rounds = [line.strip() for line in f if "summary: interrupts by" in line]
        self.assertEqual(len(rounds), 2)
        intx = ("io_edu:     # summary: interrupts by INTx: 4 handled and acknowledged "
                "(factorial 1, DMA 2, raised 1), 0 unclaimed")
        msi = intx.replace("by INTx", "by MSI")
        report, _ = self.check([intx], ["\n".join(rounds)])
        self.assertEqual(len(report.problems), 1)
        self.assertRegex(report.problems[0], r"^expected log line /.*MSI.*/ not found")
        report, _ = self.check([msi, intx], ["\n".join(rounds)])
        self.assertEqual(report.problems, [])

    def test_owners(self):
        # Upstream's suites (named in an `owner upstream` file) count apart, except the
        # kernel's doctests of our own files; failures go with their case.
        log = ["KTAP version 1", "1..2",
               "    # Subtest: rust_doctests_kernel", "    1..3",
               "    ok 1 rust_doctest_kernel_io_mmio_rs_0",
               "    not ok 2 rust_doctest_kernel_io_mmio_rs_1",
               "    ok 3 rust_doctest_kernel_alloc_kvec_rs_0", "not ok 1 rust_doctests_kernel",
               "    # Subtest: ours", "    1..1", "    ok 1 a", "ok 2 ours"]
        report, _ = self.check(log, ["owner upstream\nsuite rust_doctests_kernel 3",
                                     "suite ours 1"], ours_doctests=["rust/kernel/io/mmio.rs"])
        self.assertEqual(report.ours(), (2, 1, 0))
        self.assertEqual(report.theirs(), (1, 0, 0))

    def test_document_plans_more_suites(self):
        report, _ = self.check(["KTAP version 1", "1..2", "    # Subtest: s", "    1..1",
                                "    ok 1 a", "ok 1 s"])
        self.assertEqual(report.problems, ["KTAP document at line 1: plan 1..2 but 1 suites"])
        self.assertEqual((report.passed, report.failed), (1, 1))

    def test_suite_without_plan(self):
        report, suites = self.check(["KTAP version 1", "1..1", "    # Subtest: s",
                                     "    ok 1 a", "ok 1 s"])
        self.assertEqual(report.problems, ["KUnit suite s: no plan"])
        self.assertEqual(suites["s"].status, "not-ok")

    def test_document_without_plan(self):
        report, _ = self.check(["KTAP version 1", "    # Subtest: s", "    1..1",
                                "    ok 1 a", "ok 1 s"])
        self.assertEqual(report.problems, ["KTAP document at line 1: no plan (1..N) of its suites"])

    def test_case_without_plan(self):
        # A KUnit case with generated parameters prints no plan of them.
        report, _ = self.check(["KTAP version 1", "1..1", "    # Subtest: s", "    1..1",
                                "        KTAP version 1", "        # Subtest: c",
                                "        ok 1 p1", "        ok 2 p2", "    ok 1 c", "ok 1 s"],
                               ["suite s 2"])
        self.assertEqual((report.passed, report.failed, report.problems), (2, 0, []))

    def test_suite_reported_twice(self):
        suite = ["KTAP version 1", "1..1", "    # Subtest: s", "    1..1", "    ok 1 a", "ok 1 s"]
        report, _ = self.check(suite + suite)
        self.assertEqual(report.problems, ["KUnit suite s: reported twice (documents at "
                                           "lines 1 and 7)"])
        self.assertEqual((report.passed, report.failed), (2, 1))

    def test_not_ok_suite_without_a_failed_case(self):
        report, suites = self.check(["KTAP version 1", "1..1", "    # Subtest: s", "    1..1",
                                     "    ok 1 a", "    # s: init failed", "not ok 1 s"])
        self.assertEqual(len(report.problems), 1)
        self.assertRegex(report.problems[0], r"^KUnit suite s: not ok without a failed case\n"
                                             r".*# s: init failed")
        self.assertEqual(suites["s"].status, "not-ok")

    def test_count_per_architecture(self):
        log = ["KTAP version 1", "1..1", "    # Subtest: s", "    1..3", "    ok 1 a",
               "    ok 2 b # SKIP not on this architecture", "    ok 3 c", "ok 1 s"]
        for arch, problems in (("arm64", 0), ("x86_64", 1)):
            with self.subTest(arch=arch):
                report, _ = self.check(log, ["suite s 3 arm64=2"], arch=arch)
                self.assertEqual(len(report.problems), problems)
                for problem in report.problems:
                    self.assertRegex(problem, r"^expected suite s ran 2 cases, not the 3 "
                                              r"expected \(.*0\.expect:1\)$")
                self.assertEqual((report.passed, report.skipped), (2, 1))

    def test_suite_absent_on_an_architecture(self):
        log = ["KTAP version 1", "1..1", "    # Subtest: s", "    1..1", "    ok 1 a", "ok 1 s"]
        report, _ = self.check(log, ["suite s 1 arm64=-"], arch="x86_64")
        self.assertEqual(report.problems, [])
        report, _ = self.check(log, ["suite s 1 arm64=-"], arch="arm64")
        self.assertEqual(len(report.problems), 1)
        self.assertRegex(report.problems[0], r"^suite s ran, but is expected not to on this "
                                             r"architecture")
        report, _ = self.check([], ["suite s 1 arm64=-"], arch="arm64")
        self.assertEqual(report.problems, [])

    def test_malformed_expectations(self):
        report, _ = self.check([], ["suite s", "suite s x", "logs ^x", "log (",
                                    "suite s 3 arm64", "suite s 3 =2"])
        self.assertEqual(len(report.problems), 6)
        self.assertRegex(report.problems[4], r"4\.expect:1: 'suite' takes a name and a case count")
        self.assertRegex(report.problems[5], r"5\.expect:1: 'suite' takes a name and a case count")
        self.assertRegex(report.problems[0], r"0\.expect:1: 'suite' takes a name and a case count")
        self.assertRegex(report.problems[1], r"1\.expect:1: 'suite' takes a name and a case count")
        self.assertRegex(report.problems[2], r"2\.expect:1: unknown expectation 'logs'")
        self.assertRegex(report.problems[3], r"3\.expect:1: bad regular expression")


if __name__ == "__main__":
    unittest.main()
