#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The summary of `make test`, from the results the stages recorded in
# build/results/ (lib.sh's result()): one line per stage, and per
# configuration for the stages of CONFIG_STAGES, each with its own passed,
# failed and skipped counts; then the totals, computed from those printed
# lines only, so the lines always add up to them. The last line is
# "N passed, N failed". Exit status 1 if a stage failed or a check did.

. "$(dirname "$0")/lib.sh"

# The stages in the order test.sh runs them.
STAGES=(kernel modules rustfmt clippy codegen copycheck docs host-test miri selftest boot observer boot-q35 compat)

# Every recorded result as "KEY STATUS PASSED FAILED SKIPPED MESSAGE", KEY
# being "<config>/<stage>" or "<stage>", in stage order; then any result
# file that the stage list misses, under its path, so that nothing recorded
# is left out of the totals.
recorded_results() {
	local stage config file key
	local -A listed=()
	for stage in "${STAGES[@]}"; do
		if config_stage "$stage"; then
			for config in "${BUILD_CONFIGS[@]}"; do
				key=$config/$stage
				file=$RESULTS/$key
				[ -f "$file" ] && printf '%s %s\n' "$key" "$(cat "$file")"
				listed[$key]=1
			done
		else
			file=$RESULTS/$stage
			[ -f "$file" ] && printf '%s %s\n' "$stage" "$(cat "$file")"
			listed[$stage]=1
		fi
	done
	[ -d "$RESULTS" ] || return 0
	find "$RESULTS" -type f -printf '%P\n' | sort | while read -r key; do
		[ -n "${listed[$key]:-}" ] || printf '%s %s\n' "$key" "$(cat "$RESULTS/$key")"
	done
}

echo "==== summary ===="
# The totals are the sums of the lines printed above them, computed from
# those same lines.
recorded_results | awk '
	BEGIN { printf "%-20s %-4s %7s %7s %8s\n", "stage", "", "passed", "failed", "skipped" }
	{
		key = $1; status = $2; p = $3; f = $4; s = $5
		message = $0
		sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+ ?/, "", message)
		if (p !~ /^[0-9]+$/ || f !~ /^[0-9]+$/ || s !~ /^[0-9]+$/) {
			message = "malformed result: " $0
			status = "FAIL"; p = 0; f = 1; s = 0
		}
		# As result() records it: a stage that failed counts a failure.
		if (status == "FAIL" && f == 0)
			f = 1
		printf "%-20s %-4s %7d %7d %8d  %s\n", key, status, p, f, s, message
		passed += p; failed += f; skipped += s
		if (status == "FAIL") bad = 1
		stage = key; sub(/.*\//, "", stage)
		seen[stage] = 1
	}
	END {
		printf "%-20s %-4s %7d %7d %8d\n", "total", (bad || failed) ? "FAIL" : "ok",
			passed, failed, skipped
		if (seen["host-test"] && seen["miri"])
			print "host-test and miri run the same host tests, plain and under Miri: both runs count."
		if (skipped) print skipped " skipped"
		print passed " passed, " failed " failed"
		exit bad || failed
	}'
