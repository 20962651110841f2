#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a QEMU console log: KTAP results, crashes, module loads, expectations.

The log holds the KTAP of the built-in KUnit suites (one document, printed at
boot), then one more KTAP document per module that reports results (printed
on insmod), interleaved with other kernel messages, each line behind a printk
time stamp. A module that prints its own KTAP (a driver checking a device at
probe, samples/common/ktap.rs) does so with pr_info!(), so its lines also
carry its "name: " prefix, and it prints each suite's plan after the suite's
results, as TAP allows.

What parses the KTAP
--------------------

The KTAP itself is parsed by the kernel's own parser, kunit_parser.py from
tools/testing/kunit of the kernel tree given with --kernel-tree (imported
from there at run time, never copied). It checks every test's plan against
its results at every level (a planned case that never reports is "missing
expected subtest"), the numbering of the results, that every test that
starts ends with its own result line, and the SKIP directive.

It cannot read our console log as it is, so this file does what it does not:

- kunit_parser.extract_tap_lines() starts at the first "KTAP version" line,
  strips the same number of leading characters from every later line, and
  parse_run_tests() parses one document. Our log has many documents, and the
  module prefixes differ in length. So time stamps and the prefixes of the
  modules listed with --modules are removed here, the log is split into
  documents (each starts at an unindented "KTAP version" line), and each
  document is given to kunit_parser.parse_test() on its own.
- kunit_parser reads a plan only right after a test's header, as KTAP
  requires, and so do we: every suite prints its plan first, KUnit's and our
  modules' alike (samples/common/ktap.rs), so a planned case that never
  reports is "missing expected subtest", and a plan printed after the
  results is a fault of its own.
- kunit_parser takes "not ok N name # SKIP" for a skip. A result line that
  says "not ok" reports a failure whatever its directive says, so the
  directive is taken off such lines before parsing, and the failure says so.
- kunit_parser only prints the problems it finds. A subclass of its Test
  class, put in the imported module in place of Test (parse_test() creates
  its tests through that name), keeps each problem with the line it was
  found at, and the problems are reported from there, one per suite (below).

Our own code also checks what KTAP does not cover: crashes anywhere in the
log (Oops, BUG, WARNING, panic, ..., after the last suite too), the
"harness: module NAME loaded/unloaded" lines of /init, the end of the run,
and the expectation files.

Counting
--------

Every counted result is one distinct check, counted once:

- each leaf result (a test case, or a parameter of a parameterised case)
  counts once as passed, failed or skipped; suites and documents are not
  counted themselves;
- a met `check` expectation counts as passed (see below);
- everything else is a gate: it adds nothing when it holds, and one failure
  when it does not. The gates: a suite's KTAP structure (plan, numbering, a
  result line, a plan for each suite and document though KTAP makes plans
  optional, since KUnit and our modules always print them; one failure per
  suite however many parser errors follow from one fault; results beyond a
  complete plan are not counted), a suite or document that plans no case
  (1..0) unless an expectation names it with 0 cases, a suite that reports
  `not ok` without a failed case, a document's plan of suites (not checked
  again when one of its suites never finished), a suite reported twice, a
  suite that no expectation names, each `suite` and `log` expectation, each
  kind of report of the kernel's checkers (KASAN, KFENCE, UBSAN, lockdep,
  DMA-API debugging, sleeping in atomic context, dropped printk messages),
  an allocation failure report outside the fault walk (within it, the
  report of a failure the walk injected is not a failure) and a crash, each
  at its first report (one report prints several markers), each module that does not load or unload, a run that times out,
  exits with an error or never powers off. Reports name the build
  configuration (--config).

Counts are kept apart by owner: ours (our suites, modules and checks) and
upstream's (the stock suites of the kernel and of its in-tree users, named
in an expectation file that says `owner upstream`). The kernel's doctest
suite, rust_doctests_kernel, holds both: its cases from our own source files
(--ours-doctests lists them) are ours, the rest upstream's. Everything else,
the gates of the run itself among them (a crash, a checker's report, a
module), is ours.

Expectations
------------

Expectation files (*.expect) hold one check a line; `#` starts a comment:

    suite NAME N   the KTAP suite NAME must run, finish, report ok (a suite
                   reported as skipped fails) and have run exactly N cases
                   (leaf results ok or not ok; a skipped case has not run),
                   so that a case added or lost is noticed. A gate: its cases
                   are what counts. If the suite already failed (a failed
                   case, a crash), that failure is the one reported. N = 0
                   admits a suite that plans no case.
    suite NAME N ARCH=M ...
                   as above, but on architecture ARCH (--arch) exactly M
                   cases: for cases that cannot run there, which the suite
                   itself reports as skipped with the reason, or which are
                   not built there (a doctest that needs a 64-bit kernel,
                   on arm). ARCH=- says that the suite does not run on ARCH
                   at all (a device of another machine, a client the
                   configuration does not build), and fails if it does.
    log REGEX      some console line (time stamp removed) must match REGEX.
                   A gate, not counted: a log line is not a test. Use it for
                   what must have happened (a driver bound its device, a
                   device is on the bus) and for a value that a KTAP case
                   already checks.
    check REGEX    as `log`, but counted as one passed check when met. Only
                   for a value computed or read from a device that no KTAP
                   case checks (the stock samples print their results but
                   have no KTAP), so that the line is the only test of it.
    owner upstream the file's suites and checks are upstream's, counted apart
                   from ours (see Counting).
"""

import argparse
import os
import re
import sys

TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\] ?")
VERSION = re.compile(r"^K?TAP version \d+$")
SUBTEST = re.compile(r"^# Subtest: ")
PLAN = re.compile(r"^1\.\.(\d+)$")
RESULT = re.compile(r"^(ok|not ok) \d+")
# The kind of report that the fault walk provokes: within its section of the
# log (from FAULT_WALK_BEGIN to FAULT_WALK_END, tests/harness/init.sh) it is
# not a failure.
ALLOCATION_FAILURE = "allocation failure report"
FAULT_WALK_BEGIN = "harness: fault-walk: begin"
FAULT_WALK_END = "harness: fault-walk: end"
# The reports of the kernel's checkers, and crashes, by the first line of a
# report: the first pattern a line matches names its kind. The checkers come
# first, so that a KASAN report (which also has a "Call Trace:") is named for
# what it is.
REPORTS = tuple((kind, re.compile(pattern)) for kind, pattern in (
    ("KASAN report", r"BUG: KASAN: "),
    ("KFENCE report", r"BUG: KFENCE: "),
    ("UBSAN report", r"UBSAN: "),
    ("lockdep report",
     r"WARNING: (possible (circular locking dependency|recursive locking|irq lock inversion)"
     r"|inconsistent lock state|suspicious RCU usage|bad unlock balance"
     r"|held lock freed|lock held when returning to user space|Nested lock was not taken)"
     r"|INFO: trying to register non-static key|BUG: MAX_LOCK"),
    # Its reports name the driver and the device; its other lines at boot
    # ("DMA-API: preallocated ...") are not reports.
    ("DMA-API report", r"DMA-API: (\S+ \S+: |debugging out of memory)"),
    ("sleeping in atomic context", r"BUG: sleeping function called from invalid context"),
    ("printk messages dropped", r"\*\* \d+ printk messages dropped \*\*"),
    # The page allocator's and vmalloc's report of an allocation that failed
    # (warn_alloc(): a stack dump, then the memory's state). Expected within
    # the fault walk, which fails allocations on purpose (ALLOCATION_FAILURE).
    (ALLOCATION_FAILURE, r"^\S+: (page allocation failure|vmalloc error): "),
    ("crash", r"Oops|BUG:|kernel BUG|Kernel panic|Call Trace:|WARNING:|"
              r"general protection fault|Unable to handle|rcu_.*stall"),
))
# Where a report ends: the end-of-trace marker, KASAN's closing rule, or the
# last line of the memory's state that an allocation failure report prints. A
# report without one is taken to end REPORT_LINES lines after its start.
REPORT_END = re.compile(r"---\[ end trace|^=+$|^\d+ pages reserved$")
REPORT_LINES = 80
HARNESS = re.compile(r"^harness: module (\S+) (loaded|unloaded|failed.*)$")

# kunit_parser's messages for a test that has no result line of its own.
NO_RESULT = ("missing subtest result line!", "No more test results!")
MISSING_CASE = "missing expected subtest!"


_KUNIT = {}  # kernel tree -> kunit_parser, imported once


def load_kunit_parser(kernel_tree):
    """Import kunit_parser from the kernel tree; return the module."""
    kernel_tree = os.path.realpath(kernel_tree)
    if _KUNIT:
        if kernel_tree not in _KUNIT:
            raise SystemExit("ktap.py: kunit_parser is already imported from another tree")
        return _KUNIT[kernel_tree]
    kunit_dir = os.path.join(kernel_tree, "tools", "testing", "kunit")
    if not os.path.isfile(os.path.join(kunit_dir, "kunit_parser.py")):
        raise SystemExit(f"ktap.py: no tools/testing/kunit/kunit_parser.py in {kernel_tree}")
    # The pristine tree is never written to: no __pycache__ there.
    sys.dont_write_bytecode = True
    sys.path.insert(0, kunit_dir)
    try:
        import kunit_parser
        import kunit_printer
    finally:
        sys.path.remove(kunit_dir)
    for name in ("Test", "TestStatus", "LineStream", "parse_test"):
        if not hasattr(kunit_parser, name):
            raise SystemExit(f"ktap.py: {kunit_dir}/kunit_parser.py has no {name}; "
                             f"it is not the parser this checker was written for")

    class Test(kunit_parser.Test):
        """kunit_parser's Test, keeping each problem the parser finds in it
        with the line it was reading: (message, line number, text), the line
        None at the end of the document."""

        stream = None  # the LineStream being parsed
        printer = None  # kunit_printer's printer that prints nothing

        def __init__(self):
            super().__init__()
            self.errors = []

        def add_error(self, printer, error_message):
            super().add_error(printer, error_message)
            if error_message == "0 tests run!" and self.expected_count == 0:
                # Planned none and ran none: whether that is right is for the
                # expectations to say (check_expectations()).
                return
            lines = Test.stream
            if lines:
                where = (lines.line_number(), lines.peek())
            else:
                where = (None, None)
            self.errors.append((error_message, *where))

    # parse_test() creates its tests through the module's global name.
    kunit_parser.Test = Test
    Test.printer = kunit_printer.null_printer
    _KUNIT[kernel_tree] = kunit_parser
    return kunit_parser


class Report:
    """The counts and problems of a log; `upstream` is the part of each count
    that is upstream's (see Counting), the rest being ours."""

    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.upstream = {"passed": 0, "failed": 0, "skipped": 0}
        self.problems = []

    def fail(self, message, upstream=False):
        self.failed += 1
        self.upstream["failed"] += bool(upstream)
        self.problems.append(message)

    def count(self, kind, upstream=False, n=1):
        setattr(self, kind, getattr(self, kind) + n)
        if upstream:
            self.upstream[kind] += n

    def ours(self):
        return tuple(getattr(self, k) - self.upstream[k] for k in ("passed", "failed", "skipped"))

    def theirs(self):
        return tuple(self.upstream[k] for k in ("passed", "failed", "skipped"))


class Suite:
    """One suite as the checker saw it: a top-level test of a document."""

    def __init__(self, name, line):
        self.name = name
        self.line = line          # the line its document starts at
        self.status = "ok"        # ok, not-ok, skip, unfinished, no-tests
        self.passed = self.failed = self.skipped = 0
        self.problem = False      # a problem of its own was reported
        self.skip_reason = ""
        self.planned = None       # its plan, 1..N

    @property
    def ran(self):
        return self.passed + self.failed


def console_lines(path):
    with open(path, errors="replace") as f:
        return [TIMESTAMP.sub("", raw.rstrip("\n")) for raw in f]


def format_notes(notes):
    notes = [n.strip() for n in notes if n.strip()]
    return "".join(f"\n      {n}" for n in notes[-8:])


def strip_module_prefixes(lines, modules):
    """Remove the "name: " that pr_info!() puts before the lines of a module."""
    if not modules:
        return list(lines)
    prefix = re.compile("^(?:%s): " % "|".join(map(re.escape, modules)))
    return [prefix.sub("", line, count=1) for line in lines]


def split_documents(lines):
    """[(first line number, [(line number, text), ...]), ...]: one entry per
    KTAP document, from its unindented version line to the next one. Line
    numbers count from 1."""
    documents = []
    for number, text in enumerate(lines, 1):
        if VERSION.match(text):
            documents.append((number, []))
        if documents:
            documents[-1][1].append((number, text))
    return documents


def indent_and_body(text):
    body = text.lstrip(" ")
    return len(text) - len(body), body


# A result line that reports a failure with a SKIP directive.
NOT_OK_SKIP = re.compile(r"^(\s*not ok \d+.*?)\s*#\s*SKIP\b\s*(.*)$")


def strip_skip_from_failures(document):
    """The document with the SKIP directive taken off every "not ok" result
    line (kunit_parser would count the failure as a skip), and the line
    numbers of those lines."""
    out, lines = [], set()
    for number, text in document:
        m = NOT_OK_SKIP.match(text)
        if m:
            text = f"{m.group(1)} # (was SKIP) {m.group(2)}".rstrip()
            lines.add(number)
        out.append((number, text))
    return out, lines


def doctest_owner(name, ours):
    """Whether the doctest case `name` (rust_doctest_kernel_<file>_<n>) comes from one of our
    source files, `ours` being the set of their <file> parts."""
    m = re.match(r"^rust_doctest_kernel_(\w+?)_\d+$", name or "")
    return bool(m) and m.group(1) in ours


def real_subtests(test, kp):
    """The subtests that reported, without the placeholders kunit_parser
    adds for planned subtests that never did."""
    return [t for t in test.subtests if not is_placeholder(t, kp)]


def is_placeholder(test, kp):
    return (test.status == kp.TestStatus.TEST_CRASHED and not test.subtests
            and test.counts.total() == 0 and not test.name)


def walk(test, kp, path=()):
    """(test, path of names) for test and every real test below it, in order."""
    yield test, path
    for sub in real_subtests(test, kp):
        yield from walk(sub, kp, path + (sub.name,))


def structure_problem(suite_test, kp):
    """The first structural problem in a suite (its own or a case's), as one
    message, or None. Parser errors that follow from an earlier one (the
    planned cases a crash left missing) are folded into it."""
    errors = [(test, path, e) for test, path in walk(suite_test, kp) for e in test.errors]
    # KTAP allows a test without a plan, and KUnit prints none for a case
    # with generated parameters; but KUnit and samples/common/ktap.rs always
    # print a suite's, so a suite without one has lost it.
    if suite_test.subtests and suite_test.expected_count is None:
        errors.append((suite_test, (), ("no plan", None, None)))
    if not errors:
        return None

    def where(path):
        return f" (case {'.'.join(path)})" if path else ""

    more = f"; {len(errors) - 1} more parser error(s) after it" if len(errors) > 1 else ""
    for test, path, (message, number, text) in errors:
        if message in NO_RESULT:
            planned = test.expected_count
            got = len(real_subtests(test, kp))
            if planned is not None and got >= planned and text is not None \
                    and RESULT.match(text.strip()):
                return (f"more results than its plan 1..{planned}{where(path)}: "
                        f"line {number} '{text.strip()}' where its result line belongs")
            ran = f"after {got} of {planned} planned cases" if planned else f"after {got} results"
            return f"started but never finished{where(path)}: no result line, {ran}"
    for test, path, (message, number, text) in errors:
        if message == MISSING_CASE:
            got = len(real_subtests(test, kp))
            return f"plan 1..{test.expected_count} but {got} results{where(path)}{more}"
    test, path, (message, number, text) = errors[0]
    # A result's number is checked after its line is read: the line the
    # parser is at then is the next one, which would mislead.
    at = ""
    if number is not None and not message.startswith("Expected test number"):
        at = f" at line {number} '{text.strip()}'"
    return f"{message}{where(path)}{at}{more}"


def check_document(kp, start, document, report, suites, owners):
    """Parse one document with kunit_parser, count its leaf results and
    report its problems; add its suites to `suites` (name -> Suite).
    `owners` says which suites are upstream's (see Owners)."""
    document, failed_skips = strip_skip_from_failures(document)
    lines = kp.LineStream(iter(document))
    kp.Test.stream = lines
    try:
        main = kp.parse_test(lines, 0, [], False, kp.Test.printer)
    except Exception as e:  # noqa: BLE001 -- whatever the parser trips on
        report.fail(f"KTAP document at line {start}: kunit_parser failed on it: {e!r}")
        return
    finally:
        kp.Test.stream = None
    leftover = []
    while lines:
        number, text = lines.line_number(), lines.pop().strip()
        if RESULT.match(text) or SUBTEST.match(text):
            leftover.append((number, text))

    unfinished = False
    structural = False
    for test in real_subtests(main, kp):
        name = test.name or f"(unnamed, document at line {start})"
        upstream = owners.upstream_suite(name)
        suite = Suite(name, start)
        suite.planned = test.expected_count
        if name in suites:
            report.fail(f"KUnit suite {name}: reported twice (documents at lines "
                        f"{suites[name].line} and {start})", upstream)
        suites[name] = suite
        for leaf, path in walk(test, kp):
            if leaf.subtests:
                continue
            status = leaf.status
            theirs = upstream and not owners.our_doctest(leaf.name)
            label = ".".join((name,) + path)
            if status == kp.TestStatus.SUCCESS:
                suite.passed += 1
                report.count("passed", theirs)
            elif status == kp.TestStatus.SKIPPED:
                suite.skipped += 1
                report.count("skipped", theirs)
            elif status == kp.TestStatus.FAILURE:
                suite.failed += 1
                why = ": not ok"
                if any(leaf.name and leaf.name in text for number, text in document
                       if number in failed_skips):
                    why = ": not ok, with a SKIP directive (a failure, not a skip)"
                report.fail(f"KUnit case {label}{why}" + format_notes(leaf.log), theirs)

        problem = structure_problem(test, kp)
        if test.status == kp.TestStatus.SKIPPED:
            suite.status = "skip"
            suite.skip_reason = test.skip_reason.strip()
        elif test.status == kp.TestStatus.NO_TESTS:
            suite.status = "no-tests"
        elif test.status != kp.TestStatus.SUCCESS:
            suite.status = "not-ok"
        if problem:
            structural = True
            suite.problem = True
            if "never finished" in problem:
                suite.status = "unfinished"
                unfinished = True
            else:
                suite.status = "not-ok"
            report.fail(f"KUnit suite {name}: {problem}", upstream)
        elif suite.status == "not-ok" and suite.failed == 0:
            # Not ok without a failed case: its init failed, say.
            suite.problem = True
            report.fail(f"KUnit suite {name}: not ok without a failed case"
                        + format_notes(test.log), upstream)

    # The document's own plan, and what it has after that plan was done. A
    # suite that never finished explains both.
    if main.expected_count == 0 and not real_subtests(main, kp):
        structural = True
        report.fail(f"KTAP document at line {start}: plans no suite (1..0)")
    elif main.expected_count is None and not unfinished:
        structural = True
        report.fail(f"KTAP document at line {start}: no plan (1..N) of its suites")
    elif main.errors and not unfinished:
        structural = True
        message, number, text = main.errors[0]
        if message == MISSING_CASE:
            got = len(real_subtests(main, kp))
            report.fail(f"KTAP document at line {start}: plan 1..{main.expected_count} "
                        f"but {got} suites")
        else:
            at = f" at line {number} '{text.strip()}'" if number is not None else ""
            report.fail(f"KTAP document at line {start}: {message}{at}")
    if leftover and not structural:
        number, text = leftover[0]
        report.fail(f"KTAP document at line {start}: results after its plan "
                    f"1..{main.expected_count} was complete: line {number} '{text.strip()}'")


class Owners:
    """Which results are upstream's: the suites named in expectation files
    that say `owner upstream`, except the cases of the kernel's doctest suite
    that come from our own source files."""

    def __init__(self, upstream_suites=(), our_doctest_files=()):
        self.suites = set(upstream_suites)
        # rust/kernel/io/mmio.rs -> io_mmio_rs, as KUnit names its doctests.
        self.doctests = {re.sub(r"[/.]", "_", f.strip().removeprefix("rust/kernel/"))
                         for f in our_doctest_files if f.strip()}

    def upstream_suite(self, name):
        return name in self.suites

    def our_doctest(self, case):
        return doctest_owner(case, self.doctests)


def check_ktap(kp, lines, modules, report, owners=None):
    """Check every KTAP document of the log; return {name: Suite}."""
    suites = {}
    owners = owners or Owners()
    for start, document in split_documents(strip_module_prefixes(lines, modules)):
        check_document(kp, start, document, report, suites, owners)
    return suites


def report_end(lines, start):
    """The index of the last line of the report that starts at lines[start]."""
    for i in range(start + 1, min(len(lines), start + REPORT_LINES)):
        if REPORT_END.search(lines[i]):
            return i
    return min(len(lines), start + REPORT_LINES) - 1


def fault_walk_section(lines):
    """The range of line indexes of the fault walk (init.sh): from its first
    line to its last, or to the end of the log if it never ended; empty if it
    never began."""
    try:
        begin = lines.index(FAULT_WALK_BEGIN)
    except ValueError:
        return range(0)
    try:
        return range(begin, lines.index(FAULT_WALK_END, begin) + 1)
    except ValueError:
        return range(begin, len(lines))


def check_reports(lines, report, config=""):
    """One failure for each kind of checker report or crash in the log, at
    its first report: a report's own lines (its call trace, say) are not
    matched again, and a second report of a kind already counted is not
    counted again. An allocation failure report within the fault walk is the
    kernel's report of a failure the walk injected, not a failure."""
    seen = set()
    i = 0
    where = f"{config}: " if config else ""
    walk = fault_walk_section(lines)
    while i < len(lines):
        kind = next((k for k, pattern in REPORTS if pattern.search(lines[i])), None)
        if kind is None:
            i += 1
            continue
        if kind == ALLOCATION_FAILURE and i in walk:
            i = report_end(lines, i) + 1
            continue
        if kind not in seen:
            seen.add(kind)
            context = "\n      ".join(lines[max(0, i - 2):i + 6])
            report.fail(f"{where}{kind} in the log (line {i + 1}):\n      {context}")
        i = report_end(lines, i) + 1


def check_modules(lines, modules, report):
    state = {}
    for line in lines:
        m = HARNESS.match(line)
        if m:
            state.setdefault(m.group(1), []).append(m.group(2))
    for name in modules:
        events = state.get(name, [])
        if "loaded" not in events or "unloaded" not in events:
            report.fail(f"module {name}: {', '.join(events) or 'never loaded'}")


def read_expectations(paths, report, arch=""):
    """[(kind, argument, count or None, where, upstream), ...]; a malformed
    line is a failure of its own. A suite's count is the one for arch;
    `upstream` says whether the file says `owner upstream`."""
    expectations = []
    for path in paths:
        with open(path) as f:
            upstream = False
            for number, raw in enumerate(f, 1):
                text = raw.strip()
                if not text or text.startswith("#"):
                    continue
                kind, _, arg = text.partition(" ")
                arg = arg.strip()
                where = f"{path}:{number}"
                if kind == "owner":
                    if arg != "upstream":
                        report.fail(f"{where}: 'owner' takes 'upstream', not '{arg}'")
                    upstream = True
                elif kind == "suite":
                    words = arg.split()
                    per_arch = dict(w.partition("=")[::2] for w in words[2:])
                    if (len(words) < 2 or not words[1].isdigit()
                            or not all(a and (n.isdigit() or n == "-")
                                       for a, n in per_arch.items())):
                        report.fail(f"{where}: 'suite' takes a name and a case count, "
                                    f"then ARCH=COUNT overrides, not '{arg}'")
                        continue
                    count = per_arch.get(arch, words[1])
                    if count == "-":
                        # Not on this architecture: the suite must not run.
                        expectations.append(("absent", words[0], None, where, upstream))
                        continue
                    expectations.append((kind, words[0], int(count), where, upstream))
                elif kind in ("log", "check"):
                    try:
                        re.compile(arg)
                    except re.error as e:
                        report.fail(f"{where}: bad regular expression /{arg}/: {e}")
                        continue
                    expectations.append((kind, arg, None, where, upstream))
                else:
                    report.fail(f"{where}: unknown expectation '{kind}'")
    return expectations


def upstream_suites(expectations):
    return {arg for kind, arg, _, _, upstream in expectations if kind == "suite" and upstream}


def check_expectations(expectations, lines, suites, report):
    named = set()
    for kind, arg, count, where, upstream in expectations:
        if kind == "absent":
            named.add(arg)
            if arg in suites:
                report.fail(f"suite {arg} ran, but is expected not to on this architecture "
                            f"({where})", upstream)
        elif kind == "suite":
            named.add(arg)
            suite = suites.get(arg)
            if suite is None:
                report.fail(f"expected suite {arg} did not run ({where})", upstream)
            elif suite.problem or suite.failed:
                continue  # already reported as a failure of its own
            elif suite.status == "skip":
                reason = f": {suite.skip_reason}" if suite.skip_reason else ""
                report.fail(f"expected suite {arg} was skipped{reason} ({where})", upstream)
            elif suite.status == "no-tests" and count != 0:
                report.fail(f"expected suite {arg} planned no case (1..0), not the {count} "
                            f"expected ({where})", upstream)
            elif suite.ran != count:
                report.fail(f"expected suite {arg} ran {suite.ran} cases, not the {count} "
                            f"expected ({where})", upstream)
        else:
            if any(re.search(arg, line) for line in lines):
                if kind == "check":
                    report.count("passed", upstream)
            else:
                report.fail(f"expected {kind} line /{arg}/ not found ({where})", upstream)
    for name, suite in suites.items():
        if name not in named:
            what = "planned no case (1..0) and " if suite.status == "no-tests" else ""
            report.fail(f"KUnit suite {name}: {what}ran, but no expectation names it "
                        f"(line {suite.line})")


def check_run(lines, qemu_status, elapsed, report):
    if qemu_status in (124, 137):
        report.fail(f"the guest did not finish: killed at its time bound after {elapsed} s")
    elif qemu_status != 0:
        report.fail(f"QEMU exited with status {qemu_status}")
    elif "harness: init done" not in lines:
        report.fail("/init never finished (no 'harness: init done')")
    elif not any("reboot: Power down" in line for line in lines):
        report.fail("the guest did not power off")


def read_modules(path):
    if not path:
        return []
    with open(path) as f:
        return [m.strip().rsplit("/", 1)[-1].removesuffix(".ko") for m in f
                if m.strip() and not m.startswith("#")]


def check_log(kernel_tree, log, modules=(), expect=(), qemu_status=0, elapsed=0, config="",
              arch="", ours_doctests=(), kunit_only=False):
    """Check a console log; return (Report, {suite name: Suite}, lines).
    config names the build configuration in the reports of its checkers;
    ours_doctests lists our source files (see Owners); kunit_only says that
    the log is the output of a kernel that kunit.py ran, which has no /init
    and no QEMU to check."""
    kp = load_kunit_parser(kernel_tree)
    lines = console_lines(log)
    report = Report()
    if not kunit_only:
        check_run(lines, qemu_status, elapsed, report)
    expectations = read_expectations(expect, report, arch)
    owners = Owners(upstream_suites(expectations), ours_doctests)
    suites = check_ktap(kp, lines, list(modules), report, owners)
    check_reports(lines, report, config)
    check_modules(lines, list(modules), report)
    check_expectations(expectations, lines, suites, report)
    return report, suites, lines


SUMMARY = re.compile(r"^([\w-]+): +# summary: (.*)$")


def what_the_drivers_did(lines, log):
    """The drivers' `summary:` diagnostics, a few readable lines per module, in the order the
    modules printed them; the full KTAP stays in the log."""
    by_module = {}
    for line in lines:
        m = SUMMARY.match(line)
        if m:
            by_module.setdefault(m.group(1), []).append(m.group(2))
    out = ["---- what the drivers did ----"]
    for module, summaries in by_module.items():
        out.append(f"{module}:")
        out += [f"    {s}" for s in summaries]
    if not by_module:
        out.append("(no driver printed a summary)")
    out.append(f"---- the full KTAP and console: {log} ----")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--kernel-tree", required=True,
                        help="the kernel tree whose tools/testing/kunit/kunit_parser.py parses the KTAP")
    parser.add_argument("--counts", help="file to write our 'passed failed skipped' to")
    parser.add_argument("--upstream-counts",
                        help="file to write upstream's 'passed failed skipped' to")
    parser.add_argument("--ours-doctests",
                        help="file listing our source files, whose doctests are ours")
    parser.add_argument("--modules", help="file listing the loaded modules")
    parser.add_argument("--suites",
                        help="file to write 'suite status passed failed skipped' "
                             "lines to, one for each suite")
    parser.add_argument("--qemu-status", type=int, default=0)
    parser.add_argument("--elapsed", type=int, default=0)
    parser.add_argument("--config", default="",
                        help="the build configuration, named in checker reports")
    parser.add_argument("--arch", default="",
                        help="the kernel's ARCH, which picks a suite's ARCH=COUNT expectation")
    parser.add_argument("--kunit-only", action="store_true",
                        help="the log is kunit.py's (tools/testing/kunit): no /init, no QEMU")
    parser.add_argument("--show", action="store_true",
                        help="print the summary lines of each driver")
    parser.add_argument("expect", nargs="*", help="expectation files")
    args = parser.parse_args()

    ours_doctests = []
    if args.ours_doctests:
        with open(args.ours_doctests) as f:
            ours_doctests = f.read().split()
    report, suites, lines = check_log(args.kernel_tree, args.log, read_modules(args.modules),
                                      args.expect, args.qemu_status, args.elapsed,
                                      args.config, args.arch, ours_doctests, args.kunit_only)
    if args.show:
        print(what_the_drivers_did(lines, args.log))
    ran = ", ".join(f"{n}{'' if s.status == 'ok' else ' (' + s.status + ')'}"
                    for n, s in suites.items())
    print(f"KUnit suites: {ran or 'none'}")
    for problem in report.problems:
        print(f"FAIL: {problem}")
    ours, theirs = report.ours(), report.theirs()
    print(f"ktap: ours: {ours[0]} passed, {ours[1]} failed, {ours[2]} skipped; "
          f"upstream's: {theirs[0]} passed, {theirs[1]} failed, {theirs[2]} skipped")
    for path, counts in ((args.counts, ours), (args.upstream_counts, theirs)):
        if path:
            with open(path, "w") as f:
                f.write("%d %d %d\n" % counts)
    if args.suites:
        with open(args.suites, "w") as f:
            for name, s in suites.items():
                f.write(f"{name} {s.status} {s.passed} {s.failed} {s.skipped}\n")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
