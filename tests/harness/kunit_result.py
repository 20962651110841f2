#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The result of a kunit.py run, from kunit.py's own output: its summary.

  kunit_result.py --log LOG --json JSON --upstream-expect FILE --ours-doctests FILE

LOG is what `kunit.py exec` printed, ending with its summary line
("Testing complete. Ran N tests: passed: P, failed: F, crashed: C,
skipped: S, errors: E", the statuses with no test left out); JSON is its
--json output, the same results per test. The counts are the summary's:
passed, failed (failed, crashed and errors: kunit_parser's own count of
parse errors), skipped. The JSON splits them by owner, as ktap.py does for a
boot (its Owners): the suites that an expectation file with `owner
upstream` names are upstream's, except the kernel's doctests of our own
source files. Prints "counts: P F S UP UF US", ours then upstream's.

Exit status 1 if there is no summary line, no JSON, or the JSON's totals are
not the summary's: the counts would not be kunit.py's then.
"""

import argparse
import json
import re
import sys

import ktap

SUMMARY = re.compile(r"Testing complete\. Ran (\d+) tests?(?:: (.*))?$")


def summary(log_text):
    """{status: count} of kunit.py's last summary line, or None."""
    found = None
    for line in log_text.splitlines():
        m = SUMMARY.search(line.rstrip())
        if m:
            counts = {"tests": int(m.group(1))}
            for part in (m.group(2) or "").split(","):
                if part.strip():
                    status, _, n = part.strip().partition(": ")
                    counts[status] = int(n)
            found = counts
    return found


def cases(group, suite=None):
    """(suite, case name, status) of every leaf case of a kunit.py JSON group."""
    for case in group.get("test_cases", []):
        yield suite, case["name"], case["status"]
    for sub in group.get("sub_groups", []):
        yield from cases(sub, suite or sub["name"])


def split(summary_counts, results, owners):
    """((ours P, F, S), (upstream's P, F, S), problems)."""
    theirs = [0, 0, 0]
    totals = [0, 0, 0]
    for suite, name, status in cases(results):
        slot = {"PASS": 0, "SKIP": 2}.get(status, 1)
        totals[slot] += 1
        if owners.upstream_suite(suite) and not owners.our_doctest(name):
            theirs[slot] += 1
    counted = (summary_counts.get("passed", 0),
               sum(summary_counts.get(k, 0) for k in ("failed", "crashed", "errors")),
               summary_counts.get("skipped", 0))
    problems = []
    # kunit_parser's errors are parse errors, not cases: the JSON has no
    # case for them.
    json_totals = (totals[0], totals[1] + summary_counts.get("errors", 0), totals[2])
    if json_totals != counted:
        problems.append(f"kunit.py's JSON counts {json_totals} (passed, failed, skipped), "
                        f"its summary {counted}")
    ours = tuple(c - t for c, t in zip(counted, theirs))
    return ours, tuple(theirs), problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--upstream-expect", required=True)
    parser.add_argument("--ours-doctests", required=True)
    args = parser.parse_args()

    with open(args.log, errors="replace") as f:
        counts = summary(f.read())
    if counts is None:
        print(f"kunit: no summary line in {args.log}")
        return 1
    try:
        with open(args.json) as f:
            results = json.load(f)
    except (OSError, ValueError) as e:
        print(f"kunit: no JSON results: {e}")
        return 1
    report = ktap.Report()
    expectations = ktap.read_expectations([args.upstream_expect], report)
    with open(args.ours_doctests) as f:
        owners = ktap.Owners(ktap.upstream_suites(expectations), f.read().split())
    ours, theirs, problems = split(counts, results, owners)
    for problem in problems + report.problems:
        print(f"kunit: FAIL {problem}")
    print(f"kunit: kunit.py ran {counts['tests']} tests; ours: {ours[0]} passed, {ours[1]} failed, "
          f"{ours[2]} skipped; upstream's: {theirs[0]} passed, {theirs[1]} failed, "
          f"{theirs[2]} skipped")
    print("counts: %d %d %d %d %d %d" % (ours + theirs))
    return 1 if problems or report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
