#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check a QEMU console log: KTAP results, crashes, module loads, expectations.

The log holds the KTAP of the built-in KUnit suites (printed at boot) and
one more KTAP document per module with #[kunit_tests] (printed on insmod),
interleaved with other kernel messages, each line behind a printk time stamp.
A module that prints its own KTAP (a driver checking a device at probe) does
so with pr_info!(), so its lines also carry its "name: " prefix; that prefix
is removed for the modules listed with --modules.

Counting: every leaf result (a test case, or a parameter of a parameterised
case) counts once as passed, failed or skipped; suites are not counted
themselves. A met `log` expectation counts as passed. Every problem found
counts as one failure: a failed case, a suite that is `not ok` or never
finishes, a missing expected suite or log line, a crash, a module that does
not load or unload, a boot that times out or never reaches power-off.

Expectation files (*.expect) hold one check a line; `#` starts a comment:

    suite NAME     the KTAP suite NAME must run and report ok
    log REGEX      some console line (time stamp removed) must match REGEX
"""

import argparse
import re
import sys

TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\] ?")
VERSION = re.compile(r"^(K?TAP) version \d+$")
PLAN = re.compile(r"^1\.\.\d+$")
SUBTEST = re.compile(r"^# Subtest: (.+)$")
RESULT = re.compile(r"^(ok|not ok) \d+(?: -)? ?([^#]*?)\s*(?:#\s*(\w+)(.*))?$")
CRASH = re.compile(r"Oops|BUG:|kernel BUG|Kernel panic|Call Trace:|WARNING:|"
                   r"general protection fault|Unable to handle|rcu_.*stall")
HARNESS = re.compile(r"^harness: module (\S+) (loaded|unloaded|failed.*)$")
INDENT = 4


class Report:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.problems = []

    def fail(self, message):
        self.failed += 1
        self.problems.append(message)


def console_lines(path):
    with open(path, errors="replace") as f:
        for raw in f:
            yield TIMESTAMP.sub("", raw.rstrip("\n"))


def format_notes(notes):
    return "".join(f"\n      {n}" for n in notes[-8:])


def strip_module_prefixes(lines, modules):
    """Remove the "name: " that pr_info!() puts before the lines of a module."""
    if not modules:
        return lines
    prefix = re.compile("^(?:%s): " % "|".join(map(re.escape, modules)))
    return [prefix.sub("", line, count=1) for line in lines]


def parse_ktap(lines, report, counts=None):
    """Count leaf results; return {suite: ok/not ok/skip}. If counts is a
    dict, it receives {suite: [passed, failed, skipped]} for each suite."""
    suites = {}
    counts = {} if counts is None else counts
    current = None        # the top-level suite whose cases come now
    started = []          # suites whose "# Subtest:" appeared, in order
    has_children = {}     # depth -> the open test at that depth has subtests
    diagnostics = {}      # depth -> other lines since the last result there
    failed_before = report.failed
    for line in lines:
        body = line.lstrip(" ")
        depth = (len(line) - len(body)) // INDENT
        if VERSION.match(body) or PLAN.match(body) or SUBTEST.match(body):
            if depth == 0 and VERSION.match(body):
                has_children.clear()
                diagnostics.clear()
            if depth > 0:
                has_children[depth - 1] = True
            m = SUBTEST.match(body)
            if m and depth == 1:
                started.append(m.group(1))
                current = m.group(1)
                counts[current] = [0, 0, 0]
            continue
        m = RESULT.match(body)
        if not m:
            # Diagnostics: "# ..." lines and the lines of an assertion's
            # message, at the depth of the test they belong to.
            if body:
                diagnostics.setdefault(depth, []).append(body)
            continue
        status, name, directive = m.group(1), m.group(2), (m.group(3) or "").upper()
        if depth > 0:
            has_children[depth - 1] = True
        leaf = not has_children.pop(depth, False)
        notes = diagnostics.pop(depth, [])
        for deeper in [d for d in has_children if d > depth]:
            del has_children[deeper]
        if depth == 0:
            suites[name] = "skip" if directive == "SKIP" else status
            current = None
            # A suite that fails without a failed case (its init failed,
            # say) is a failure of its own.
            if status == "not ok" and report.failed == failed_before:
                report.fail(f"KUnit suite {name}: not ok" + format_notes(notes))
            failed_before = report.failed
            continue
        if not leaf:
            continue
        kind = 2 if directive == "SKIP" else 0 if status == "ok" else 1
        if current is not None:
            counts[current][kind] += 1
        if kind == 2:
            report.skipped += 1
        elif kind == 0:
            report.passed += 1
        else:
            report.fail(f"KUnit case {name}: not ok" + format_notes(notes))
    unfinished = [s for s in started if s not in suites]
    for name in unfinished:
        report.fail(f"KUnit suite {name}: started but never finished")
    return suites


def check_crashes(lines, report):
    for i, line in enumerate(lines):
        if CRASH.search(line):
            context = "\n      ".join(lines[max(0, i - 2):i + 6])
            report.fail(f"crash in the log (line {i + 1}):\n      {context}")
            return  # one crash often prints several markers; report the first


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


def check_expectations(paths, lines, suites, report):
    for path in paths:
        with open(path) as f:
            for number, raw in enumerate(f, 1):
                text = raw.strip()
                if not text or text.startswith("#"):
                    continue
                kind, _, arg = text.partition(" ")
                arg = arg.strip()
                where = f"{path}:{number}"
                if kind == "suite":
                    if arg not in suites:
                        report.fail(f"expected suite {arg} did not run ({where})")
                elif kind == "log":
                    if any(re.search(arg, line) for line in lines):
                        report.passed += 1
                    else:
                        report.fail(f"expected log line /{arg}/ not found ({where})")
                else:
                    report.fail(f"{where}: unknown expectation '{kind}'")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--counts", required=True,
                        help="file to write 'passed failed skipped' to")
    parser.add_argument("--modules", help="file listing the loaded modules")
    parser.add_argument("--suites",
                        help="file to write 'suite status passed failed skipped' "
                             "lines to, one for each suite that finished")
    parser.add_argument("--qemu-status", type=int, default=0)
    parser.add_argument("--elapsed", type=int, default=0)
    parser.add_argument("--show", action="store_true",
                        help="print the log from the start of /init")
    parser.add_argument("expect", nargs="*", help="expectation files")
    args = parser.parse_args()

    lines = list(console_lines(args.log))
    report = Report()
    if args.qemu_status == 124 or args.qemu_status == 137:
        report.fail(f"the guest did not finish: killed at its time bound "
                    f"after {args.elapsed} s")
    elif args.qemu_status != 0:
        report.fail(f"QEMU exited with status {args.qemu_status}")
    elif "harness: init done" not in lines:
        report.fail("/init never finished (no 'harness: init done')")
    elif not any("reboot: Power down" in line for line in lines):
        report.fail("the guest did not power off")

    modules = []
    if args.modules:
        with open(args.modules) as f:
            modules = [m.strip().rsplit("/", 1)[-1].removesuffix(".ko")
                       for m in f if m.strip()]
    per_suite = {}
    suites = parse_ktap(strip_module_prefixes(lines, modules), report, per_suite)
    check_crashes(lines, report)
    check_modules(lines, modules, report)
    check_expectations(args.expect, lines, suites, report)

    if args.show:
        start = lines.index("harness: init started") if "harness: init started" in lines else 0
        print("---- what the modules did (from /init on) ----")
        print("\n".join(lines[start:]))
        print("----")
    ran = ", ".join(f"{n}{'' if s == 'ok' else ' (' + s + ')'}" for n, s in suites.items())
    print(f"KUnit suites: {ran or 'none'}")
    for problem in report.problems:
        print(f"FAIL: {problem}")
    with open(args.counts, "w") as f:
        f.write(f"{report.passed} {report.failed} {report.skipped}\n")
    if args.suites:
        with open(args.suites, "w") as f:
            for name, status in suites.items():
                passed, failed, skipped = per_suite.get(name, (0, 0, 0))
                f.write(f"{name} {status.replace(' ', '-')} {passed} {failed} {skipped}\n")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
