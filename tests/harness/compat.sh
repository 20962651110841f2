#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Compatibility stage, after the kernel build and the boot: upstream code
# written against 7.3's kernel::io (the kernel crate, drm shmem, the stock
# rust_dma and rust_driver_pci samples, nova-core, tyr) was built unchanged
# against our layer, and the KUnit suites that exercise the layer at run time
# (rust_doctests_kernel, rust_drm_gem_shmem) passed. compat.py says exactly
# what each check proves, and which count; a missing client or suite fails.

. "$(dirname "$0")/lib.sh"

LOG=$CONFIG_LOGS/compat.log
mkdir -p "$CONFIG_LOGS"

compat() {
	local pristine
	pristine=$(pristine_tree) &&
		python3 -B "$HARNESS/compat.py" --project "$TOP" --pristine "$pristine" \
			--edits "$HARNESS/edits" --src "$SRC" --obj "$OBJ" \
			--suites "$BUILD/$BUILD_CONFIG/initramfs-default/suites" --kernel-result "$(result_file kernel)"
}

rc=0
compat >"$LOG" 2>&1 || rc=$?
# Every line is a finding, so the whole log is printed.
cat "$LOG"
# compat.py's last line: "compat: P passed, F failed (G gates held)". The
# layer and client checks count; the suite checks are gates (the boot counted
# those suites' cases), counted only when they fail.
read -r passed failed gates < <(sed -nE \
	's/^compat: ([0-9]+) passed, ([0-9]+) failed \(([0-9]+) gates held\)$/\1 \2 \3/p' "$LOG") || true
passed=${passed:-0} failed=${failed:-0} gates=${gates:-0}
clients=$(grep -cE '^compat: client +ok ' "$LOG" || true)
if [ "$rc" -eq 0 ]; then
	result compat ok "$passed" "$failed" 0 \
		"$clients clients built against our layer; $gates suites passed at boot" \
		"(gates: the boot counts their cases) ($LOG)"
else
	result compat FAIL "$passed" "$failed" 0 \
		"$failed compatibility checks failed (listed above; $LOG)"
fi
[ "$rc" -eq 0 ]
