#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The summary of `make test` (summary.py), from the results the stages
# recorded in build/results/ (lib.sh's result()). It knows which results the
# run must have: the stages of the whole run (RUN_STAGES below), and for
# each configuration of CONFIGS the stages its .conf lists (CFG_STAGES), so
# that a stage that aborted before recording a result fails the run instead
# of dropping out of it. The last line is "N passed, N failed"; the exit
# status is summary.py's.

. "$(dirname "$0")/lib.sh"

# The stages that run once, whatever the configurations, with their kinds.
RUN_STAGES=(copycheck:test host-test:test miri:test holes:test host-32bit:test selftest:test rustfmt:gate
	docs:gate)

required=("${RUN_STAGES[@]}")
for config in "${BUILD_CONFIGS[@]}"; do
	while read -r stage; do
		required+=("$config/$stage")
	done < <(config_stages "$config")
done
python3 -B "$HARNESS/summary.py" --results "$RESULTS" "${required[@]}"
