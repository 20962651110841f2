#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel stage, for BUILD_CONFIG: lay the overlay over the pristine tree,
# configure (tinyconfig plus the configuration's fragments from tests/config,
# only when one of them changed) and build the kernel image and the in-tree
# modules out of tree in build/<config>/obj.

. "$(dirname "$0")/lib.sh"

LOG=$CONFIG_LOGS/kernel.log
FRAGMENTS=()
for f in "${CFG_FRAGMENTS[@]}"; do
	FRAGMENTS+=("$CONFIG_DIR/$f.config")
done

# A different pristine tree means everything built so far, in every
# configuration, is stale.
reset_if_tree_changed() {
	local pristine=$1
	if [ "$(cat "$STAMPS/tree" 2>/dev/null)" != "$pristine" ]; then
		rm -rf "$SRC" "${ALL_CONFIGS[@]/#/$BUILD/}" "$STAMPS"/config-*
		echo "$pristine" >"$STAMPS/tree"
	fi
}

# The options the merged fragments ask for: every "CONFIG_X=..." and
# "# CONFIG_X is not set" line, a later fragment's line for an option
# replacing an earlier one's, as merge_config.sh merges them.
wanted_options() {
	awk '
		match($0, /^CONFIG_[A-Za-z0-9_]+=/) { name = substr($0, 1, RLENGTH - 1) }
		match($0, /^# CONFIG_[A-Za-z0-9_]+ is not set$/) { name = $2 }
		name != "" { want[name] = $0; name = "" }
		END { for (n in want) print want[n] }
	' "${FRAGMENTS[@]}" | sort -u
}

# Every option the fragments ask for must hold in the final .config.
check_config() {
	local missing
	missing=$(wanted_options | comm -23 - <(sort -u "$OBJ/.config"))
	if [ -n "$missing" ]; then
		echo "harness: these fragment options are not in $OBJ/.config" \
			"(dropped by olddefconfig: missing or unmet dependencies):"
		echo "$missing"
		return 1
	fi
}

# run_logged runs build with set -e off, so each step is chained with &&.
configure() {
	local want stamp=$STAMPS/config-$BUILD_CONFIG
	want=$(cat "${FRAGMENTS[@]}" "$SRC/Makefile" <(printf '%s\n' "${KBUILD_VARS[@]}") |
		sha256sum | cut -d' ' -f1)
	if [ -f "$OBJ/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		return
	fi
	mkdir -p "$OBJ" &&
		kmake tinyconfig &&
		"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "${FRAGMENTS[@]}" &&
		kmake olddefconfig &&
		check_config &&
		kmake rustavailable &&
		echo "$want" >"$stamp"
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

# ccache's hit and miss counts so far, as "HITS MISSES".
ccache_counts() {
	ccache --print-stats 2>/dev/null | awk '
		$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { h += $2 }
		$1 == "cache_miss" { m += $2 }
		END { print h + 0, m + 0 }'
}

start=$SECONDS
read -r hits0 misses0 < <(ccache_counts)
if run_logged "$LOG" build; then
	steps=$(grep -cE '^  (CC|AS|CLIPPY|RUSTC|RUSTDOC|BINDGEN|LD|AR) ' "$LOG" || true)
	read -r hits misses < <(ccache_counts)
	grep '^overlay: ' "$LOG" || true
	result kernel ok 0 0 0 "$steps compile/link steps in $((SECONDS - start)) s," \
		"ccache: $((hits - hits0)) hits, $((misses - misses0)) misses ($LOG)"
else
	result kernel FAIL 0 1 0 "kernel build failed; full log in $LOG"
	exit 1
fi
