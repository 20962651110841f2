#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make test`: every stage in order, going on past a failure wherever the
# later stages still mean something, then the summary (summary.sh). Each
# stage records its result in build/results/ (lib.sh's result()). The last
# line printed is "N passed, N failed"; the exit status is summary.sh's.

. "$(dirname "$0")/lib.sh"

rm -rf "$RESULTS"
if "$HARNESS/kernel.sh"; then
	built=ok
	"$HARNESS/modules.sh" || built=
	"$HARNESS/lint.sh" || true
	"$HARNESS/codegen.sh" || true
else
	built=
fi
"$HARNESS/copycheck.sh" || true
if [ -n "$built" ]; then
	"$HARNESS/docs.sh" || true
else
	"$HARNESS/docs.sh" --guide-only || true
fi
"$HARNESS/host-test.sh" || true
"$HARNESS/ktap-test.sh" || true
if [ -n "$built" ]; then
	"$HARNESS/boot.sh" test || true
else
	result boot FAIL 0 1 0 "not booted: the build failed"
fi
# Also after a failed build: it names the clients that were not built.
"$HARNESS/compat.sh" || true

"$HARNESS/summary.sh"
