#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Hotplug stage, for BUILD_CONFIG: hot-unplug under load. The PCI sample
# devices (edu, pci-testdev, ivshmem-plain, and where the configuration has
# virtio, virtio-blk and virtio-rng) sit each behind a pcie-root-port of its
# own, a hot-plug slot: on q35 for x86_64, on virt for arm64. The guest
# (init.sh in hotplug mode) loads io_edu, io_testdev and io_ivshmem with
# hotplug=1: each keeps its device with an I/O loop on every one of the four
# CPUs. io_virtio_blk and io_virtio_rng are loaded with hotplug=1 too, and
# the guest reads their disk (direct I/O) and /dev/hwrng while they are
# bound, so that requests are in flight when a removal comes. hotplug.py drives QEMU over QMP: device_del while the loops run, then
# device_add, HOTPLUG_CYCLES times per device (default 20), all devices at
# once, after random delays from HOTPLUG_SEED (random unless set, and
# printed), and judges each cycle from the console, QMP's device tree and
# ivshmem's file (hotplug.py's docstring says what it checks). With the
# checkers' configuration (kmemleak), the guest scans for leaks at the end.
#
# Usage: hotplug.sh    (HOTPLUG_CYCLES, HOTPLUG_SEED, HOTPLUG_TIMEOUT)

. "$(dirname "$0")/lib.sh"

STAGE=hotplug
LOG=$CONFIG_LOGS/hotplug.log
JOURNAL=$CONFIG_LOGS/hotplug.journal
INITRAMFS=$BUILD/$BUILD_CONFIG/initramfs-hotplug
SHM_FILE=$BUILD/$BUILD_CONFIG/ivshmem-hotplug.mem
CYCLES=${HOTPLUG_CYCLES:-20}
TIMEOUT=${HOTPLUG_TIMEOUT:-1500}
# The drivers, in load order.
MODULES=(io_edu.ko io_testdev.ko io_ivshmem.ko)
# The virtio disk's image: its contents do not matter here.
DISK_FILE=$BUILD/$BUILD_CONFIG/virtio-hotplug.img
VIRTIO=()
if has_virtio; then
	MODULES+=(io_virtio_blk.ko io_virtio_rng.ko)
	VIRTIO=(--virtio-disk "$DISK_FILE")
fi

qemu_machine
SERIALIZE=
case $CFG_ARCH in
x86_64)
	# q35, the PCI Express machine, whose root ports QEMU hot-plugs through
	# ACPI by default: the kernel's acpiphp (HOTPLUG_PCI_ACPI, x86_64.config)
	# handles device_del's eject request and device_add's device check. Not
	# the native PCI Express hot-plug of arm64 (pciehp): in 7.3, with lockdep
	# on (x86_64-llvm), pciehp's removal path reports a circular locking
	# dependency of its own on the first removal (pciehp_unconfigure_device
	# takes ctrl->reset_lock again while it holds pci_rescan_remove_lock,
	# which it took with reset_lock held), which fails the console scan and
	# turns lockdep off for the rest of the run, unchecked. arm64 covers
	# pciehp, without lockdep.
	QEMU+=(-M q35)
	# One device's removal or addition at a time: an addition made while
	# the guest handled another slot's eject was lost (hotplug.py).
	SERIALIZE=--serialize
	;;
arm64)
	# virt, as for the boot: the root ports sit on its PCIe host bridge,
	# native PCI Express hot-plug slots that the kernel's pciehp runs. A
	# removal waits 5 s there: pciehp lets the slot's attention button,
	# which device_del presses, be pressed again to cancel.
	;;
esac
# The console on standard output, which hotplug.py reads; QMP on a socket of
# its own. The built-in KUnit suites ran in the boot stage.
QEMU+=(-display none -serial stdio -monitor none)
CMDLINE="console=$CONSOLE panic=-1 printk.devkmsg=on kunit.enable=0 ${BOOT_CMDLINE:-}"

[ -x "$BUSYBOX" ] || { echo "harness: no $BUSYBOX; run 'make setup'" >&2; exit 1; }
mkdir -p "$CONFIG_LOGS"
rm -rf "$INITRAMFS"
pack_initramfs "$INITRAMFS" "hotplug $CYCLES" "${MODULES[@]/#/$MODULES_OUT/samples/}"
rm -f "$SHM_FILE" "$INITRAMFS/counts" "$DISK_FILE"
truncate -s 1M "$SHM_FILE"
[ ${#VIRTIO[@]} -eq 0 ] || truncate -s 64M "$DISK_FILE"
accel=$(qemu_accel)

args=(--log "$LOG" --journal "$JOURNAL" --cycles "$CYCLES" --shm "$SHM_FILE"
	--timeout "$TIMEOUT" --counts "$INITRAMFS/counts" --config "$BUILD_CONFIG" "${VIRTIO[@]}")
[ -z "${HOTPLUG_SEED:-}" ] || args+=(--seed "$HOTPLUG_SEED")
[ -z "$SERIALIZE" ] || args+=("$SERIALIZE")
grep -qx 'CONFIG_DEBUG_KMEMLEAK=y' "$OBJ/.config" && args+=(--kmemleak)

note "hot-unplug under load: $BUILD_CONFIG, ${#MODULES[@]} devices x $CYCLES cycles," \
	"under QEMU ($accel, bounded to $TIMEOUT s); console in $LOG"
start=$SECONDS
status=ok
# Under TCG, the guest's four CPUs run on one host thread here: with one
# thread per CPU (MTTCG), QEMU 10.0 aborted in a removal under load
# ("iotlb_to_section: Assertion `section_index < d->map.sections_nb'
# failed", a CPU still using the memory map from before the removal). The
# guest still has four CPUs, which QEMU switches between as it runs them.
python3 -B "$HARNESS/hotplug.py" run "${args[@]}" -- "${QEMU[@]}" $(accel_args "$accel" single) \
	-initrd "$INITRAMFS.cpio.gz" -append "$CMDLINE" | tee "$CONFIG_LOGS/hotplug.verdict" ||
	status=FAIL
elapsed=$((SECONDS - start))
[ "$status" = ok ] || show_tail "$LOG"
read -r passed failed skipped < <(read_counts "$INITRAMFS/counts")
seed=$(sed -n 's/^hotplug: seed \([0-9]*\) .*/\1/p' "$CONFIG_LOGS/hotplug.verdict" | head -n 1)
result "$STAGE" "$status" "$passed" "$failed" "$skipped" \
	"${#MODULES[@]} devices x $CYCLES cycles, seed ${seed:-?}: $passed passed, $failed failed" \
	"in $elapsed s ($LOG)"
[ "$status" = ok ]
