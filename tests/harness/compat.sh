#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Compatibility stage, after the kernel build and the boot: upstream code
# written against 7.3's kernel::io (the kernel crate, drm shmem, the stock
# rust_dma and rust_driver_pci samples, nova-core, tyr) was built unchanged
# against our layer, and the KUnit suites that exercise the layer at run time
# (rust_doctests_kernel, rust_drm_gem_shmem) passed. compat.py says exactly
# what each check proves; a missing client or suite fails.

. "$(dirname "$0")/lib.sh"

LOG=$LOGS/compat.log
mkdir -p "$LOGS"

compat() {
	local pristine
	pristine=$(pristine_tree) &&
		python3 -B "$HARNESS/compat.py" --project "$TOP" --pristine "$pristine" \
			--edits "$HARNESS/edits" --src "$SRC" --obj "$OBJ" \
			--suites "$BUILD/initramfs/suites" --kernel-result "$RESULTS/kernel"
}

rc=0
compat >"$LOG" 2>&1 || rc=$?
# Every line is a finding, so the whole log is printed.
cat "$LOG"
# One line a check: "compat: KIND ok|FAIL NAME DETAIL".
passed=$(grep -cE '^compat: [a-z]+ +ok ' "$LOG" || true)
failed=$(grep -cE '^compat: [a-z]+ +FAIL ' "$LOG" || true)
clients=$(grep -cE '^compat: client +ok ' "$LOG" || true)
suites=$(grep -cE '^compat: suite +ok ' "$LOG" || true)
if [ "$rc" -eq 0 ]; then
	result compat ok "$passed" "$failed" 0 \
		"$clients clients built against our layer, $suites suites passed ($LOG)"
else
	[ "$failed" -gt 0 ] || failed=1
	result compat FAIL "$passed" "$failed" 0 \
		"$failed of $((passed + failed)) compatibility checks failed (listed above; $LOG)"
fi
[ "$rc" -eq 0 ]
