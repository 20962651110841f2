#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Lint gates, run after the kernel and module builds:
#   rustfmt  the kernel's `make rustfmtcheck` over the overlaid tree, plus
#            rustfmt --check on our out-of-tree modules with the kernel's
#            .rustfmt.toml (formatting does not depend on the configuration:
#            run once);
#   clippy   the warnings that BUILD_CONFIG's CLIPPY=1 builds left beside each
#            object (its own rustc's clippy: run per configuration).
# Each fails only on findings in our own files (see lint.py).
#
# Usage: lint.sh [rustfmt|clippy|all]   (default all)

. "$(dirname "$0")/lib.sh"

LOG=$LOGS/rustfmt.log
lint() {
	python3 "$HARNESS/lint.py" --top "$TOP" --src "$SRC" --obj "$OBJ" \
		--modules "$MODULES_OUT" "$@"
}

# Our module sources, outside build outputs and cargo targets.
module_sources() {
	local d
	for d in "$TOP/samples" "$TOP/tests"; do
		[ -d "$d" ] || continue
		# tests/host/src/lib.rs is skipped: see the comment in that file.
		find "$d" -name target -prune -o -name '*.rs' -print |
			{ grep -vxF "$TOP/tests/host/src/lib.rs" || true; }
	done
	return 0
}

rustfmt_gate() {
	{
		kmake rustfmtcheck || true
		module_sources | xargs -r rustfmt --check --edition 2021 \
			--config-path "$SRC/.rustfmt.toml" || true
	} >"$LOG" 2>&1
	if lint rustfmt "$LOG"; then
		result rustfmt ok 0 0 0 "no formatting findings in our files ($LOG)"
	else
		result rustfmt FAIL 0 1 0 "our files are not rustfmt-clean; see above"
		return 1
	fi
}

clippy_gate() {
	if lint clippy; then
		result clippy ok 0 0 0 "no clippy warnings in our files ($BUILD_CONFIG)"
	else
		result clippy FAIL 0 1 0 "clippy warnings in our files ($BUILD_CONFIG); see above"
		return 1
	fi
}

status=0
case ${1:-all} in
rustfmt) rustfmt_gate || status=1 ;;
clippy) clippy_gate || status=1 ;;
all)
	rustfmt_gate || status=1
	clippy_gate || status=1
	;;
*)
	echo "usage: lint.sh [rustfmt|clippy|all]" >&2
	exit 2
	;;
esac
exit "$status"
