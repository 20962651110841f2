#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The um configuration, through the kernel's own KUnit runner,
# tools/testing/kunit/kunit.py, as kernel developers run KUnit:
#
#   kunit.sh build   stage kernel: lay the overlay over the tree, then
#                    `kunit.py build` with tests/config/um.kunitconfig into
#                    build/um/obj (kunit.py configures it, adding its UML
#                    defaults, and builds the UML kernel). A gate.
#   kunit.sh exec    stage kunit: `kunit.py exec` runs the kernel and parses
#                    its KTAP with kunit_parser.py. The stage's counts are
#                    kunit.py's own summary line ("Ran N tests: passed: P,
#                    ..."), split by owner with its --json results: the
#                    stock suites of tests/expect/um/stock.expect (owner
#                    upstream) and the doctests of files that are not ours
#                    are upstream's (stage upstream), the rest ours (stage
#                    kunit). ktap.py checks the same KTAP against
#                    tests/expect/um/*.expect (a gate: every expected suite
#                    ran with exactly its cases, and nothing else ran).
#
# The codegen stage then builds tests/bench against build/um/obj.

. "$(dirname "$0")/lib.sh"

KUNIT_PY=$SRC/tools/testing/kunit/kunit.py
KUNITCONFIG=$CONFIG_DIR/um.kunitconfig
# The toolchain of the configuration, as kernel.sh passes it to kbuild.
MAKE_OPTIONS=(--make_options "CC=$KCC" --make_options "HOSTCC=$KCC"
	--make_options "RUSTC=$RUST_BIN/rustc" --make_options "RUSTDOC=$RUST_BIN/rustdoc"
	--make_options "HOSTRUSTC=$RUST_BIN/rustc")
[ -z "$CFG_LLVM" ] || MAKE_OPTIONS+=(--make_options "LLVM=$CFG_LLVM")

build() {
	local pristine
	pristine=$(pristine_tree) &&
		python3 "$HARNESS/overlay.py" --pristine "$pristine" --work "$SRC" \
			--project "$TOP" --edits "$HARNESS/edits" &&
		mkdir -p "$OBJ" &&
		python3 "$KUNIT_PY" build --build_dir "$OBJ" --kunitconfig "$KUNITCONFIG" \
			--jobs "$JOBS" "${MAKE_OPTIONS[@]}"
}

stage_build() {
	local log=$CONFIG_LOGS/kernel.log start=$SECONDS
	mkdir -p "$CONFIG_LOGS"
	if run_logged "$log" build; then
		result kernel ok 0 0 0 "kunit.py build ($KUNITCONFIG) in $((SECONDS - start)) s ($log)"
	else
		result kernel FAIL 0 1 0 "kunit.py build failed; full log in $log"
		return 1
	fi
}

stage_exec() {
	local log=$CONFIG_LOGS/kunit.log json=$BUILD/$BUILD_CONFIG/kunit.json status=ok
	local split raw=$OBJ/test.log
	rm -f "$json" "$raw"
	python3 "$KUNIT_PY" exec --build_dir "$OBJ" --timeout "$BOOT_TIMEOUT" \
		--json="$json" >"$log" 2>&1 || status=FAIL
	# kunit.py's own summary, and its results split by owner.
	split=$(python3 -B "$HARNESS/kunit_result.py" --log "$log" --json "$json" \
		--upstream-expect "$TOP/tests/expect/um/stock.expect" \
		--ours-doctests <(cd "$TOP" && find rust -name '*.rs' | sort)) || status=FAIL
	echo "$split"
	# The expectations, on the KTAP kunit.py ran on (a gate).
	if ! python3 -B "$HARNESS/ktap.py" --log "$raw" --kernel-tree "$(pristine_tree)" \
		--config "$BUILD_CONFIG" --arch "$CFG_ARCH" --kunit-only \
		--ours-doctests <(cd "$TOP" && find rust -name '*.rs' | sort) \
		"$TOP"/tests/expect/um/*.expect; then
		status=FAIL
	fi
	read -r passed failed skipped u_passed u_failed u_skipped < <(
		sed -n 's/^counts: //p' <<<"$split")
	if [ -z "${u_skipped:-}" ]; then
		passed=0 failed=1 skipped=0 u_passed=0 u_failed=1 u_skipped=0
	fi
	[ "$status" = ok ] || show_tail "$log"
	result kunit "$([ "$status" = ok ] && [ "$failed" -eq 0 ] && echo ok || echo FAIL)" \
		"$passed" "$failed" "$skipped" \
		"ours, by kunit.py: $passed passed, $failed failed, $skipped skipped ($log)"
	result upstream "$([ "$u_failed" -eq 0 ] && echo ok || echo FAIL)" \
		"$u_passed" "$u_failed" "$u_skipped" \
		"upstream's stock suites, by kunit.py in the same run: $u_passed passed," \
		"$u_failed failed, $u_skipped skipped"
	[ "$status" = ok ]
}

case ${1:-} in
build) stage_build ;;
exec) stage_exec ;;
*)
	echo "usage: kunit.sh build|exec" >&2
	exit 2
	;;
esac
