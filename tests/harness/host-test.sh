#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests: the userspace tests in tests/host (a cargo package), run with
# cargo test and again under Miri with strict provenance; then the crate
# built as for a 32-bit kernel (stage host-32bit, below). All are skipped,
# with a note, until tests/host/Cargo.toml exists.

. "$(dirname "$0")/lib.sh"

MANIFEST=$TOP/tests/host/Cargo.toml
export CARGO_TARGET_DIR=$BUILD/host

# run_cargo STAGE WHAT CMD...: runs a cargo test command and records the sum
# of its "test result:" lines.
run_cargo() {
	local stage=$1 what=$2 log=$LOGS/$1.log status=ok passed failed skipped
	shift 2
	run_logged "$log" "$@" --manifest-path "$MANIFEST" || status=FAIL
	read -r passed failed skipped < <(counts "$log")
	# A build error fails the stage without any test counted as failed.
	[ "$status" = FAIL ] && [ "$failed" -eq 0 ] && failed=1
	result "$stage" "$status" "$passed" "$failed" "$skipped" \
		"$what: $passed passed, $failed failed, $skipped ignored ($log)"
	[ "$status" = ok ]
}

# "test result: ok. 3 passed; 0 failed; 1 ignored; ..." lines, summed.
counts() {
	awk '/^test result:/ { p += $4; f += $6; s += $8 }
		END { print p + 0, f + 0, s + 0 }' "$1"
}

if [ ! -f "$MANIFEST" ]; then
	result host-test skip 0 0 0 "no tests/host/Cargo.toml yet"
	result miri skip 0 0 0 "no tests/host/Cargo.toml yet"
	result host-32bit skip 0 0 0 "no tests/host/Cargo.toml yet"
	exit 0
fi

# The crate compiles ptr.rs from the pristine tree (see tests/host/build.rs).
KERNEL_SRC=$(pristine_tree)
export KERNEL_SRC

# Unit, model and compile-fail tests, then the doctests of our own sources.
# The kernel tree's own doctests (ptr.rs) assume the kernel's implicit
# prelude, so the doctest run is limited to rust/kernel/io*.
host_tests() {
	"$@" --features ui --lib --tests &&
		"$@" --doc -- rust/kernel/io
}
miri_tests() {
	"$@" --lib --tests &&
		"$@" --doc -- rust/kernel/io
}

# The crate as a 32-bit kernel builds its sources: CONFIG_64BIT unset
# (IO_HOST_CONFIG_64BIT=n, tests/host/build.rs), so no backend has a single
# 64-bit access. Its compile-fail cases show that none builds there, its pass
# cases that the split forms do, and the doctests of rust/kernel/io run their
# 32-bit twins. These are checks of another configuration of the sources,
# which the plain run cannot make: they count apart. Its own target
# directory keeps the two configurations from rebuilding each other.
host_tests_32bit() {
	IO_HOST_CONFIG_64BIT=n CARGO_TARGET_DIR=$BUILD/host-32bit "$@" --features ui --test ui &&
		IO_HOST_CONFIG_64BIT=n CARGO_TARGET_DIR=$BUILD/host-32bit "$@" --doc -- rust/kernel/io
}

# The probes of tests/host/examples/hole_*.rs: each is a driver that breaks
# the promise of one of the layer's `unsafe trait`s (IoBackend, IoCopyable),
# as 7.3 lets a driver do without `unsafe`, and then makes only safe calls.
# Miri must report undefined behaviour in each: that is the hole the
# `unsafe` closes. One check per probe; the verdicts are in LOGS/holes.log,
# each probe's output in LOGS/holes-<probe>.log.
holes() {
	local log=$LOGS/holes.log probe name out passed=0 failed=0
	: >"$log"
	for probe in "$TOP"/tests/host/examples/hole_*.rs; do
		name=$(basename "$probe" .rs)
		out=$LOGS/holes-$name.log
		if MIRIFLAGS=-Zmiri-strict-provenance cargo +nightly miri run -q \
			--manifest-path "$MANIFEST" --example "$name" >"$out" 2>&1; then
			echo "holes: FAIL $name: Miri found no undefined behaviour" | tee -a "$log" >&2
			failed=$((failed + 1))
		elif grep -q "^error: Undefined Behavior: " "$out"; then
			echo "holes: ok   $name: Miri reports $(grep -m1 -o 'Undefined Behavior: [^,]*' "$out")" |
				tee -a "$log" >&2
			passed=$((passed + 1))
		else
			echo "holes: FAIL $name: failed without a report of undefined behaviour" |
				tee -a "$log" >&2
			failed=$((failed + 1))
		fi
	done
	echo "$passed $failed"
}

status=0
# The same tests run twice are separate checks: each run counts (the
# summary says so).
run_cargo host-test "plain" host_tests cargo test || status=1
MIRIFLAGS=-Zmiri-strict-provenance run_cargo miri "the host tests again, under Miri" \
	miri_tests cargo +nightly miri test || status=1
run_cargo host-32bit "as for a 32-bit kernel (CONFIG_64BIT unset)" host_tests_32bit cargo test ||
	status=1
read -r h_passed h_failed < <(holes | tail -n1)
if [ "$h_failed" -eq 0 ] && [ "$h_passed" -gt 0 ]; then
	result holes ok "$h_passed" 0 0 "the holes the unsafe traits close, each reported by" \
		"Miri: $h_passed probes ($LOGS/holes.log)"
else
	result holes FAIL "$h_passed" "$h_failed" 0 "$h_failed of the probes of holes were not" \
		"reported by Miri ($LOGS/holes.log)"
	status=1
fi
exit "$status"
