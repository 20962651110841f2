#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# No-copied-code stage: the matcher's self-tests (copycheck_test.py), then
# copycheck.py over every file under rust/ and the text of every scripted
# edit, against upstream 7.3's I/O files in the pristine tree. Each run of six
# or more identical lines is printed and counts as one failure; see
# copycheck.py for the exact rule.
#
# The self-tests count once each. The check itself is a gate: it counts
# nothing when no run is found.

. "$(dirname "$0")/lib.sh"

LOG=$LOGS/copycheck.log
mkdir -p "$LOGS"

selftest() {
	(cd "$HARNESS" && python3 -B -m unittest -v copycheck_test)
}

check() {
	local pristine
	pristine=$(pristine_tree) &&
		python3 -B "$HARNESS/copycheck.py" --pristine "$pristine" --project "$TOP" \
			--edits "$HARNESS/edits"
}

status=ok
tests_passed=0 tests_failed=0
if ! run_logged "$LOGS/copycheck-selftest.log" selftest; then
	status=FAIL
fi
# unittest -v prints one "... ok" line per passed test.
tests_passed=$(grep -c '\.\.\. ok$' "$LOGS/copycheck-selftest.log" || true)
tests_failed=$(grep -cE '\.\.\. (FAIL|ERROR)$' "$LOGS/copycheck-selftest.log" || true)
[ "$status" = ok ] || [ "$tests_failed" -gt 0 ] || tests_failed=1

# The check's output is the finding itself: print it whole, not a tail.
rc=0
check >"$LOG" 2>&1 || rc=$?
cat "$LOG"
hits=$(grep -c '^copycheck: HIT ' "$LOG" || true)
if [ "$rc" -ne 0 ]; then
	status=FAIL
	# A failure without a hit is the check itself failing (no tree, say).
	[ "$hits" -gt 0 ] || hits=1
fi

if [ "$rc" -eq 0 ]; then
	what="no copied upstream I/O code"
elif grep -q '^copycheck: HIT ' "$LOG"; then
	what="$hits run(s) of 6+ lines identical to upstream 7.3's I/O files (listed above)"
else
	what="the check did not run; see $LOG"
fi
result copycheck "$status" "$tests_passed" "$((tests_failed + hits))" 0 \
	"$what; matcher self-tests: $tests_passed passed, $tests_failed failed ($LOG)"
[ "$status" = ok ]
