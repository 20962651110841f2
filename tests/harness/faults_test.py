#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-tests of faults.py: a fault walk with a point that left something
behind, a report in the middle, a driver not walked, a gap in the points, a
leak, or no walk at all must fail, and a clean one must count each point, each
bind without a failure and each kmemleak verdict once.

Run by selftest.sh:  python3 -m unittest -v faults_test   (in tests/harness)
"""

import io
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import faults  # noqa: E402

DEV = "0000:00:04.0"


def walk_lines(module="io_edu", dev=DEV, points=3, final="bound", tolerated=()):
    """The lines of one clean walk of `points` failure points."""
    lines = []
    for n in range(1, points + 1):
        lines += ["FAULT_INJECTION: forcing a failure.",
                  "name failslab, interval 1, probability 0, space 0, times 1"]
        outcome = "tolerated" if n in tolerated else "error: Cannot allocate memory"
        if outcome != "tolerated":
            lines.append(f"{module} {dev}: probe with driver {module} failed with error -12")
        lines.append(f"harness: fault-walk {module} {dev} point {n}: {outcome}, clean")
    lines.append(f"harness: fault-walk {module} {dev}: {points} failure points walked; "
                 f"without a failure: {final}")
    return lines


def log(*walks, leaks=None, bound=(("io_edu", DEV),), begin=True, end=True):
    """A console log: the normal run's "bound" lines, then the walk."""
    lines = ["harness: init started"]
    lines += [f"harness: module {m} bound {d}" for m, d in bound]
    if begin:
        lines.append("harness: fault-walk: begin")
    for walk in walks:
        lines += walk
    for module, count in (leaks if leaks is not None else {"io_edu": 0}).items():
        lines.append(f"harness: fault-walk kmemleak {module}: {count} unreferenced objects")
    if end:
        lines.append("harness: fault-walk: end")
    lines.append("harness: init done")
    return lines


class Faults(unittest.TestCase):
    def check(self, lines, modules=("io_edu",)):
        return faults.check(lines, list(modules), "x86_64-llvm")

    def assert_fails(self, result, *fragments):
        self.assertGreater(result.failed, 0)
        text = "\n".join(result.problems)
        for fragment in fragments:
            self.assertIn(fragment, text)

    def test_clean_walk_counts_each_check_once(self):
        result = self.check(log(walk_lines(points=3, tolerated=(2,))))
        self.assertEqual(result.problems, [])
        # Three points, the bind without a failure, the kmemleak verdict.
        self.assertEqual((result.passed, result.failed), (5, 0))
        walk = result.walks[("io_edu", DEV)]
        self.assertEqual((walk.errors, walk.tolerated, walk.clean), (2, 1, 3))
        self.assertEqual(walk.kinds, {"failslab": 3})

    def test_point_that_left_something_fails(self):
        lines = log(walk_lines(points=2))
        i = lines.index(f"harness: fault-walk io_edu {DEV} point 2: "
                        "error: Cannot allocate memory, clean")
        lines[i] = f"harness: fault-walk io_edu {DEV} point 2: error: Cannot allocate memory, " \
                   "LEFT region irq"
        result = self.check(lines)
        self.assert_fails(result, "point 2", "LEFT region irq")
        self.assertEqual((result.passed, result.failed), (3, 1))

    def test_report_before_a_point_fails_that_point(self):
        lines = log(walk_lines(points=3))
        i = lines.index(f"harness: fault-walk io_edu {DEV} point 2: "
                        "error: Cannot allocate memory, clean")
        lines[i:i] = ["BUG: KASAN: double-free in kfree+0x10/0x20",
                      "Call Trace:", " <TASK>", " </TASK>",
                      "=================================================================="]
        result = self.check(lines)
        self.assert_fails(result, "point 2", "KASAN report")
        self.assertEqual((result.passed, result.failed), (4, 1))

    def test_allocation_failure_report_is_not_a_failure(self):
        lines = log(walk_lines(points=3))
        i = lines.index(f"harness: fault-walk io_edu {DEV} point 2: "
                        "error: Cannot allocate memory, clean")
        # warn_alloc()'s report, longer than ktap.py takes a report without
        # its end marker to be: the point lines after it are still read.
        lines[i:i] = (["init: vmalloc error: size 1048576, align 0x1, vm_struct allocation "
                       "failed, mode:0xcc0(GFP_KERNEL), nodemask=(null)",
                       "Call Trace:", " <TASK>", " warn_alloc+0x10a/0x120", " </TASK>",
                       "Mem-Info:"] + [f"zone {n}" for n in range(100)])
        result = self.check(lines)
        self.assertEqual(result.problems, [])
        self.assertEqual((result.passed, result.failed), (5, 0))

    def test_slab_cache_failure_report_is_not_a_failure(self):
        lines = log(walk_lines(points=3))
        i = lines.index(f"harness: fault-walk io_edu {DEV} point 2: "
                        "error: Cannot allocate memory, clean")
        # The slab allocator's report of a cache it could not create (the
        # block layer's bio set of a new disk): its Call Trace is not a crash.
        lines[i:i] = ["__kmem_cache_create_args(bio-96) failed with error -12",
                      "CPU: 0 UID: 0 PID: 1 Comm: init Tainted: G           O     N  7.3.4 #1",
                      "Call Trace:", " <TASK>", " dump_stack_lvl+0x63/0x80",
                      " bioset_init+0x337/0x640", " </TASK>"]
        result = self.check(lines)
        self.assertEqual(result.problems, [])
        self.assertEqual((result.passed, result.failed), (5, 0))

    def test_slab_cache_failure_report_ends_at_its_stack(self):
        lines = log(walk_lines(points=3))
        i = lines.index(f"harness: fault-walk io_edu {DEV} point 2: "
                        "error: Cannot allocate memory, clean")
        # A crash right after the report is still seen.
        lines[i:i] = ["__kmem_cache_create_args(bio-96) failed with error -12",
                      "Call Trace:", " <TASK>", " bioset_init+0x337/0x640", " </TASK>",
                      "WARNING: CPU: 0 PID: 1 at mm/slab_common.c:1 x+0x1/0x2"]
        result = self.check(lines)
        self.assert_fails(result, "point 2", "crash")
        self.assertEqual((result.passed, result.failed), (4, 1))

    def test_report_does_not_hide_the_points_after_it(self):
        lines = log(walk_lines(points=3))
        i = lines.index(f"harness: fault-walk io_edu {DEV} point 1: "
                        "error: Cannot allocate memory, clean")
        lines[i:i] = ["WARNING: CPU: 0 PID: 1 at kernel/irq/manage.c:2000 free_irq+0x1/0x2",
                      "Call Trace:"]
        result = self.check(lines)
        self.assertEqual(result.problems, [f"x86_64-llvm: io_edu {DEV} point 1: error: Cannot "
                                           "allocate memory, after crash (line 7: WARNING: CPU: "
                                           "0 PID: 1 at kernel/irq/manage.c:2000 "
                                           "free_irq+0x1/0x2)"])
        self.assertEqual((result.passed, result.failed), (4, 1))

    def test_warning_after_the_last_line_fails(self):
        lines = log(walk_lines(points=1))
        lines.insert(lines.index("harness: fault-walk: end"),
                     "WARNING: CPU: 0 PID: 1 at kernel/irq/manage.c:2000 free_irq+0x1/0x2")
        self.assert_fails(self.check(lines), "after its last line")

    def test_bind_without_failure_that_failed(self):
        result = self.check(log(walk_lines(final="FAILED (status 1)")))
        self.assert_fails(result, "the bind without a failure: FAILED (status 1)")

    def test_driver_not_walked_fails(self):
        lines = log(walk_lines(), bound=(("io_edu", DEV), ("io_edu", "0000:00:05.0")))
        self.assert_fails(self.check(lines), "io_edu 0000:00:05.0: not walked")

    def test_module_outside_the_list_is_not_expected(self):
        lines = log(walk_lines(), bound=(("io_edu", DEV), ("rust_dma", "0000:00:05.0")))
        self.assertEqual(self.check(lines).problems, [])

    def test_no_point_walked_fails(self):
        self.assert_fails(self.check(log(walk_lines(points=0))), "no failure point walked")

    def test_gap_in_the_points_fails(self):
        lines = [line for line in log(walk_lines(points=3)) if " point 2:" not in line]
        self.assert_fails(self.check(lines), "points 1, 3, not 1 to 3")

    def test_leak_fails(self):
        result = self.check(log(walk_lines(), leaks={"io_edu": 2}))
        self.assert_fails(result, "kmemleak: 2 unreferenced objects")

    def test_missing_kmemleak_verdict_fails(self):
        self.assert_fails(self.check(log(walk_lines(), leaks={})), "no kmemleak verdict")

    def test_walk_that_never_began_fails(self):
        self.assert_fails(self.check(log(begin=False, end=False)), "never began")

    def test_walk_that_never_ended_fails(self):
        self.assert_fails(self.check(log(walk_lines(), end=False)), "never ended")

    def test_walk_not_possible_fails(self):
        lines = log()
        lines.insert(lines.index("harness: fault-walk: end"),
                     "harness: fault-walk: not possible: this kernel has no fail-nth")
        self.assert_fails(self.check(lines), "not possible", "io_edu 0000:00:04.0: not walked")

    def test_module_that_failed_to_load_fails(self):
        lines = log(walk_lines())
        lines.insert(2 + 1, "harness: fault-walk io_ivshmem: failed to load: insmod: ENOMEM")
        self.assert_fails(self.check(lines), "io_ivshmem: failed to load")

    def test_nothing_to_walk_fails(self):
        self.assert_fails(self.check(log(bound=())), "nothing to walk")

    def test_main_writes_counts(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "boot.log")
            with open(path, "w") as f:
                f.write("".join(f"[   1.{i:06d}] {line}\n"
                                for i, line in enumerate(log(walk_lines(points=2)))))
            walk = os.path.join(tmp, "walk")
            with open(walk, "w") as f:
                f.write("io_edu\nio_sysmem_test\n")
            counts = os.path.join(tmp, "counts")
            out = io.StringIO()
            with redirect_stdout(out):
                status = faults.main(["--log", path, "--walk", walk, "--counts", counts])
            self.assertEqual(status, 0)
            with open(counts) as f:
                self.assertEqual(f.read(), "4 0 0\n")
            self.assertIn("io_edu 0000:00:04.0: 2 failure points (failslab 2)", out.getvalue())

    def test_walk_list_lines_carry_parameters(self):
        with tempfile.TemporaryDirectory() as tmp:
            walk = os.path.join(tmp, "walk")
            with open(walk, "w") as f:
                f.write("io_edu\nio_virtio_blk max_queues=2\n\n")
            self.assertEqual(faults.read_walk_list(walk), ["io_edu", "io_virtio_blk"])
            # A module listed with its parameters is still the module: a
            # device it bound and that was not walked fails.
            lines = log(walk_lines(), bound=(("io_edu", DEV), ("io_virtio_blk", "0000:00:07.0")))
            result = faults.check(lines, faults.read_walk_list(walk), "x86_64-llvm")
            self.assert_fails(result, "io_virtio_blk")


if __name__ == "__main__":
    unittest.main()
