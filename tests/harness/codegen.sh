#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Codegen stage: build tests/bench (the modules its Kbuild lists: the I/O
# probes and their C twins among them) against our kernel into
# build/bench/ours, and check the code generated for each probe's access with
# codegen.py: no calls and the C accessor's instruction count per MMIO
# access, and the other rules listed there. Deterministic: it counts
# instructions and never times anything.
#
# tests/bench is built on its own, not through ./Kbuild, so that the boot of
# `make test` never loads these modules. Its rustfmt findings are the lint
# stage's; its clippy findings are checked here, since lint.py only reads the
# diagnostics under build/modules.

. "$(dirname "$0")/lib.sh"

BENCH_SRC=$TOP/tests/bench
BENCH_OUT=$BUILD/$BUILD_CONFIG/bench
LOG=$CONFIG_LOGS/codegen.log

build() {
	mkdir -p "$BENCH_OUT/ours" &&
		make -C "$OBJ" M="$BENCH_SRC" MO="$BENCH_OUT/ours" "${KBUILD_VARS[@]}" modules
}

# The diagnostics the clippy-driver wrapper kept for the bench crates.
clippy_findings() {
	find "$BENCH_OUT/ours" -name '*.clippy' -exec grep -hE -A12 '^(warning|error)(\[\S+\])?: ' {} + |
		grep -vE '^(warning|error): [0-9]+ (warning|error)s? emitted' || true
}

checks() {
	local findings
	findings=$(clippy_findings)
	if [ -n "$findings" ]; then
		echo "$findings"
		echo "codegen: clippy warnings in tests/bench"
		return 1
	fi
	local mode=()
	# With the C helpers inlined into Rust, the accessors are C's own: every
	# probe must match C's code exactly, at every offset. Where the layer has
	# no inline accessors (io/mmio.rs: not x86-64 or arm64, or UML, or arm64
	# tracing MMIO), each access must call the C accessor's helper.
	if has_option CONFIG_RUST_INLINE_HELPERS; then
		mode=(--exact)
	elif ! { has_option CONFIG_X86_64 && ! has_option CONFIG_UML; } &&
		! { has_option CONFIG_ARM64 && ! has_option CONFIG_TRACE_MMIO_ACCESS; }; then
		mode=(--helpers)
	fi
	# The kernel image, for the size of the helpers an access calls.
	[ ! -f "$OBJ/vmlinux" ] || mode+=(--ours-kernel "$OBJ/vmlinux")
	python3 "$HARNESS/codegen.py" probes --check "${mode[@]}" --out "$BENCH_OUT/codegen" \
		--ours "$BENCH_OUT/ours/io_probes.ko" --c "$BENCH_OUT/ours/io_probes_c.ko"
}

# has_option CONFIG_X: whether the configuration sets CONFIG_X=y.
has_option() {
	grep -qx "$1=y" "$OBJ/.config"
}

if ! run_logged "$LOG" build; then
	result codegen FAIL 0 1 0 "tests/bench failed to build; full log in $LOG"
	exit 1
fi
status=ok
rm -f "$BENCH_OUT/codegen.json"
checks >>"$LOG" 2>&1 || status=FAIL
read -r passed failed known < <(python3 -c '
import json, sys
try:
    c = json.load(open(sys.argv[1]))["check"]
    print(c["passed"], c["failed"], c["skipped"])
except (OSError, KeyError, ValueError):
    print(0, 1, 0)' "$BENCH_OUT/codegen.json")
[ "$status" = ok ] || { [ "$failed" -gt 0 ] || failed=1; show_tail "$LOG"; }
# Known failures in one line (details in codegen.txt); a NOTE asks for a fix.
if [ "$known" -gt 0 ]; then
	note "codegen: known failures (KNOWN in codegen.py): $(grep '^KNOWN ' "$BENCH_OUT/codegen.txt" |
		cut -d' ' -f2 | tr -d : | sort -u | paste -sd' ' -)"
fi
grep '^NOTE ' "$BENCH_OUT/codegen.txt" || true
result codegen "$status" "$passed" "$failed" "$known" \
	"$passed checks passed, $failed failed, $known known failures ($BENCH_OUT/codegen.txt)"
[ "$status" = ok ]
