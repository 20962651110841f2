#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of `make bench`'s virtio-blk comparison (bench.sh blk):
# init.sh runs it as the hook of io_virtio_blk, once our driver has bound
# the disk. It loads Linux's virtio modules without letting them take the
# device, then measures, in rounds, the same disk through each driver in
# turn, handing the device from one to the other with driver_override:
# sequential O_DIRECT reads and writes and 4 KiB random reads, with
# /bin/blkload (tests/bench/blkload.c). Each result goes to the kernel log
# as one line, "virtio_bench: driver=ours|c round=N blkload: ...", which
# bench.py reads. The order of the drivers alternates from round to round,
# so that a drift of the host's speed falls on both alike.

PARAMS=/etc/virtio-bench/params
MODULES=/lib/modules/virtio

kmsg() {
	echo "$*" >/dev/kmsg
}

# The parameters: ROUNDS, and each measure's blkload arguments.
ROUNDS=11
SEQREAD="0 512 1024"
SEQWRITE="0 256 1024"
RANDREAD="512 20000 4"
[ -f "$PARAMS" ] && . "$PARAMS"

find_dev() {
	local dev
	for dev in /sys/bus/pci/devices/*; do
		if [ "$(cat "$dev/vendor")" = 0x1af4 ] && [ "$(cat "$dev/device")" = "$1" ]; then
			echo "$dev"
			return
		fi
	done
}

DEV=$(find_dev 0x1042)
BDF=${DEV##*/}

# use DRIVER: binds the disk to DRIVER (io_virtio_blk or virtio-pci) and
# prints the name of its block device once it is there.
use() {
	local driver=$1 disk tries=0
	if [ -e "$DEV/driver" ]; then
		echo "$BDF" >"$DEV/driver/unbind"
	fi
	echo "$driver" >"$DEV/driver_override"
	echo "$BDF" >"/sys/bus/pci/drivers/$driver/bind"
	case $driver in
	io_virtio_blk) disk=iovda ;;
	*) disk=vda ;;
	esac
	while [ ! -b "/dev/$disk" ] && [ $tries -lt 100 ]; do
		usleep 100000
		tries=$((tries + 1))
	done
	echo "$disk"
}

# measure LABEL DISK ROUND
measure() {
	local out
	for args in "seqread $SEQREAD" "seqwrite $SEQWRITE" "randread $RANDREAD"; do
		# shellcheck disable=SC2086 # the arguments are words
		if out=$(/bin/blkload "/dev/$2" $args 2>&1); then
			kmsg "virtio_bench: driver=$1 round=$3 $out"
		else
			kmsg "virtio_bench: driver=$1 round=$3 failed: $out"
		fi
	done
}

# Linux's virtio stack, loaded while the device is ours: it takes nothing.
echo io_virtio_blk >"$DEV/driver_override"
while read -r module; do
	insmod "$MODULES/$module" || kmsg "virtio_bench: insmod $module failed"
done </etc/virtio/c-modules

kmsg "virtio_bench: rounds=$ROUNDS seqread=$SEQREAD seqwrite=$SEQWRITE randread=$RANDREAD cpus=$(nproc)"
# A first pass, not measured, brings the image into the host's page cache.
/bin/blkload /dev/iovda seqread 0 $(($(cat /sys/block/iovda/size) / 2048)) 1024 >/dev/null
round=1
while [ $round -le "$ROUNDS" ]; do
	if [ $((round % 2)) = 1 ]; then
		order="ours c"
	else
		order="c ours"
	fi
	for label in $order; do
		if [ "$label" = ours ]; then
			disk=$(use io_virtio_blk)
		else
			disk=$(use virtio-pci)
		fi
		measure "$label" "$disk" "$round"
	done
	round=$((round + 1))
done
use io_virtio_blk >/dev/null
for module in $(sed -n '1!G;h;$p' /etc/virtio/c-modules); do
	module=${module%.ko}
	rmmod "$(echo "$module" | tr - _)"
done
kmsg "virtio_bench: done"
