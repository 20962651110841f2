# SPDX-License-Identifier: GPL-2.0
#
# Shared settings and helpers for the harness scripts. Sourced, never run.
#
# Every path the harness uses is defined here, so the stage scripts agree on
# where the pristine tree, the overlaid tree and the outputs live.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HARNESS=$TOP/tests/harness
BUILD=${BUILD:-$TOP/build}
STAMPS=$BUILD/stamps
LOGS=$BUILD/logs
RESULTS=$BUILD/results

# Build configurations. The stages of CONFIG_STAGES build and test one
# configuration, and record their results per configuration, in
# RESULTS/<config>/<stage>; the other stages do not depend on it and record
# theirs in RESULTS/<stage>. The summary has one line per configuration and
# stage. Only x86_64-gcc exists so far: the gcc-built x86_64 kernel that
# every stage uses (BUILD_CONFIG names it; it does not choose a build yet).
BUILD_CONFIGS=(x86_64-gcc)
BUILD_CONFIG=${BUILD_CONFIG:-x86_64-gcc}
CONFIG_STAGES=(kernel modules clippy codegen boot compat)
case " ${BUILD_CONFIGS[*]} " in
*" $BUILD_CONFIG "*) ;;
*)
	echo "harness: unknown configuration BUILD_CONFIG=$BUILD_CONFIG (known: ${BUILD_CONFIGS[*]})" >&2
	exit 1
	;;
esac

# The kernel: a pristine tree (downloaded, or the user's KDIR), an overlaid
# copy of it that kbuild compiles (SRC), and the output directory (OBJ).
KERNEL_PACKAGE=linux-source-7.3
PRISTINE_DIR=$BUILD/src
SRC=$BUILD/linux
OBJ=$BUILD/obj
MODULES_OUT=$BUILD/modules

# In-tree modules that tests/config/kunit.config builds only to prove that
# they compile against our layer: drivers for hardware that the QEMU machine
# does not have. The boot leaves them out; the compat stage checks them.
# Paths are relative to OBJ.
BUILD_ONLY_MODULES=(drivers/gpu/nova-core.ko drivers/gpu/drm/tyr/tyr.ko)

JOBS=${JOBS:-$(nproc)}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
LOG_TAIL=${LOG_TAIL:-40}

export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
export PATH=$HOME/.cargo/bin:$PATH

# kbuild variables for every build, kernel and external modules alike, so
# kbuild sees the same command lines each run and stays incremental.
# CLIPPY=1 makes clippy-driver compile all the Rust code; our wrapper keeps
# each unit's diagnostics beside its object for the lint gate.
KBUILD_VARS=(-j"$JOBS" CLIPPY=1 CLIPPY_DRIVER="$HARNESS/clippy-driver")

# The kernel's make, building out of tree into OBJ.
kmake() {
	make -C "$SRC" O="$OBJ" "${KBUILD_VARS[@]}" "$@"
}

# The pristine kernel tree: KDIR if the user gave one, else the unpacked
# Debian source recorded by the set-up.
pristine_tree() {
	if [ -n "${KDIR:-}" ]; then
		(cd "$KDIR" && pwd)
	elif [ -f "$STAMPS/kernel-source" ]; then
		cat "$STAMPS/kernel-source"
	else
		echo "harness: no kernel tree yet; run 'make setup'" >&2
		return 1
	fi
}

note() { printf 'harness: %s\n' "$*"; }

# config_stage STAGE: whether STAGE's result is per configuration.
config_stage() {
	case " ${CONFIG_STAGES[*]} " in *" $1 "*) return 0 ;; esac
	return 1
}

# result_file STAGE: where STAGE's result is recorded.
result_file() {
	if config_stage "$1"; then
		echo "$RESULTS/$BUILD_CONFIG/$1"
	else
		echo "$RESULTS/$1"
	fi
}

# result STAGE STATUS PASSED FAILED SKIPPED MESSAGE
# Records one stage's outcome for the summary and prints its result line.
# PASSED, FAILED and SKIPPED count distinct checks, each once in the whole
# run (Documentation/testing.rst): a gate, a stage without test cases of
# its own, records 0 0 0 when it holds. A stage that fails always records at
# least one failure, so that the summary never reads "0 failed" after a
# failed run.
result() {
	local stage=$1 status=$2 passed=$3 failed=$4 skipped=$5 file
	shift 5
	[ "$status" != FAIL ] || [ "$failed" -gt 0 ] || failed=1
	file=$(result_file "$stage")
	mkdir -p "$(dirname "$file")"
	printf '%s %s %s %s %s\n' "$status" "$passed" "$failed" "$skipped" "$*" >"$file"
	printf '%-10s %-4s %s\n' "$stage:" "$status" "$*"
}

# run_logged LOG CMD...: runs CMD with its output in LOG. On failure prints
# the tail of LOG and returns CMD's status. CMD runs with set -e off (bash
# ignores it on the left of ||), so a function given as CMD must chain its
# steps with && for a failed step to stop it.
run_logged() {
	local log=$1 rc=0
	shift
	mkdir -p "$(dirname "$log")"
	"$@" >"$log" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || show_tail "$log"
	return "$rc"
}

# show_tail LOG: the last LOG_TAIL lines of a failed stage's log.
show_tail() {
	echo "---- last $LOG_TAIL lines of $1 ----"
	tail -n "$LOG_TAIL" "$1"
	echo "---- end of $1 ----"
}
