#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# The user-space half of the virtio samples' checks, run by /init (init.sh)
# while a sample is loaded and bound: boot.sh installs this file as
# /etc/harness-hooks/io_virtio_rng and /etc/harness-hooks/io_virtio_blk, and
# init.sh runs the hook of a module, with the module's name as argument,
# between loading and unloading it.
#
# Each hook prints one KTAP document to the kernel log (through /dev/kmsg,
# as init.sh logs), checked with the modules' own by ktap.py against
# samples/io_virtio.expect:
#
#   io_virtio_rng  /dev/hwrng is our driver's (the hwrng core's current rng)
#                  and reads bytes that are not constant; then the same
#                  device is given to Linux's C driver (virtio_pci and
#                  virtio-rng, bound through driver_override), which must
#                  do the same, and taken back.
#   io_virtio_blk  the disk through our driver: its size, partitions and queues, the
#                  regions of pattern 1 that boot.sh's disk.py lists, each
#                  against its SHA-256, the regions of pattern 2 written and
#                  read back, and flushes that reached the driver; an ext2
#                  filesystem made, written, synced, unmounted, remounted and
#                  verified; then the same device through Linux's C driver
#                  (virtio_blk), which must read the same pattern, what ours
#                  wrote, and the filesystem. The image file itself is
#                  checked after the boot by disk.py.
#
# Last, each hook loads our driver again with intx=1, on INTx although
# MSI-X is there, and checks what it reads through the fallback.
#
# Linux's virtio modules are not in /etc/harness-modules (init.sh would load
# each alone, and they depend on each other): /etc/virtio/c-modules lists
# them in load order, and the hooks load and unload them.

VIRTIO=/etc/virtio
MODULES=/lib/modules/virtio
# The PCI IDs of the modern virtio devices: 0x1040 + the virtio device ID.
RNG_ID=0x1044
BLK_ID=0x1042

kmsg() {
	echo "$*" >/dev/kmsg
}

# KTAP, as samples/common/ktap.rs writes it: a suite's plan from its list
# of cases first, then one result per case in that order; a case the script
# never reports is reported as not run when the suite ends.
ktap_begin() { # NUMBER NAME CASE...
	K_NUMBER=$1
	K_NAME=$2
	shift 2
	K_PLAN="$*"
	K_DONE=0
	K_FAILED=0
	kmsg "    KTAP version 1"
	kmsg "    # Subtest: $K_NAME"
	kmsg "    1..$#"
}

ktap_case() { # NAME STATUS [DIAGNOSTIC]: STATUS 0 is ok
	local next=${K_PLAN%% *}
	K_PLAN=${K_PLAN#"$next"}
	K_PLAN=${K_PLAN# }
	K_DONE=$((K_DONE + 1))
	if [ "$next" != "$1" ]; then
		kmsg "    # $1: out of plan, expected $next"
		kmsg "    not ok $K_DONE $next"
		K_FAILED=$((K_FAILED + 1))
		return
	fi
	if [ "$2" = 0 ]; then
		kmsg "    ok $K_DONE $1"
		return
	fi
	echo "$3" | while IFS= read -r line; do
		[ -n "$line" ] && kmsg "    # $1: $line"
	done
	kmsg "    not ok $K_DONE $1"
	K_FAILED=$((K_FAILED + 1))
}

ktap_end() {
	local case
	for case in $K_PLAN; do
		K_DONE=$((K_DONE + 1))
		kmsg "    # $case: not run"
		kmsg "    not ok $K_DONE $case"
		K_FAILED=$((K_FAILED + 1))
	done
	if [ "$K_FAILED" = 0 ]; then
		kmsg "ok $K_NUMBER $K_NAME"
	else
		kmsg "not ok $K_NUMBER $K_NAME"
	fi
}

# run_case NAME CMD...: CMD's status is the case's; its output, the
# diagnostic if it fails.
run_case() {
	local name=$1 out status
	shift
	out=$("$@" 2>&1)
	status=$?
	ktap_case "$name" "$status" "$out"
}

fail() {
	echo "$*"
	return 1
}

# The sysfs directory of the PCI device with vendor 0x1af4 and device ID $1.
find_dev() {
	local dev
	for dev in /sys/bus/pci/devices/*; do
		if [ "$(cat "$dev/vendor")" = 0x1af4 ] && [ "$(cat "$dev/device")" = "$1" ]; then
			echo "$dev"
			return
		fi
	done
}

# The driver bound to device directory $1, or nothing.
driver_of() {
	[ -e "$1/driver" ] && basename "$(readlink "$1/driver")"
}

# unbind DEV DRIVER: DEV is bound to DRIVER; unbind it.
unbind() {
	[ "$(driver_of "$1")" = "$2" ] || fail "${1##*/} is bound to '$(driver_of "$1")', not $2" || return
	echo "${1##*/}" >"/sys/bus/pci/drivers/$2/unbind"
	[ -z "$(driver_of "$1")" ] || fail "${1##*/} is still bound to $(driver_of "$1")"
}

# Linux's virtio stack: loaded with DEV (and only DEV, of our devices)
# allowed to bind virtio-pci; then DEV must be bound to it.
load_c() { # DEV OTHER
	echo virtio-pci >"$1/driver_override"
	[ -z "$2" ] || echo none >"$2/driver_override"
	while read -r module; do
		insmod "$MODULES/$module" || fail "insmod $module failed" || return
	done <"$VIRTIO/c-modules"
	[ "$(driver_of "$1")" = virtio-pci ] || fail "${1##*/} not bound to virtio-pci"
}

# Unloads Linux's virtio stack and clears the overrides: the devices are free
# for our drivers again.
unload_c() { # DEV OTHER
	local module status=0
	for module in $(sed -n '1!G;h;$p' "$VIRTIO/c-modules"); do
		module=${module%.ko}
		rmmod "$(echo "$module" | tr - _)" || status=1
	done
	echo >"$1/driver_override"
	[ -z "$2" ] || echo >"$2/driver_override"
	[ -z "$(driver_of "$1")" ] || fail "${1##*/} is still bound to $(driver_of "$1")" || return
	[ "$status" = 0 ] || fail "a module did not unload"
}

## virtio-rng

rng_current_is() {
	local current
	current=$(cat /sys/class/misc/hw_random/rng_current)
	[ "$current" = "$1" ] || fail "rng_current is '$current', expected $1"
}

# read_hwrng FILE: 4096 bytes from /dev/hwrng into FILE.
read_hwrng() {
	local size
	dd if=/dev/hwrng of="$1" bs=1024 count=4 iflag=fullblock 2>&1 >/dev/null | grep -v records
	size=$(wc -c <"$1")
	[ "$size" = 4096 ] || fail "read $size bytes, expected 4096"
}

# not_constant FILE: the bytes of FILE take more than one value.
not_constant() {
	local values
	values=$(od -An -v -tx1 "$1" | tr -s ' ' '\n' | grep . | sort -u | wc -l)
	[ "$values" -gt 1 ] || fail "all $(wc -c <"$1") bytes are the same"
	echo "$values distinct byte values"
}

c_reads_not_constant() {
	read_hwrng /tmp/rng.c && not_constant /tmp/rng.c
}

differ() {
	! cmp -s "$1" "$2" || fail "two reads returned the same bytes"
}

rng_hook() {
	local dev other
	dev=$(find_dev $RNG_ID)
	other=$(find_dev $BLK_ID)
	kmsg "KTAP version 1"
	kmsg "1..2"
	ktap_begin 1 io_virtio_rng_hwrng rng_current_is_ours reads_4096_bytes not_constant \
		reads_differ
	run_case rng_current_is_ours rng_current_is io_virtio_rng
	run_case reads_4096_bytes read_hwrng /tmp/rng.1
	run_case not_constant not_constant /tmp/rng.1
	read_hwrng /tmp/rng.2 >/dev/null
	run_case reads_differ differ /tmp/rng.1 /tmp/rng.2
	ktap_end

	ktap_begin 2 io_virtio_rng_c unbind_ours c_driver_bound rng_current_is_c c_reads_not_constant \
		c_unbound
	run_case unbind_ours unbind "$dev" io_virtio_rng
	run_case c_driver_bound load_c "$dev" "$other"
	run_case rng_current_is_c rng_current_is virtio_rng.0
	run_case c_reads_not_constant c_reads_not_constant
	run_case c_unbound unload_c "$dev" "$other"
	ktap_end

	# The fallback: our driver again, on INTx although MSI-X is there.
	reload_intx io_virtio_rng
	kmsg "KTAP version 1"
	kmsg "1..1"
	ktap_begin 1 io_virtio_rng_intx_hwrng irq_is_intx rng_current_is_ours reads_not_constant
	run_case irq_is_intx irq_is_intx io_virtio_rng
	run_case rng_current_is_ours rng_current_is io_virtio_rng
	run_case reads_not_constant c_reads_not_constant
	ktap_end
}

# reload_intx MODULE: loads MODULE again with intx=1 (its probe prints its
# own KTAP document, between the hook's).
reload_intx() {
	rmmod "$1" || kmsg "harness: virtio.sh: rmmod $1 failed"
	insmod "/lib/modules/$1.ko" intx=1 || kmsg "harness: virtio.sh: insmod $1 intx=1 failed"
}

# irq_is_intx NAME: the interrupt named NAME is not a message-signalled one.
irq_is_intx() {
	local line
	line=$(grep " $1\$" /proc/interrupts)
	[ -n "$line" ] || fail "no interrupt named $1" || return
	case $line in
	*MSI*) fail "$line" ;;
	esac
}

## virtio-blk

# The regions boot.sh's disk.py wrote: "read|write NAME OFFSET LENGTH BLOCK FLAGS SOURCE SHA256".
regions() { # KIND
	grep "^$1 " "$VIRTIO/regions"
}

# read_region DEVICE OFFSET LENGTH BLOCK FLAGS SHA256
read_region() {
	local iflag=skip_bytes,count_bytes got
	case $5 in *direct*) iflag=$iflag,direct ;; esac
	got=$(dd if="$1" bs="$4" skip="$2" count="$3" iflag=$iflag 2>/tmp/dd.err |
		sha256sum | cut -d' ' -f1)
	[ "$got" = "$6" ] || fail "$(grep -v records /tmp/dd.err) sha256 $got, expected $6"
}

# write_region DEVICE OFFSET LENGTH BLOCK FLAGS SOURCE SHA256: writes, then
# reads back from the device (O_DIRECT, past the page cache).
write_region() {
	local oflag=seek_bytes conv=notrunc
	case $5 in *direct*) oflag=$oflag,direct ;; esac
	case $5 in *fsync*) conv=$conv,fsync ;; esac
	dd if="$VIRTIO/pattern2.bin" of="$1" bs="$4" skip="$6" count="$3" \
		iflag=skip_bytes,count_bytes seek="$2" oflag=$oflag conv=$conv 2>/tmp/dd.err ||
		fail "$(cat /tmp/dd.err)" || return
	read_region "$1" "$2" "$3" "$4" direct "$7"
}

# disk_is DISK SIZE: /sys/block/DISK is SIZE bytes, with partitions DISK1 and DISK2.
disk_is() {
	local sectors
	sectors=$(cat "/sys/block/$1/size" 2>/dev/null)
	[ "$((sectors * 512))" = "$2" ] || fail "$1 has ${sectors:-no} sectors, expected $(($2 / 512))"
}

partitions_are() { # DISK START1 LENGTH1 START2 LENGTH2
	local p start size
	for p in 1 2; do
		start=$(cat "/sys/block/$1/$1$p/start" 2>/dev/null)
		size=$(cat "/sys/block/$1/$1$p/size" 2>/dev/null)
		eval "want_start=\$$((2 * p)) want_size=\$$((2 * p + 1))"
		[ "$((start * 512)):$((size * 512))" = "$want_start:$want_size" ] ||
			fail "$1$p: sectors ${start:-?}+${size:-?}, expected $((want_start / 512))+$((want_size / 512))"
	done
}

# queue_per_cpu DISK: DISK has a hardware queue per CPU, each mapped to one
# CPU; then reads from each CPU, so that each queue carries requests (the
# driver counts them per queue when it unbinds).
queue_per_cpu() {
	local cpus queues q cpu
	cpus=$(nproc)
	queues=$(ls "/sys/block/$1/mq" | wc -l)
	[ "$queues" = "$cpus" ] || fail "$queues hardware queues for $cpus CPUs" || return
	for q in "/sys/block/$1/mq"/*; do
		cpu=$(cat "$q/cpu_list")
		case $cpu in
		*[!0-9]*) fail "queue ${q##*/} serves CPUs $cpu" || return ;;
		esac
		taskset -c "$cpu" dd if="/dev/$1" of=/dev/null bs=4096 count=64 iflag=direct \
			skip=$((cpu * 256)) 2>/dev/null || fail "reading on CPU $cpu failed" || return
	done
}

# The flushes the block layer completed on DISK (its stat's 16th field).
flushes() {
	awk '{ print $16 }' "/sys/block/$1/stat"
}

flushed() { # DISK BEFORE
	local now
	now=$(flushes "$1")
	[ "${now:-0}" -gt "$2" ] || fail "$1 completed ${now:-0} flushes, as many as before ($2)"
	echo "$(($now - $2)) flushes"
}

fs_write() { # PARTITION
	mkdir -p /mnt &&
		mount -t ext2 "/dev/$1" /mnt &&
		cp "$VIRTIO/pattern2.bin" /mnt/data &&
		mkdir /mnt/dir &&
		echo "written through $1" >/mnt/dir/file &&
		sync &&
		umount /mnt
}

# fs_verify PARTITION WRITER: mounts the filesystem again, after dropping the
# device's cached blocks, and finds what fs_write wrote through WRITER.
fs_verify() {
	local status=0
	blockdev --flushbufs "/dev/$1" &&
		mount -t ext2 "/dev/$1" /mnt || return
	cmp /mnt/data "$VIRTIO/pattern2.bin" || status=1
	[ "$(cat /mnt/dir/file)" = "written through $2" ] || fail "/mnt/dir/file: $(cat /mnt/dir/file)" ||
		status=1
	umount /mnt
	return $status
}

# every_region KIND DEVICE [BEFORE]: every region of KIND through DEVICE (those
# that end before BEFORE, if given), each against its SHA-256.
every_region() {
	local kind name at length block flags src sha status=0
	regions "$1" >/tmp/regions.list
	while read -r kind name at length block flags src sha; do
		[ -z "$3" ] || [ $((at + length)) -le "$3" ] || continue
		read_region "$2" "$at" "$length" "$block" direct "$sha" || {
			echo "region $name"
			status=1
		}
	done </tmp/regions.list
	return $status
}

blk_hook() {
	local disk=iovda dev other kind name at length block flags src sha before p2
	dev=$(find_dev $BLK_ID)
	other=$(find_dev $RNG_ID)
	p2=$(sed -n 's/^partition 2 \([0-9]*\) .*/\1/p' "$VIRTIO/regions")
	kmsg "KTAP version 1"
	kmsg "1..3"
	# shellcheck disable=SC2046 # the case names are words
	ktap_begin 1 io_virtio_blk_disk disk_size partitions queue_per_cpu \
		$(regions read | awk '{ print "read_" $2 }') \
		$(regions write | awk '{ print "write_" $2 }') flush_reaches_driver
	run_case disk_size disk_is $disk "$(sed -n 's/^disk \([0-9]*\)$/\1/p' "$VIRTIO/regions")"
	run_case partitions partitions_are $disk $(sed -n 's/^partition [12] //p' "$VIRTIO/regions")
	run_case queue_per_cpu queue_per_cpu $disk
	regions read >/tmp/reads.list
	while read -r kind name at length block flags src sha; do
		run_case "read_$name" read_region /dev/$disk "$at" "$length" "$block" "$flags" "$sha"
	done </tmp/reads.list
	before=$(flushes $disk)
	regions write >/tmp/writes.list
	while read -r kind name at length block flags src sha; do
		run_case "write_$name" write_region /dev/$disk "$at" "$length" "$block" "$flags" \
			"$src" "$sha"
	done </tmp/writes.list
	sync
	run_case flush_reaches_driver flushed $disk "${before:-0}"
	ktap_end

	ktap_begin 2 io_virtio_blk_fs mkfs_ext2 write_sync_umount remount_verify
	run_case mkfs_ext2 mke2fs -q "/dev/${disk}2"
	run_case write_sync_umount fs_write "${disk}2"
	run_case remount_verify fs_verify "${disk}2" "${disk}2"
	ktap_end

	ktap_begin 3 io_virtio_blk_c unbind_ours c_driver_bound c_reads_pattern c_reads_written \
		c_reads_filesystem c_unbound
	run_case unbind_ours unbind "$dev" io_virtio_blk
	run_case c_driver_bound load_c "$dev" "$other"
	run_case c_reads_pattern every_region read /dev/vda "$p2"
	run_case c_reads_written every_region write /dev/vda
	run_case c_reads_filesystem fs_verify vda2 "${disk}2"
	run_case c_unbound unload_c "$dev" "$other"
	ktap_end

	# The fallback: our driver again, with every queue on INTx.
	reload_intx io_virtio_blk
	kmsg "KTAP version 1"
	kmsg "1..1"
	ktap_begin 1 io_virtio_blk_intx_disk irq_is_intx reads_pattern reads_written \
		reads_filesystem
	run_case irq_is_intx irq_is_intx io_virtio_blk
	run_case reads_pattern every_region read /dev/$disk "$p2"
	run_case reads_written every_region write /dev/$disk
	run_case reads_filesystem fs_verify "${disk}2" "${disk}2"
	ktap_end
}

case ${1:-} in
io_virtio_rng) rng_hook ;;
io_virtio_blk) blk_hook ;;
*) kmsg "harness: virtio.sh: no hook for '${1:-}'" ;;
esac
