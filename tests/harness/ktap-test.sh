#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# KTAP checker stage: the self-tests of ktap.py, the boot log checker
# (ktap_test.py), on the recorded log excerpts of testdata/ktap/: a passing
# log, a crashed suite, a missing suite, plans that do not match their
# results, a skipped suite, an oops after the last suite, too few cases, ...
# Each test asserts the checker's verdict, its counts and the exact problems
# it reports, and counts once. Needs no kernel build, only the pristine tree
# whose kunit_parser.py ktap.py uses.

. "$(dirname "$0")/lib.sh"

LOG=$LOGS/ktap-test.log

selftest() {
	local tree
	tree=$(pristine_tree) &&
		(cd "$HARNESS" && KTAP_KERNEL_TREE=$tree python3 -B -m unittest -v ktap_test)
}

status=ok
run_logged "$LOG" selftest || status=FAIL
# unittest -v prints one "... ok" line per passed test.
passed=$(grep -c '\.\.\. ok$' "$LOG" || true)
failed=$(grep -cE '\.\.\. (FAIL|ERROR)$' "$LOG" || true)
[ "$status" = ok ] || [ "$failed" -gt 0 ] || failed=1
result ktap "$status" "$passed" "$failed" 0 \
	"checker self-tests on recorded logs: $passed passed, $failed failed ($LOG)"
[ "$status" = ok ]
