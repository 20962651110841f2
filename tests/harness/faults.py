#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the fault walk in a QEMU console log: every failure point of every
driver's probe walked, each ending cleanly.

  faults.py --log LOG --walk WALKLIST [--counts FILE] [--config NAME]

The walk is /init's (tests/harness/init.sh): for each driver of WALKLIST (our
modules, one a line) and each device it bound in the boot's normal run
("harness: module NAME bound DEVICE"), /init binds the device to the driver
with the kernel's fault injection failing the Nth allocation below the
driver's code, for N = 1, 2, ... until a bind meets no Nth one, and prints:

    harness: fault-walk: begin
    harness: fault-walk MODULE DEVICE point N: OUTCOME, clean
    harness: fault-walk MODULE DEVICE point N: OUTCOME, LEFT WHAT...
    harness: fault-walk MODULE DEVICE: N failure points walked; without a failure: bound
    harness: fault-walk kmemleak MODULE: N unreferenced objects
    harness: fault-walk: end

where OUTCOME is "error: REASON" (the bind failed) or "tolerated" (the
failure never reached the driver: the kernel tolerated it below, and every
check passed; the device was unbound again). The kernel's own line for each
failure it injects, "FAULT_INJECTION: forcing a failure." and then "name
KIND, ...", says which allocator failed (failslab, fail_page_alloc).

Counting (each check counted once):

- each failure point is one check: passed when its line says "clean" and no
  report of the kernel's checkers, no crash, came since the walk's previous
  line (ktap.py's REPORTS); failed otherwise;
- each driver and device: the bind without a failure is one check, passed
  when it bound (every check of the driver passing, as fault_walk=1 makes
  it) and left nothing behind once unbound;
- each walked driver: kmemleak's verdict is one check, passed with no
  unreferenced object whose backtrace names the module.

Gates (one failure each when they do not hold, nothing when they do): the
walk began and ended; every driver and device to walk was walked; a walk
walked at least one failure point, its points numbered 1 to N without a gap
and N the number its last line gives; no module failed to load or unload; no
report between the walk's lines that no line follows.

An allocation failure report (the page allocator's and vmalloc's
warn_alloc(): a stack dump and the memory's state; the slab allocator's
report of a cache it could not create) is the kernel's report of
a failure the walk injected: not a failure, here or in the boot stage. Every
other report of the walk also fails the boot stage (ktap.py scans the whole
log): a fault that two stages see fails each.
"""

import argparse
import re
import sys

import ktap

BEGIN = "harness: fault-walk: begin"
END = "harness: fault-walk: end"
POINT = re.compile(r"^harness: fault-walk (\S+) (\S+) point (\d+): "
                   r"(error(?:: .*)?|tolerated), (clean|LEFT .*)$")
DONE = re.compile(r"^harness: fault-walk (\S+) (\S+): (\d+) failure points walked; "
                  r"without a failure: (.*)$")
LEAKS = re.compile(r"^harness: fault-walk kmemleak (\S+): (\d+) unreferenced objects$")
TROUBLE = re.compile(r"^harness: fault-walk(?: kmemleak)?(?: (\S+))?(?: (\S+))?: "
                     r"((?:not possible|failed to|no address range|stopped after).*)$")
BOUND = re.compile(r"^harness: module (\S+) bound (\S+)$")
INJECTED = re.compile(r"^name (\S+), interval \d+")


class Walk:
    """One driver's walk on one device."""

    def __init__(self):
        self.points = []          # point numbers, in order
        self.errors = 0
        self.tolerated = 0
        self.clean = 0
        self.kinds = {}           # allocator -> failures injected
        self.done = None          # (points walked, what the bind without a failure did)


class Result:
    def __init__(self):
        self.passed = self.failed = 0
        self.problems = []
        self.walks = {}           # (module, device) -> Walk
        self.leaks = {}           # module -> unreferenced objects

    def fail(self, message):
        self.failed += 1
        self.problems.append(message)


def report_end(lines, start):
    """ktap.report_end(), but never past a line of /init's: the walk's own
    lines are never part of a report."""
    end = ktap.report_end(lines, start)
    for j in range(start + 1, end + 1):
        if lines[j].startswith("harness: "):
            return j - 1
    return end


def read_walk_list(path):
    with open(path) as f:
        # "MODULE [PARAMETER...]" lines: the parameters are /init's.
        return [line.split()[0] for line in f if line.strip() and not line.startswith("#")]


def check(lines, modules, config=""):
    """Check the fault walk of a console log (time stamps removed) for the
    drivers `modules`; return a Result."""
    result = Result()
    where = f"{config}: " if config else ""
    expected = []
    for line in lines:
        m = BOUND.match(line)
        if m and m.group(1) in modules and (m.group(1), m.group(2)) not in expected:
            expected.append((m.group(1), m.group(2)))
    try:
        begin = lines.index(BEGIN)
    except ValueError:
        result.fail(f"{where}the fault walk never began")
        return result
    try:
        end = lines.index(END, begin)
    except ValueError:
        result.fail(f"{where}the fault walk never ended")
        end = len(lines)
    if not expected:
        result.fail(f"{where}no driver of the walk list bound a device: nothing to walk")

    pending = None      # the first report since the walk's last line
    kind = None         # the allocator of the failure injected since the last point
    i = begin + 1
    while i < end:
        line = lines[i]
        report = next((k for k, pattern in ktap.REPORTS if pattern.search(line)), None)
        if report:
            # The kernel's report of an allocation that the walk made fail is
            # not a failure; every other report is.
            if report != ktap.ALLOCATION_FAILURE:
                pending = pending or f"{report} (line {i + 1}: {line.strip()})"
            i = report_end(lines, i) + 1
            continue
        m = INJECTED.match(line)
        if m and i > 0 and "FAULT_INJECTION: forcing a failure." in lines[i - 1]:
            kind = m.group(1)
        m = POINT.match(line)
        if m:
            module, device, number, outcome, state = m.groups()
            walk = result.walks.setdefault((module, device), Walk())
            walk.points.append(int(number))
            walk.errors += outcome.startswith("error")
            walk.tolerated += outcome == "tolerated"
            if kind:
                walk.kinds[kind] = walk.kinds.get(kind, 0) + 1
            kind = None
            name = f"{module} {device} point {number}"
            if state != "clean":
                result.fail(f"{where}{name}: {outcome}, {state}")
            elif pending:
                result.fail(f"{where}{name}: {outcome}, after {pending}")
            else:
                walk.clean += 1
                result.passed += 1
            pending = None
        m = DONE.match(line)
        if m:
            module, device, count, final = m.groups()
            walk = result.walks.setdefault((module, device), Walk())
            walk.done = (int(count), final)
            name = f"{module} {device}"
            if final != "bound":
                result.fail(f"{where}{name}: the bind without a failure: {final}")
            elif pending:
                result.fail(f"{where}{name}: the bind without a failure, after {pending}")
            else:
                result.passed += 1
            pending = None
        m = LEAKS.match(line)
        if m:
            result.leaks[m.group(1)] = int(m.group(2))
        m = TROUBLE.match(line)
        if m:
            result.fail(f"{where}{line.removeprefix('harness: ')}")
        i += 1
    if pending:
        result.fail(f"{where}the fault walk: {pending}, after its last line")

    for key in expected:
        walk = result.walks.get(key)
        name = " ".join(key)
        if walk is None or walk.done is None:
            result.fail(f"{where}{name}: not walked")
            continue
        count = walk.done[0]
        if count == 0:
            result.fail(f"{where}{name}: no failure point walked")
        elif walk.points != list(range(1, count + 1)):
            result.fail(f"{where}{name}: points {summarize(walk.points)}, "
                        f"not 1 to {count}")
    for key in result.walks:
        if key not in expected:
            result.fail(f"{where}{' '.join(key)}: walked, but not bound in the normal run")
    for module in sorted({m for m, _ in expected}):
        leaks = result.leaks.get(module)
        if leaks is None:
            result.fail(f"{where}{module}: no kmemleak verdict")
        elif leaks:
            result.fail(f"{where}{module}: kmemleak: {leaks} unreferenced objects "
                        f"allocated by it")
        else:
            result.passed += 1
    return result


def summarize(numbers):
    shown = ", ".join(map(str, numbers[:5]))
    return shown + (", ..." if len(numbers) > 5 else "") if numbers else "none"


def describe(result):
    """The walk's figures: one line per driver and device, then per driver."""
    out = []
    per_module = {}
    for (module, device), walk in result.walks.items():
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(walk.kinds.items()))
        count = walk.done[0] if walk.done else len(walk.points)
        out.append(f"  {module} {device}: {count} failure points"
                   f"{f' ({kinds})' if kinds else ''}: {walk.errors} ended in an error, "
                   f"{walk.tolerated} tolerated below the driver; {walk.clean} clean; "
                   f"without a failure: {walk.done[1] if walk.done else 'never run'}")
        per_module[module] = per_module.get(module, 0) + count
    for module, count in per_module.items():
        leaks = result.leaks.get(module)
        out.append(f"  {module}: {count} failure points walked in all; kmemleak: "
                   f"{'no verdict' if leaks is None else f'{leaks} unreferenced objects'}")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--walk", required=True, help="the drivers to walk, one a line")
    parser.add_argument("--counts", help="file to write 'passed failed skipped' to")
    parser.add_argument("--config", default="")
    args = parser.parse_args(argv)
    result = check(ktap.console_lines(args.log), read_walk_list(args.walk), args.config)
    print("fault walk:")
    print(describe(result) or "  (nothing walked)")
    for problem in result.problems:
        print(f"FAIL: {problem}")
    total = sum((w.done[0] if w.done else 0) for w in result.walks.values())
    print(f"faults: {total} failure points in {len(result.walks)} walks; "
          f"{result.passed} passed, {result.failed} failed")
    if args.counts:
        with open(args.counts, "w") as f:
            f.write(f"{result.passed} {result.failed} 0\n")
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
