#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel stage: lay the overlay over the pristine tree, configure (tinyconfig
# plus tests/config/kunit.config, only when either changed) and build
# vmlinux, bzImage and the in-tree modules out of tree in build/obj.

. "$(dirname "$0")/lib.sh"

FRAGMENT=$TOP/tests/config/kunit.config
LOG=$LOGS/kernel.log

# A different pristine tree means everything built so far is stale.
reset_if_tree_changed() {
	local pristine=$1
	if [ "$(cat "$STAMPS/tree" 2>/dev/null)" != "$pristine" ]; then
		rm -rf "$SRC" "$OBJ" "$MODULES_OUT" "$STAMPS/config"
		echo "$pristine" >"$STAMPS/tree"
	fi
}

# Every CONFIG_ line of the fragment must hold in the final .config.
check_config() {
	local missing
	missing=$(grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' \
		"$FRAGMENT" | sort -u | comm -23 - <(sort -u "$OBJ/.config"))
	if [ -n "$missing" ]; then
		echo "harness: these fragment options are not in $OBJ/.config" \
			"(dropped by olddefconfig: missing or unmet dependencies):"
		echo "$missing"
		return 1
	fi
}

# run_logged runs build with set -e off, so each step is chained with &&.
configure() {
	local want
	want=$(cat "$FRAGMENT" "$SRC/Makefile" | sha256sum | cut -d' ' -f1)
	if [ -f "$OBJ/.config" ] && [ "$(cat "$STAMPS/config" 2>/dev/null)" = "$want" ]; then
		return
	fi
	kmake tinyconfig &&
		"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "$FRAGMENT" &&
		kmake olddefconfig &&
		check_config &&
		kmake rustavailable &&
		echo "$want" >"$STAMPS/config"
}

build() {
	local pristine
	pristine=$(pristine_tree) &&
		reset_if_tree_changed "$pristine" &&
		python3 "$HARNESS/overlay.py" --pristine "$pristine" --work "$SRC" \
			--project "$TOP" --edits "$HARNESS/edits" &&
		configure &&
		kmake all
}

start=$SECONDS
if run_logged "$LOG" build; then
	steps=$(grep -cE '^  (CC|AS|CLIPPY|RUSTC|RUSTDOC|BINDGEN|LD|AR) ' "$LOG" || true)
	grep '^overlay: ' "$LOG" || true
	result kernel ok 0 0 0 "$steps compile/link steps in $((SECONDS - start)) s ($LOG)"
else
	result kernel FAIL 0 1 0 "kernel build failed; full log in $LOG"
	exit 1
fi
