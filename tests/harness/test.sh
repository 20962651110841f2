#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make test`: every stage in order, going on past a failure wherever the
# later stages still mean something, then a summary. Each stage records its
# result in build/results/; the last line printed is "N passed, N failed".

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

echo "==== summary ===="
for stage in kernel modules rustfmt clippy codegen copycheck docs host-test miri ktap boot compat; do
	[ -f "$RESULTS/$stage" ] || continue
	read -r status _ _ _ message <"$RESULTS/$stage"
	printf '%-10s %-4s %s\n' "$stage:" "$status" "$message"
done
cat "$RESULTS"/* | awk '
	{ passed += $2; failed += $3; skipped += $4; if ($1 == "FAIL") bad = 1 }
	END {
		if (skipped) print skipped " skipped"
		print passed " passed, " failed " failed"
		exit bad || failed
	}'
