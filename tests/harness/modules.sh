#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# External modules stage: build samples/ and tests/ against the built kernel
# the way an out-of-tree driver author does (make -C <kernel> M=<dir>), with
# the outputs in build/modules (MO=) instead of the source directories.

. "$(dirname "$0")/lib.sh"

LOG=$CONFIG_LOGS/modules.log

build() {
	mkdir -p "$MODULES_OUT" &&
		make -C "$OBJ" M="$TOP" MO="$MODULES_OUT" "${KBUILD_VARS[@]}" modules
}

if run_logged "$LOG" build; then
	count=$(grep -c . "$MODULES_OUT/modules.order" || true)
	result modules ok 0 0 0 "$count out-of-tree modules ($LOG)"
else
	result modules FAIL 0 1 0 "external module build failed; full log in $LOG"
	exit 1
fi
