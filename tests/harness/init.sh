#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test initramfs: mount the pseudo file systems, show the PCI
# devices, load each module listed in /etc/harness-modules in turn, unload it
# again (so the next driver can bind the same device, and the remove path
# runs too), and power off.
#
# /etc/harness-mode, when the initramfs has one, says "hotplug CYCLES": the
# hotplug stage's guest (tests/harness/hotplug.sh, hotplug.py). /init then
# loads the modules with hotplug=1 and keeps them: each driver keeps its
# device, with an I/O loop on every CPU, while the host removes the devices
# and adds them again over QMP. /init watches the devices come and go and
# reports, for each removal, whether the device's memory and port regions
# are gone from /proc/iomem and /proc/ioports and its interrupts from
# /proc/interrupts, and for each return, whether the driver bound it again.
# Once every device has come back CYCLES times, it lists the loaded modules'
# addresses, unloads them, has kmemleak scan (where the kernel has it) and
# prints what kmemleak found, and powers off.
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

# hotplug_gone BDF DRIVER N: the device BDF, which DRIVER had bound, has gone
# for the Nth time: its regions and interrupts must go too. The PCI core
# releases the BAR resources just after it removes the device from sysfs, so
# each is given up to 5 s.
hotplug_gone() {
	local bdf=$1 driver=$2 n=$3 file what verdicts= left tries
	for file in /proc/iomem /proc/ioports /proc/interrupts; do
		what=${file#/proc/}
		tries=50
		while left=$(grep -e "$bdf" -e "$driver" "$file") && [ "$tries" -gt 0 ]; do
			tries=$((tries - 1))
			usleep 100000
		done
		if [ -n "$left" ]; then
			verdicts="$verdicts, $what NOT free: $(echo "$left" | tr -s ' \n' ' ')"
		else
			verdicts="$verdicts, $what free"
		fi
	done
	say "hotplug: gone $bdf #$n${verdicts}"
}

# hotplug_back BDF DRIVER N: the device BDF is back for the Nth time: the
# driver must bind it again (its probe reports its own checks).
hotplug_back() {
	local bdf=$1 driver=$2 n=$3 tries=100 bound
	while [ "$tries" -gt 0 ]; do
		bound=$(readlink "/sys/bus/pci/devices/$bdf/driver" 2>/dev/null)
		[ "${bound##*/}" = "$driver" ] && break
		tries=$((tries - 1))
		usleep 100000
	done
	if [ "${bound##*/}" = "$driver" ]; then
		say "hotplug: back $bdf #$n: bound to $driver"
	else
		say "hotplug: back $bdf #$n: NOT bound to $driver (${bound:-no driver})"
	fi
}

# kmemleak_report: where the kernel has kmemleak, scan (twice, for objects
# only briefly unreferenced) once every object of the run is older than
# kmemleak's minimum age of 5 s, and print every unreferenced object it
# reports, with its back trace.
kmemleak_report() {
	local f=/sys/kernel/debug/kmemleak line count
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	if [ ! -e "$f" ]; then
		say "kmemleak: not in this kernel"
		return
	fi
	sleep 6
	echo scan >"$f"
	echo scan >"$f"
	count=$(grep -c '^unreferenced object' "$f")
	say "kmemleak: $count unreferenced objects"
	while IFS= read -r line; do
		say "kmemleak: | $line"
	done <"$f"
	say "kmemleak: end of report"
}

hotplug_mode() {
	local cycles=$1 module name dev bdf driver watched= all n i gone back finished state
	while read -r module; do
		name=${module%.ko}
		if out=$(insmod "/lib/modules/$module" hotplug=1 2>&1); then
			say "module $name loaded"
			for dev in /sys/bus/pci/drivers/"$name"/0000:*; do
				[ -e "$dev" ] || continue
				say "module $name bound ${dev##*/}"
				watched="$watched ${dev##*/}=$name"
			done
		else
			say "module $name failed to load: $out"
		fi
	done </etc/harness-modules
	say "hotplug: watching${watched:- nothing} for $cycles cycles each"
	say "hotplug: ready"
	# State per device, in variables named after its position in the list:
	# present (1/0), and how many times it went and came back. The loop runs
	# builtins only (a fork is slow under TCG, and the loops on every CPU
	# already compete for the guest's time) but for its pause.
	n=0
	for all in $watched; do
		n=$((n + 1))
		eval "bdf_$n=${all%=*} driver_$n=${all#*=} present_$n=1 gone_$n=0 back_$n=0"
	done
	while [ "$n" -gt 0 ]; do
		finished=1
		i=0
		while [ "$i" -lt "$n" ]; do
			i=$((i + 1))
			eval "bdf=\$bdf_$i driver=\$driver_$i state=\$present_$i"
			eval "gone=\$gone_$i back=\$back_$i"
			if [ "$state" = 1 ] && [ ! -e "/sys/bus/pci/devices/$bdf" ]; then
				gone=$((gone + 1))
				eval "present_$i=0 gone_$i=$gone"
				hotplug_gone "$bdf" "$driver" "$gone"
				state=0
			elif [ "$state" = 0 ] && [ -e "/sys/bus/pci/devices/$bdf" ]; then
				back=$((back + 1))
				eval "present_$i=1 back_$i=$back"
				hotplug_back "$bdf" "$driver" "$back"
				state=1
			fi
			[ "$back" -ge "$cycles" ] && [ "$state" = 1 ] || finished=
		done
		[ -z "$finished" ] || break
		usleep 50000
	done
	say "hotplug: cycles done"
	while read -r line; do
		set -- $line
		say "module $1 at $6 size $2"
	done </proc/modules
	while read -r module; do
		name=${module%.ko}
		if out=$(rmmod "$name" 2>&1); then
			say "module $name unloaded"
		else
			say "module $name failed to unload: $out"
		fi
	done </etc/harness-modules
	kmemleak_report
	say "init done"
	poweroff -f
}

if [ -f /etc/harness-mode ]; then
	read -r mode cycles </etc/harness-mode
	[ "$mode" = hotplug ] && hotplug_mode "$cycles"
fi

while read -r module; do
	name=${module%.ko}
	if out=$(insmod "/lib/modules/$module" 2>&1); then
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
