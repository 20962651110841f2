#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test initramfs: mount the pseudo file systems, show the PCI
# devices, load each module listed in /etc/harness-modules in turn, with the
# parameters /etc/harness-params gives it ("NAME PARAMETER..." lines, per
# architecture: boot.sh), unload it again (so the next driver can bind the
# same device, and the remove path runs too), and power off.
#
# Everything goes to the kernel log through /dev/kmsg (the kernel command line
# has printk.devkmsg=on): the console prints kernel messages asynchronously,
# so text written to the console directly would interleave with them
# mid-line. boot.sh reads the "harness:" lines.

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

say() {
	echo "harness: $*" >/dev/kmsg
}

say "init started"
for dev in /sys/bus/pci/devices/*; do
	say "pci ${dev##*/} $(cat "$dev/vendor"):$(cat "$dev/device")"
done

while read -r module; do
	name=${module%.ko}
	params=
	[ ! -f /etc/harness-params ] ||
		params=$(sed -n "s/^$name //p" /etc/harness-params)
	[ -z "$params" ] || say "module $name parameters: $params"
	# shellcheck disable=SC2086 # one word per parameter
	if out=$(insmod "/lib/modules/$module" $params 2>&1); then
		say "module $name loaded"
		for dev in /sys/bus/pci/drivers/"$name"/0000:*; do
			[ -e "$dev" ] && say "module $name bound ${dev##*/}"
		done
		if out=$(rmmod "$name" 2>&1); then
			say "module $name unloaded"
		else
			say "module $name failed to unload: $out"
		fi
	else
		say "module $name failed to load: $out"
	fi
done </etc/harness-modules

say "init done"
poweroff -f
