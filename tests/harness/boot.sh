#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot stage, for BUILD_CONFIG: pack a busybox initramfs with the in-tree and
# out-of-tree modules, boot the kernel under QEMU with the edu, pci-testdev and
# ivshmem-plain devices, and virtio-blk-pci and virtio-rng-pci where the
# configuration has the virtio samples (has_virtio, lib.sh), bounded by
# BOOT_TIMEOUT seconds, and check the console log (KTAP, crashes and checker
# reports, module loads, expectations) with ktap.py. ivshmem-plain's memory
# is a file that the harness fills before the boot and compares with
# observer.py's model after it: the observer stage. The virtio-blk disk is an
# image file that disk.py writes before the boot and checks after it: the
# disk stage.
#
# The second machine, q35 (x86_64 only), is PCI Express: extended
# configuration space exists there. Its boot (stage boot-q35) loads only the
# drivers of Q35_MODULES, on the machine's own devices, with the
# expectations of *.q35.expect; the KUnit suites built into the kernel do not
# run again (kunit.enable=0).
#
# Usage: boot.sh [test|run] [default|q35]   ("run" also prints what the
# modules did)

. "$(dirname "$0")/lib.sh"

MODE=${1:-test}
MACHINE=${2:-default}
case $MACHINE in
default)
	STAGE=boot
	EXPECT_GLOB='*.expect'
	;;
q35)
	STAGE=boot-q35
	EXPECT_GLOB='*.q35.expect'
	;;
*)
	echo "usage: boot.sh [test|run] [default|q35]" >&2
	exit 2
	;;
esac
# The drivers the q35 boot loads.
Q35_MODULES=(io_pci_config.ko)
# Our drivers that the fault walk leaves out (init.sh): io_dead_test's probe
# waits for /init to cut its device off, which the walk's binds never do.
FAULT_WALK_SKIP=(io_dead_test)
# The parameters a driver has in the walk only, by module name: io_virtio_blk
# sets up two queues, not one per CPU. The second walks the unwinding of a
# queue set up before it; more only repeat the block layer's allocations for
# each queue (its debugfs and sysfs entries, most of them tolerated), which
# made the walk of the four-queue disk longer than the whole of the others.
declare -A FAULT_WALK_PARAMS=([io_virtio_blk]="max_queues=2")
# The fault walk's time bound, added to the boot's (BOOT_TIMEOUT).
FAULT_WALK_TIMEOUT=${FAULT_WALK_TIMEOUT:-1200}
# For working on one driver: FAULT_WALK_ONLY="io_edu ..." walks only those
# (faults.py then reports the others as not walked), and
# BOOT_CMDLINE=harness.fault_verbose=2 makes the kernel print the stack of
# each failure it injects.

LOG=$CONFIG_LOGS/$STAGE.log
INITRAMFS=$BUILD/$BUILD_CONFIG/initramfs-$MACHINE
# The file behind ivshmem-plain's memory, and its size (the QEMU option's).
SHM_FILE=$BUILD/$BUILD_CONFIG/ivshmem.mem
SHM_SIZE=1048576
# The virtio-blk disk's image, and what the guest checks on it.
DISK_FILE=$BUILD/$BUILD_CONFIG/virtio-disk.img
VIRTIO_DIR=$INITRAMFS/virtio

# Modules in load order: the kernel's own (modules.order) except the
# build-only ones and Linux's virtio modules, which the virtio hooks load
# (lib.sh), then ours.
module_list() {
	local order
	if [ "$MACHINE" = q35 ]; then
		printf "$MODULES_OUT/samples/%s\n" "${Q35_MODULES[@]}"
		return
	fi
	for order in "$OBJ/modules.order" "$MODULES_OUT/modules.order"; do
		[ -f "$order" ] && sed "s|^|$(dirname "$order")/|; s|\.o\$|.ko|" "$order"
	done | grep -vxF -f <(printf "$OBJ/%s\n" "${BUILD_ONLY_MODULES[@]}" "${VIRTIO_C_MODULES[@]}") ||
		true
}

# Linux's virtio modules that this configuration built, in load order.
virtio_c_modules() {
	local ko
	[ "$MACHINE" = default ] && has_virtio || return 0
	for ko in "${VIRTIO_C_MODULES[@]}"; do
		[ -f "$OBJ/$ko" ] && echo "$OBJ/$ko"
	done
}

# Expectation files: tests/expect/ and any beside our samples and tests, but
# those of the um configuration (tests/expect/um/, which kunit.sh reads), and
# the virtio samples' where the configuration has no virtio (lib.sh).
expect_files() {
	local dirs=() d
	for d in "$TOP/samples" "$TOP/tests"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	find "${dirs[@]}" -name "$EXPECT_GLOB" -not -path "$TOP/tests/expect/um/*" |
		{ [ "$MACHINE" = q35 ] && cat || grep -v '\.q35\.expect$'; } |
		{ has_virtio && cat || grep -vxF "$TOP/samples/io_virtio.expect"; } | sort
}

# Whether the configuration has the fault walk's stage (CFG_STAGES).
walks_faults() {
	case " ${CFG_STAGES[*]} " in *" faults:"*) return 0 ;; esac
	return 1
}

make_initramfs() {
	local ko hook
	rm -rf "$INITRAMFS"
	mkdir -p "$INITRAMFS"
	# Where the configuration has the virtio samples: the disk image and the
	# guest's list of regions (which go in the initramfs), made afresh for
	# each boot; the samples' hooks, what they check on the disk, and Linux's
	# virtio modules for the comparison, in the initramfs's extra list
	# (pack_initramfs, lib.sh).
	if [ "$MACHINE" = default ] && has_virtio; then
		mkdir -p "$VIRTIO_DIR"
		python3 -B "$HARNESS/disk.py" prepare "$DISK_FILE" "$VIRTIO_DIR"
		virtio_c_modules | sed 's|.*/||' >"$VIRTIO_DIR/c-modules"
		{
			echo "dir /tmp 0755 0 0"
			echo "dir /mnt 0755 0 0"
			echo "dir /etc/harness-hooks 0755 0 0"
			for hook in io_virtio_rng io_virtio_blk; do
				echo "file /etc/harness-hooks/$hook $HARNESS/virtio.sh 0755 0 0"
			done
			echo "dir /etc/virtio 0755 0 0"
			echo "file /etc/virtio/regions $VIRTIO_DIR/regions 0644 0 0"
			echo "file /etc/virtio/pattern2.bin $VIRTIO_DIR/pattern2.bin 0644 0 0"
			echo "file /etc/virtio/c-modules $VIRTIO_DIR/c-modules 0644 0 0"
			echo "dir /lib/modules/virtio 0755 0 0"
			for ko in $(virtio_c_modules); do
				echo "file /lib/modules/virtio/${ko##*/} $ko 0644 0 0"
			done
		} >"$INITRAMFS/extra-list"
	fi
	# The parameters /init gives a module, one "NAME PARAMETER..." line each.
	for ko in "${!MODULE_PARAMS[@]}"; do
		echo "$ko ${MODULE_PARAMS[$ko]}"
	done >"$INITRAMFS/params"
	# The drivers of the fault walk, where the configuration has its stage:
	# our modules (init.sh walks those that bound a device), but the ones
	# left out above, a "MODULE [PARAMETER...]" line each. An empty list: no
	# walk.
	: >"$INITRAMFS/fault-walk"
	if [ "$MACHINE" = default ] && walks_faults; then
		sed 's|.*/||; s|\.o$||' "$MODULES_OUT/modules.order" |
			grep -vxF -f <(printf '%s\n' "${FAULT_WALK_SKIP[@]}") |
			{ [ -z "${FAULT_WALK_ONLY:-}" ] && cat ||
				grep -xF -f <(printf '%s\n' $FAULT_WALK_ONLY); } |
			while read -r ko; do
				echo "$ko${FAULT_WALK_PARAMS[$ko]:+ ${FAULT_WALK_PARAMS[$ko]}}"
			done >"$INITRAMFS/fault-walk" || true
	fi
	pack_initramfs "$INITRAMFS" "" $(module_list)
}

qemu_machine
QEMU+=(-nographic)
CMDLINE="console=$CONSOLE panic=-1 printk.devkmsg=on ${BOOT_CMDLINE:-}"
# kmemleak (kmemleak.config) is for the fault walk and the hotplug stage,
# which scan; the other boots never do, and tracking every allocation costs
# them time under TCG.
if grep -qx 'CONFIG_DEBUG_KMEMLEAK=y' "$OBJ/.config" && ! { [ "$MACHINE" = default ] && walks_faults; }; then
	CMDLINE+=" kmemleak=off"
fi
# The parameters /init passes to a module, by module name.
declare -A MODULE_PARAMS=()
case $MACHINE in
default)
	# The three test devices; ivshmem-plain's memory is the observer's file.
	# edu's DMA engine drops the address bits above its mask, and io_edu
	# asks the DMA API for a mask of the same width.
	QEMU+=(-device "edu,dma_mask=$(printf '%#x' $(((1 << EDU_DMA_BITS) - 1)))"
		-device pci-testdev
		-object "memory-backend-file,id=shm,size=$SHM_SIZE,share=on,mem-path=$SHM_FILE"
		-device ivshmem-plain,memdev=shm)
	MODULE_PARAMS[io_edu]="dma_bits=$EDU_DMA_BITS"
	MODULE_PARAMS[io_cookbook]="dma_bits=$EDU_DMA_BITS"
	# The virtio samples' devices, modern only (virtio 1.x): a disk with a
	# queue per CPU (GUEST_CPUS, lib.sh), whose image disk.py writes and
	# checks, and an entropy source. Both access memory through the platform's DMA translation
	# (VIRTIO_F_ACCESS_PLATFORM), as drivers must then give them DMA
	# addresses: through arm64's SMMU as through x86_64's direct mapping.
	if has_virtio; then
		QEMU+=(-drive "file=$DISK_FILE,format=raw,if=none,id=disk,cache=writeback"
			-device "virtio-blk-pci,drive=disk,disable-legacy=on,iommu_platform=on,num-queues=$GUEST_CPUS"
			-device virtio-rng-pci,disable-legacy=on,iommu_platform=on)
	fi
	;;
q35)
	if [ "$CFG_ARCH" != x86_64 ]; then
		echo "harness: the q35 machine is x86_64's" >&2
		exit 2
	fi
	# The machine's own devices: its default network card (e1000e) is a PCI
	# Express endpoint with extended capabilities.
	QEMU+=(-M q35)
	CMDLINE+=" kunit.enable=0"
	;;
esac

[ -x "$BUSYBOX" ] || { echo "harness: no $BUSYBOX; run 'make setup'" >&2; exit 1; }
make_initramfs
[ "$MACHINE" = q35 ] || note "not loaded (built only): ${BUILD_ONLY_MODULES[*]}"
accel=$(qemu_accel)
mkdir -p "$CONFIG_LOGS"
[ "$MACHINE" = q35 ] || python3 -B "$HARNESS/observer.py" prefill "$SHM_FILE" "$SHM_SIZE"
# The fault walk binds each driver some hundred times: it has a time bound of
# its own, on top of the boot's.
bound=$BOOT_TIMEOUT
if [ "$MACHINE" = default ] && walks_faults; then
	bound=$((bound + FAULT_WALK_TIMEOUT))
fi
how=$accel
[ "$accel" != tcg ] || how+=" thread=$TCG_THREADS"
note "booting $BUILD_CONFIG ($MACHINE machine) under QEMU ($how, bounded to $bound s);" \
	"console in $LOG"
rc=0
start=$SECONDS
timeout -k 5 "$bound" "${QEMU[@]}" $(accel_args "$accel") \
	-initrd "$INITRAMFS.cpio.gz" -append "$CMDLINE" </dev/null 2>&1 |
	tr -d '\r' >"$LOG" || rc=${PIPESTATUS[0]}
elapsed=$((SECONDS - start))

# ktap.py parses the KTAP with the pristine tree's tools/testing/kunit. It
# counts our checks and upstream's suites apart: the doctests of our own
# source files are ours, though they run in the kernel's doctest suite.
rm -f "$INITRAMFS/counts" "$INITRAMFS/upstream-counts" "$INITRAMFS/suites" \
	"$INITRAMFS/observer" "$INITRAMFS/disk"
(cd "$TOP" && find rust -name '*.rs' | sort) >"$INITRAMFS/ours-doctests"
checks=(python3 -B "$HARNESS/ktap.py" --log "$LOG" --kernel-tree "$(pristine_tree)"
	--counts "$INITRAMFS/counts" --upstream-counts "$INITRAMFS/upstream-counts"
	--ours-doctests "$INITRAMFS/ours-doctests"
	--modules "$INITRAMFS/modules" --suites "$INITRAMFS/suites"
	--qemu-status "$rc" --elapsed "$elapsed" --config "$BUILD_CONFIG" --arch "$CFG_ARCH"
	$(expect_files))
[ "$MODE" = run ] && checks+=(--show)
status=ok
"${checks[@]}" || status=FAIL
[ "$status" = ok ] || show_tail "$LOG"
read -r passed failed skipped < <(read_counts "$INITRAMFS/counts")
read -r u_passed u_failed u_skipped < <(read_counts "$INITRAMFS/upstream-counts")
# Our line fails when one of ours failed, or when the run failed and none of
# upstream's failures explains it.
ours_status=ok
if [ "$failed" -gt 0 ] || { [ "$status" != ok ] && [ "$u_failed" -eq 0 ]; }; then
	ours_status=FAIL
fi
result "$STAGE" "$ours_status" "$passed" "$failed" "$skipped" \
	"ours: $passed passed, $failed failed, $skipped skipped in $elapsed s ($LOG)"
if [ "$MACHINE" = default ]; then
	u_status=$([ "$u_failed" -eq 0 ] && echo ok || echo FAIL)
	result upstream "$u_status" "$u_passed" "$u_failed" "$u_skipped" \
		"upstream's stock suites and samples, in the same boot:" \
		"$u_passed passed, $u_failed failed, $u_skipped skipped"
fi

# The fault walk: every failure point of each driver's probe, each ending
# cleanly (faults.py).
if [ "$MACHINE" = default ] && walks_faults; then
	walked=ok
	rm -f "$INITRAMFS/faults"
	python3 -B "$HARNESS/faults.py" --log "$LOG" --walk "$INITRAMFS/fault-walk" \
		--counts "$INITRAMFS/faults" --config "$BUILD_CONFIG" | tee "$CONFIG_LOGS/faults.log" ||
		walked=FAIL
	read -r f_passed f_failed f_skipped < <(read_counts "$INITRAMFS/faults")
	result faults "$walked" "$f_passed" "$f_failed" "$f_skipped" \
		"the fault walk: $(sed -n 's/^faults: //p' "$CONFIG_LOGS/faults.log")" \
		"($CONFIG_LOGS/faults.log)"
	[ "$walked" = ok ] || status=FAIL
fi

# What the observer outside the guest found in the shared memory.
if [ "$MACHINE" = default ]; then
	observed=ok
	python3 -B "$HARNESS/observer.py" check "$SHM_FILE" --counts "$INITRAMFS/observer" ||
		observed=FAIL
	read -r o_passed o_failed o_skipped < <(read_counts "$INITRAMFS/observer")
	result observer "$observed" "$o_passed" "$o_failed" "$o_skipped" \
		"ivshmem's memory, as a file outside the guest, against the model:" \
		"$o_passed passed, $o_failed failed ($SHM_FILE)"
	[ "$observed" = ok ] || status=FAIL
fi

# What the virtio-blk sample left on the disk, seen in the image file.
if [ "$MACHINE" = default ] && has_virtio; then
	checked=ok
	python3 -B "$HARNESS/disk.py" check "$DISK_FILE" --counts "$INITRAMFS/disk" ||
		checked=FAIL
	read -r d_passed d_failed d_skipped < <(read_counts "$INITRAMFS/disk")
	result disk "$checked" "$d_passed" "$d_failed" "$d_skipped" \
		"the virtio-blk disk, as an image file outside the guest, against the model:" \
		"$d_passed passed, $d_failed failed ($DISK_FILE)"
	[ "$checked" = ok ] || status=FAIL
fi
[ "$status" = ok ]
