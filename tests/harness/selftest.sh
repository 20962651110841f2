#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test stage: the checkers of the run are proven able to fail by their
# own tests, which need no kernel build.
#
#   ktap_test.py     ktap.py, the boot log checker, on the recorded log
#                    excerpts of testdata/ktap/: a passing log, a crashed
#                    suite, a missing suite, plans that do not match their
#                    results, a skipped suite, an oops after the last suite,
#                    too few cases, a report of each of the kernel's
#                    checkers, ... Each asserts the checker's verdict, its
#                    counts and the exact problems it reports. It needs the
#                    pristine tree, whose kunit_parser.py ktap.py uses.
#   codegen_test.py  codegen.py's rules, each fed code that must pass it and
#                    code that must fail it.
#   observer_test.py observer.py, the check of ivshmem's memory from outside
#                    the guest, on files with each kind of fault.
#   disk_test.py     disk.py, the check of the virtio-blk disk image from
#                    outside the guest, on images with each kind of fault.
#   summary_test.py  summary.py, the summary of the run: a missing, skipped,
#                    empty or malformed result fails it.
#   api_test.py      api.py, the API diff against 7.3: two miniature crates
#                    documented by rustdoc, whose differences it must name,
#                    and chapters that do not list the diff exactly.
#   doccheck_test.py doccheck.py, the check that the guide shows only
#                    compiled Rust: uncompiled snippets, files outside the
#                    build, broken or missing markers, lost snippets.
#   faults_test.py   faults.py, the check of the fault walk: a point that left
#                    something behind, a report mid-walk, a driver not walked,
#                    a leak, no walk at all.
#   hotplug_test.py  hotplug.py's judge of the hot-unplug cycles, on runs
#                    written with one fault each: an access granted after
#                    revocation, a loop never stopped, a region or an
#                    interrupt left behind, a failed probe, a device QMP
#                    still lists, a wrong observer file, a leak of ours, a
#                    checker's report, a run that stopped half-way, ...
#
# (copycheck's matcher has its own self-tests, in its stage.) Each test
# counts once.

. "$(dirname "$0")/lib.sh"

LOG=$LOGS/selftest.log

selftest() {
	local tree
	tree=$(pristine_tree) &&
		(cd "$HARNESS" && KTAP_KERNEL_TREE=$tree python3 -B -m unittest -v ktap_test codegen_test observer_test \
			disk_test summary_test api_test doccheck_test faults_test hotplug_test)
}

status=ok
run_logged "$LOG" selftest || status=FAIL
# unittest -v prints one "... ok" line per passed test.
passed=$(grep -c '\.\.\. ok$' "$LOG" || true)
failed=$(grep -cE '\.\.\. (FAIL|ERROR)$' "$LOG" || true)
[ "$status" = ok ] || [ "$failed" -gt 0 ] || failed=1
result selftest "$status" "$passed" "$failed" 0 \
	"the checkers' self-tests (ktap.py on recorded logs, codegen.py, observer.py," \
	"disk.py, summary.py, api.py, doccheck.py, faults.py, hotplug.py):" \
	"$passed passed, $failed failed ($LOG)"
[ "$status" = ok ]
