#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Compatibility stage, after the kernel build and the boot: upstream code
# written against 7.3's kernel::io (the kernel crate, drm shmem, the stock
# rust_dma and rust_driver_pci samples, nova-core, tyr: those of them that the
# configuration's .conf lists in CFG_CLIENTS) was built unchanged against our
# layer, and the KUnit suites that exercise the layer at run time
# (rust_doctests_kernel, and rust_drm_gem_shmem with drm shmem) passed. In
# the configuration whose kernel crate the docs stage documented (lib.sh's
# docs_config), also: the guide's
# compatibility chapter lists exactly the API diff between our kernel::io and
# 7.3's, computed from the rustdoc JSON of our kernel crate and of 7.3's,
# documented against the same build (api.py). compat.py says what each check
# proves. Every check is a gate: a missing client, suite or API fails.

. "$(dirname "$0")/lib.sh"

LOG=$CONFIG_LOGS/compat.log
API=$BUILD/$BUILD_CONFIG/api
mkdir -p "$CONFIG_LOGS"

# The rustdoc JSON of both kernel crates, with kbuild's own rustdoc command
# for `make rustdoc` (recorded in OBJ/.rustdoc-kernel.cmd by the docs stage).
api_json() {
	local pristine
	pristine=$(pristine_tree) &&
		mkdir -p "$API" &&
		python3 -B "$HARNESS/api.py" json --cmd "$OBJ/.rustdoc-kernel.cmd" \
			--lib "$SRC/rust/kernel/lib.rs" --out "$API/ours.json" &&
		python3 -B "$HARNESS/api.py" json --cmd "$OBJ/.rustdoc-kernel.cmd" \
			--lib "$pristine/rust/kernel/lib.rs" --out "$API/upstream.json"
}

compat() {
	local pristine api=()
	if [ "$BUILD_CONFIG" = "$(docs_config)" ]; then
		rm -f "$API/ours.json" "$API/upstream.json"
		api_json || echo "compat: the rustdoc JSON of the two kernel crates could not be made"
		api=(--api-ours "$API/ours.json" --api-upstream "$API/upstream.json"
			--chapter "$TOP/Documentation/io/compatibility.rst")
	fi
	pristine=$(pristine_tree) &&
		python3 -B "$HARNESS/compat.py" --project "$TOP" --pristine "$pristine" \
			--edits "$HARNESS/edits" --src "$SRC" --obj "$OBJ" \
			--suites "$BUILD/$BUILD_CONFIG/initramfs-default/suites" \
			--kernel-result "$(result_file kernel)" --clients "${CFG_CLIENTS[@]}" "${api[@]}"
}

rc=0
compat >"$LOG" 2>&1 || rc=$?
# Every line is a finding, so the whole log is printed.
cat "$LOG"
# compat.py's last line: "compat: N gates held, F failed".
read -r held failed < <(sed -nE 's/^compat: ([0-9]+) gates held, ([0-9]+) failed$/\1 \2/p' "$LOG") ||
	true
held=${held:-0} failed=${failed:-0}
if [ "$rc" -eq 0 ] && [ "$held" -gt 0 ]; then
	result compat ok 0 0 0 "$held gates held: our layer in the tree, 7.3's users built" \
		"against it, their suites passed at boot" \
		"($LOG)"
else
	result compat FAIL 0 "$failed" 0 "$failed compatibility gates failed (listed above; $LOG)"
fi
[ "$rc" -eq 0 ]
