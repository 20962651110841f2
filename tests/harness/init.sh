#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test initramfs: mount the pseudo file systems, show the PCI
# devices, load each module listed in /etc/harness-modules in turn (printing
# what happened; the kernel's messages go to the same console), unload it
# again so the next driver can bind the same device and the remove path
# runs too, and power off. boot.sh reads the "harness:" lines.

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

echo "harness: init started"
for dev in /sys/bus/pci/devices/*; do
	echo "harness: pci ${dev##*/} $(cat "$dev/vendor"):$(cat "$dev/device")"
done

while read -r module; do
	name=${module##*/}
	name=${name%.ko}
	if insmod "/lib/modules/$module"; then
		echo "harness: module $name loaded"
		for drv in /sys/bus/pci/drivers/"$name"/0000:*; do
			[ -e "$drv" ] && echo "harness: module $name bound ${drv##*/}"
		done
		if rmmod "$name"; then
			echo "harness: module $name unloaded"
		else
			echo "harness: module $name failed to unload"
		fi
	else
		echo "harness: module $name failed to load (status $?)"
	fi
done </etc/harness-modules

echo "harness: init done"
poweroff -f
