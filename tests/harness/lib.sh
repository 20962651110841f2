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

export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
export PATH=$HOME/.cargo/bin:$PATH

# The Rust toolchains, pinned so that a run does not change when a new
# stable release comes out (compile-fail expectations and lints follow the
# compiler's wording): RUST_STABLE for the host tests, rustfmt and the
# configurations that build with a current rustc, RUST_MINIMUM (7.3's
# minimum for x86_64, arm64 and arm) for the others, and nightly for Miri. Every
# cargo, rustc and rustfmt run by the harness without an explicit toolchain
# is RUST_STABLE's.
RUST_STABLE=1.95.0
RUST_MINIMUM=1.85.0
export RUSTUP_TOOLCHAIN=$RUST_STABLE

# Build configurations: tests/config/configs lists them, each described by
# tests/config/<name>.conf (architecture, compilers, kernel config
# fragments). CONFIGS (a space-separated list, from `make test CONFIGS=...`)
# narrows them; BUILD_CONFIG is the one a stage script works on, the first of
# CONFIGS unless set. The stages of CONFIG_STAGES build and test one
# configuration and record their results in RESULTS/<config>/<stage>; the
# other stages do not depend on it and record theirs in RESULTS/<stage>. The
# summary has one line per configuration and stage.
CONFIG_DIR=$TOP/tests/config
mapfile -t ALL_CONFIGS < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$CONFIG_DIR/configs")
read -ra BUILD_CONFIGS <<<"${CONFIGS:-${ALL_CONFIGS[*]}}"
BUILD_CONFIG=${BUILD_CONFIG:-${BUILD_CONFIGS[0]}}
CONFIG_STAGES=(kernel modules clippy codegen boot upstream observer disk faults boot-q35 hotplug compat kunit)
for cfg in "${BUILD_CONFIGS[@]}" "$BUILD_CONFIG"; do
	case " ${ALL_CONFIGS[*]} " in
	*" $cfg "*) ;;
	*)
		echo "harness: unknown configuration '$cfg' (known: ${ALL_CONFIGS[*]})" >&2
		exit 1
		;;
	esac
done
unset cfg

# What BUILD_CONFIG's .conf sets: the kernel's ARCH, LLVM= (empty for GCC),
# the rustup toolchain of rustc, rustdoc and clippy, the fragments of
# tests/config/ merged over tinyconfig, in order, the compatibility clients
# its kernel builds (compat.py's names; the compat stage fails on each one
# listed that was not built), whether `make rustdoc` builds there (CFG_RUSTDOC,
# "no" where it does not), and the results its stages must record, each
# STAGE:KIND (summary.py: test, gate or upstream).
CFG_ARCH= CFG_LLVM= CFG_RUST= CFG_FRAGMENTS=() CFG_CLIENTS=() CFG_RUSTDOC= CFG_STAGES=()
. "$CONFIG_DIR/$BUILD_CONFIG.conf"

# config_arch CONFIG: CONFIG's kernel ARCH.
config_arch() {
	(
		CFG_ARCH=
		. "$CONFIG_DIR/$1.conf"
		echo "$CFG_ARCH"
	)
}

# docs_config: the configuration whose kernel crate the docs stage documents
# and compat's API check compares with 7.3's: the first of BUILD_CONFIGS
# built by kernel.sh (not um, which kunit.py builds) whose `make rustdoc`
# builds; empty if none is.
docs_config() {
	local cfg arch rustdoc
	for cfg in "${BUILD_CONFIGS[@]}"; do
		read -r arch rustdoc < <(
			CFG_ARCH= CFG_RUSTDOC=
			. "$CONFIG_DIR/$cfg.conf"
			echo "$CFG_ARCH ${CFG_RUSTDOC:-yes}"
		)
		if [ "$arch" != um ] && [ "$rustdoc" != no ]; then
			echo "$cfg"
			return
		fi
	done
}

# config_stages CONFIG: the STAGE:KIND results CONFIG's stages must record,
# one a line.
config_stages() {
	(
		CFG_STAGES=()
		. "$CONFIG_DIR/$1.conf"
		printf '%s\n' "${CFG_STAGES[@]}"
	)
}

# The kernel: a pristine tree (downloaded, or the user's KDIR), an overlaid
# copy of it that every configuration compiles (SRC), and the
# configuration's output directories.
KERNEL_PACKAGE=linux-source-7.3
PRISTINE_DIR=$BUILD/src
SRC=$BUILD/linux
OBJ=$BUILD/$BUILD_CONFIG/obj
MODULES_OUT=$BUILD/$BUILD_CONFIG/modules
CONFIG_LOGS=$LOGS/$BUILD_CONFIG

# In-tree modules that tests/config/kunit.config builds only to prove that
# they compile against our layer: drivers for hardware that the QEMU machine
# does not have. The boot leaves them out; the compat stage checks them.
# Paths are relative to OBJ.
BUILD_ONLY_MODULES=(drivers/gpu/nova-core.ko drivers/gpu/drm/tyr/tyr.ko)

# Linux's own virtio modules (tests/config/virtio.config), in load order: the
# boot packs them but leaves them out of the list init.sh loads one at a
# time (they depend on each other); the virtio samples' hooks load them to
# compare Linux's C drivers with ours on the same devices
# (tests/harness/virtio.sh). Paths are relative to OBJ; a configuration
# without virtio (has_virtio, below) has none of these files.
VIRTIO_C_MODULES=(drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko
	drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci.ko
	drivers/block/virtio_blk.ko drivers/char/hw_random/virtio-rng.ko)

# has_virtio: whether the configuration has the virtio samples: whether it
# builds tests/config/virtio.config, which turns on what they need and
# Linux's own virtio drivers (CONFIG_VIRTIO_PCI, which samples/Kbuild and
# tests/Kbuild test for them). The boot then gives the machine their
# devices. The arm configuration has not (Documentation/io/virtio.rst).
has_virtio() {
	case " ${CFG_FRAGMENTS[*]} " in *" virtio "*) return 0 ;; esac
	return 1
}

# The statically linked busybox of each architecture's initramfs, by the
# kernel's ARCH: the machine's own busybox-static for x86_64, and Debian's
# for the others, downloaded by setup.sh into BUILD/busybox-<Debian
# architecture>/ (DEBIAN_ARCH).
declare -A DEBIAN_ARCH=([arm64]=arm64 [arm]=armhf)
# busybox_of ARCH: the path of ARCH's busybox.
busybox_of() {
	if [ "$1" = x86_64 ]; then
		echo /bin/busybox
	else
		echo "$BUILD/busybox-${DEBIAN_ARCH[$1]}/busybox"
	fi
}

JOBS=${JOBS:-$(nproc)}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}
LOG_TAIL=${LOG_TAIL:-40}


# The configuration's Rust toolchain, from rustup (the set-up installs it).
RUST_BIN=$(dirname "$(rustup which --toolchain "$CFG_RUST" rustc 2>/dev/null || echo /nonexistent/rustc)")

# The configuration's C compiler, through ccache: Debian's masquerading link
# (/usr/lib/ccache/<compiler>, one word, as kbuild wants it; the set-up makes
# sure it exists). The cache lives outside the clone (ccache's own default,
# ~/.cache/ccache, unless CCACHE_DIR says otherwise), so a second clone, or
# CI's fresh one, does not recompile the kernel's C; CCACHE_BASEDIR makes the
# paths under the clone relative, so that two clones hash alike.
if [ -n "$CFG_LLVM" ]; then
	KCC=/usr/lib/ccache/clang$CFG_LLVM
else
	KCC=/usr/lib/ccache/gcc
fi
export CCACHE_BASEDIR=$TOP

# kbuild variables for every build of the configuration, kernel and external
# modules alike, so kbuild sees the same command lines each run and stays
# incremental. CLIPPY=1 makes clippy-driver compile all the Rust code; our
# wrapper keeps each unit's diagnostics beside its object for the lint gate,
# and runs the configuration's clippy-driver (HARNESS_CLIPPY_DRIVER).
KBUILD_VARS=(-j"$JOBS" ARCH="$CFG_ARCH" CC="$KCC" HOSTCC="$KCC"
	RUSTC="$RUST_BIN/rustc" RUSTDOC="$RUST_BIN/rustdoc" HOSTRUSTC="$RUST_BIN/rustc"
	CLIPPY=1 CLIPPY_DRIVER="$HARNESS/clippy-driver")
[ -z "$CFG_LLVM" ] || KBUILD_VARS+=(LLVM="$CFG_LLVM")
export HARNESS_CLIPPY_DRIVER=$RUST_BIN/clippy-driver

# The kernel's make, building the configuration out of tree into OBJ.
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

# The guests' CPUs: four, on every machine. How TCG runs them is
# qemu_machine's TCG_THREADS (accel_args says what each value means).
GUEST_CPUS=${GUEST_CPUS:-4}

# qemu_machine: sets QEMU to the emulator, CPU, memory, CPUs and kernel image
# of CFG_ARCH's machine, TCG_THREADS to how TCG runs its CPUs (accel_args),
# CONSOLE to its serial console, UNAME_M to the
# architecture as `uname -m` names it, BUSYBOX to the busybox-static of that
# architecture and EDU_DMA_BITS to the width of edu's DMA mask there. -cpu
# max has a random number instruction (RDRAND, arm64's RNDR), which makes the
# CRNG ready at once, so `%p` (and a view's Debug output) prints hashed
# addresses rather than a placeholder; on 32-bit arm, which has none, the
# virt machine's device tree carries a seed (/chosen/rng-seed) that does the
# same.
qemu_machine() {
	BUSYBOX=$(busybox_of "$CFG_ARCH")
	case $CFG_ARCH in
	x86_64)
		# Four-level paging (la57=off): with five levels, 7.3's KASAN
		# reports a "wild-memory-access" of its own when an interrupt
		# comes while identify_cpu() rebuilds the boot CPU's feature
		# words. pgtable_l5_enabled() reads X86_FEATURE_LA57, zero for
		# that moment, so the bounds of the shadow move and the
		# interrupt's lock in the direct map seems to have none. Seen
		# in x86_64-llvm's boots, at 0.003 s, before any of our code.
		QEMU=(qemu-system-x86_64 -cpu max,la57=off -kernel "$OBJ/arch/x86/boot/bzImage")
		# One host thread for the four CPUs. With one thread per CPU,
		# QEMU 10.0's x86 guest once lost a CPU's local APIC timer in
		# CI: that CPU's ticks and hrtimers stopped (an RCU stall
		# naming it, idle in HLT, answering NMIs), and a KUnit case
		# waiting on an hrtimer there never finished. The arm guests'
		# timers are the architected timer, not the APIC; they keep
		# a thread per CPU, and with them the checks that need CPUs
		# which really run at once (torn 64-bit reads).
		: "${TCG_THREADS:=single}"
		CONSOLE=ttyS0
		UNAME_M=x86_64
		EDU_DMA_BITS=28
		;;
	arm64)
		# virt: a generic PCIe host bridge (with an I/O window for port
		# BARs) behind an SMMUv3, which gives edu's 28-bit DMA mask
		# addresses to use (tests/config/arm64.config).
		QEMU=(qemu-system-aarch64 -M virt,iommu=smmuv3 -cpu max
			-kernel "$OBJ/arch/arm64/boot/Image")
		CONSOLE=ttyAMA0
		UNAME_M=aarch64
		EDU_DMA_BITS=28
		;;
	arm)
		# virt with a Cortex-A15: ARMv7 with LPAE, which the kernel is
		# built for (tests/config/arm.config). With highmem (the default
		# for a CPU with LPAE) the machine's PCIe host bridge has its ECAM
		# and a 64-bit memory window above 4 GiB, where the kernel puts
		# the 64-bit BARs: a physical address that a 32-bit usize cannot
		# hold. RAM starts at 1 GiB and nothing translates the devices'
		# DMA (32-bit arm has no SMMUv3 driver), so edu gets a 32-bit DMA
		# mask, which the RAM lies within.
		QEMU=(qemu-system-arm -M virt,highmem=on -cpu cortex-a15
			-kernel "$OBJ/arch/arm/boot/zImage")
		CONSOLE=ttyAMA0
		UNAME_M=armv7l
		EDU_DMA_BITS=32
		;;
	*)
		echo "harness: no QEMU machine for ARCH=$CFG_ARCH" >&2
		exit 1
		;;
	esac
	: "${TCG_THREADS:=multi}"
	QEMU+=(-m 512M -smp "$GUEST_CPUS" -no-reboot)
}

# qemu_accel: KVM when it boots the kernel to its panic and exits within
# 10 s; TCG otherwise (on some machines /dev/kvm exists but guests hang).
# Probed once, then stamped. Needs qemu_machine's QEMU, CONSOLE and UNAME_M.
qemu_accel() {
	local probe out
	if [ -n "${ACCEL:-}" ]; then
		echo "$ACCEL"
		return
	fi
	if [ "$UNAME_M" != "$(uname -m)" ]; then
		echo tcg
		return
	fi
	if [ ! -f "$STAMPS/accel" ]; then
		probe=tcg
		# The guest finds no root, panics and (panic=-1, -no-reboot)
		# QEMU exits by itself.
		if [ -w /dev/kvm ] && out=$(timeout -k 2 10 "${QEMU[@]}" -nographic -accel kvm \
			-append "console=$CONSOLE panic=-1" </dev/null 2>&1); then
			case $out in *"Kernel panic"*) probe=kvm ;; esac
		fi
		echo "$probe" >"$STAMPS/accel"
	fi
	cat "$STAMPS/accel"
}

# accel_args ACCEL [THREADS]: QEMU's options for ACCEL. Under TCG, THREADS
# (by default qemu_machine's TCG_THREADS) is "multi", one host thread per
# guest CPU (MTTCG: the guest's CPUs really run at once; asked for
# explicitly, so that a QEMU that cannot fails instead of running the CPUs
# one at a time), or "single", one host thread that runs the guest's CPUs in
# turn (they still interleave, as tasks on several CPUs do, but never
# execute at the same instant).
accel_args() {
	case $1 in
	tcg) echo "-accel tcg,thread=${2:-$TCG_THREADS}" ;;
	*) echo "-accel $1" ;;
	esac
}

# pack_initramfs DIR MODE KO...: a busybox initramfs, DIR.cpio.gz, whose /init
# is init.sh and which holds the modules KO in /lib/modules, listed in load
# order in /etc/harness-modules (kept in DIR/modules too); unless MODE is
# empty, MODE in /etc/harness-mode; and, where DIR holds them, DIR/params in
# /etc/harness-params and DIR/fault-walk in /etc/harness-fault-walk (init.sh
# says what each holds); and DIR/extra-list, where it exists, appended to
# gen_init_cpio's list as it is (the boot's virtio files: boot.sh). Needs
# qemu_machine's BUSYBOX.
pack_initramfs() {
	local dir=$1 mode=$2 list=$1/list ko d
	shift 2
	mkdir -p "$dir"
	printf '%s\n' "$@" | sed 's|.*/||' | sed '/^$/d' >"$dir/modules"
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		for d in /bin /proc /sys /etc /lib /lib/modules; do
			echo "dir $d 0755 0 0"
		done
		echo "file /bin/busybox $BUSYBOX 0755 0 0" # busybox-static
		echo "file /init $HARNESS/init.sh 0755 0 0"
		echo "file /etc/harness-modules $dir/modules 0644 0 0"
		if [ -n "$mode" ]; then
			echo "$mode" >"$dir/mode"
			echo "file /etc/harness-mode $dir/mode 0644 0 0"
		fi
		[ ! -f "$dir/params" ] || echo "file /etc/harness-params $dir/params 0644 0 0"
		[ ! -f "$dir/fault-walk" ] || echo "file /etc/harness-fault-walk $dir/fault-walk 0644 0 0"
		for ko in "$@"; do
			echo "file /lib/modules/${ko##*/} $ko 0644 0 0"
		done
		[ ! -f "$dir/extra-list" ] || cat "$dir/extra-list"
	} >"$list"
	"$OBJ/usr/gen_init_cpio" "$list" | gzip -1 >"$dir.cpio.gz"
}

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

# read_counts FILE: the "PASSED FAILED SKIPPED" a checker wrote to FILE, or
# "0 1 0" (one failure) with a note when it wrote none, or not three numbers:
# a checker that stopped before counting has not passed.
read_counts() {
	local p f s extra
	if [ -f "$1" ] && read -r p f s extra <"$1" && [ -z "$extra" ] &&
		[[ "$p$f$s" =~ ^[0-9]+$ ]] && [ -n "$s" ]; then
		echo "$p $f $s"
	else
		echo "harness: no counts in $1: counted as one failure" >&2
		echo "0 1 0"
	fi
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
