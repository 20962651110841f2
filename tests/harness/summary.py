#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The summary of `make test`, from the results the stages recorded.

  summary.py --results DIR STAGE ...

Each STAGE is one result the run must have recorded, as KEY:KIND: KEY is
"<config>/<stage>" for a stage of a build configuration and "<stage>" for
one of the whole run (lib.sh's result() writes DIR/KEY), and KIND says what
the stage is:

    test      it counts checks: it must report at least one passed check
    gate      it holds or fails (a build, a lint): it counts nothing when it
              holds, and one failure when it does not
    upstream  as test, but the checks are upstream's stock suites, which the
              summary counts apart from ours

A result file holds "STATUS PASSED FAILED SKIPPED MESSAGE". The summary
prints one line per result, in the order given, then any result file that
the list does not name (it counts too), then the totals of our checks and of
upstream's suites on separate lines, the grand total, and last "N passed, N
failed". Whatever the stages printed, the summary fails:

  - a result that was never recorded: the stage aborted before recording
    one, or never ran (one failure);
  - a result whose status is not "ok" (a failure), a "skip" included: a
    stage that was skipped has not checked anything;
  - a test or upstream result that passed no check: a stage that reports
    nothing has not checked anything either;
  - a malformed result file;
  - a FAIL status with no failure counted is counted as one failure.

The exit status is 1 if anything failed, 0 otherwise.
"""

import argparse
import os
import sys

KINDS = ("test", "gate", "upstream")


class Line:
    def __init__(self, key, kind, status, passed, failed, skipped, message):
        self.key, self.kind, self.status = key, kind, status
        self.passed, self.failed, self.skipped = passed, failed, skipped
        self.message = message


def read_result(path):
    """(status, passed, failed, skipped, message), or None if it cannot be read."""
    try:
        with open(path) as f:
            text = f.read().rstrip("\n")
    except OSError:
        return None
    words = text.split(" ", 4)
    if len(words) < 4 or not all(w.isdigit() for w in words[1:4]):
        return None
    status, passed, failed, skipped = words[0], *map(int, words[1:4])
    return status, passed, failed, skipped, words[4] if len(words) > 4 else ""


def lines_of(results, required):
    """The summary lines, one per required result, then one per result file
    that no requirement names."""
    lines, named = [], set()
    for entry in required:
        key, _, kind = entry.rpartition(":")
        if not key or kind not in KINDS:
            raise SystemExit(f"summary.py: '{entry}' is not KEY:KIND (KIND one of {KINDS})")
        named.add(key)
        lines.append(judge(key, kind, read_result(os.path.join(results, key)),
                           os.path.exists(os.path.join(results, key))))
    extra = []
    if os.path.isdir(results):
        for root, _, files in os.walk(results):
            for name in files:
                key = os.path.relpath(os.path.join(root, name), results)
                if key not in named:
                    extra.append(key)
    for key in sorted(extra):
        lines.append(judge(key, "test", read_result(os.path.join(results, key)), True,
                           required=False))
    return lines


def judge(key, kind, result, exists, required=True):
    """The summary line of one result, with its faults turned into failures."""
    if result is None:
        why = ("malformed result file" if exists else
               "no result recorded: the stage aborted before recording one, or never ran")
        return Line(key, kind, "FAIL", 0, 1, 0, why)
    status, passed, failed, skipped, message = result
    if status == "skip":
        return Line(key, kind, "FAIL", passed, max(failed, 1), skipped,
                    f"skipped, which checks nothing: {message}")
    if status not in ("ok", "FAIL"):
        return Line(key, kind, "FAIL", passed, max(failed, 1), skipped,
                    f"unknown status '{status}': {message}")
    if status == "FAIL" and failed == 0:
        failed = 1
    if status == "ok" and failed:
        status = "FAIL"
    if required and kind in ("test", "upstream") and status == "ok" and passed == 0:
        return Line(key, kind, "FAIL", 0, 1, skipped, f"no check passed: {message}")
    return Line(key, kind, status, passed, failed, skipped, message)


def totals(lines, kinds):
    chosen = [line for line in lines if line.kind in kinds]
    return (sum(line.passed for line in chosen), sum(line.failed for line in chosen),
            sum(line.skipped for line in chosen),
            any(line.status != "ok" for line in chosen))


def render(lines):
    out = ["==== summary ====",
           f"{'stage':<22} {'':4} {'passed':>7} {'failed':>7} {'skipped':>8}"]
    for line in lines:
        mark = " (upstream's)" if line.kind == "upstream" else ""
        out.append(f"{line.key:<22} {line.status:4} {line.passed:7d} {line.failed:7d} "
                   f"{line.skipped:8d}  {line.message}{mark}")
    ours = totals(lines, ("test", "gate"))
    theirs = totals(lines, ("upstream",))
    grand = totals(lines, KINDS)
    for label, (p, f, s, bad) in (("ours", ours), ("upstream's suites", theirs),
                                  ("total", grand)):
        out.append(f"{label:<22} {'FAIL' if bad or f else 'ok':4} {p:7d} {f:7d} {s:8d}")
    out.append(f"our checks: {ours[0]} passed, {ours[1]} failed; upstream's suites: "
               f"{theirs[0]} passed, {theirs[1]} failed (counted apart)")
    if grand[2]:
        out.append(f"{grand[2]} skipped")
    out.append(f"{grand[0]} passed, {grand[1]} failed")
    return "\n".join(out), bool(grand[3] or grand[1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", required=True)
    parser.add_argument("stages", nargs="+", help="KEY:KIND of each required result")
    args = parser.parse_args(argv)
    text, failed = render(lines_of(args.results, args.stages))
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
