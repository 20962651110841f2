#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test initramfs: mount the pseudo file systems, show the PCI
# devices, load each module listed in /etc/harness-modules in turn, with the
# parameters /etc/harness-params gives it ("NAME PARAMETER..." lines, per
# architecture: boot.sh), run its hook if it has one (/etc/harness-hooks/NAME:
# checks from user space while the module is bound), unload it again (so the
# next driver can bind the same device, and the remove path runs too), run the
# fault walk where the configuration asks for it, and power off.
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
mkdir -p /tmp
DEBUGFS=/sys/kernel/debug
[ -d $DEBUGFS ] && mount -t debugfs debugfs $DEBUGFS

say() {
	echo "harness: $*" >/dev/kmsg
}

# module_params NAME: the parameters /etc/harness-params gives module NAME.
module_params() {
	[ ! -f /etc/harness-params ] || sed -n "s/^$1 //p" /etc/harness-params
}

# kmemleak_scan SINCE: where the kernel has kmemleak, has it scan twice, the
# second time once what was allocated until SINCE (date +%s) is older than
# kmemleak's minimum age of 5 s: an object is reported once two scans found
# it unreferenced. Fails where there is no kmemleak.
kmemleak_scan() {
	local wait_for
	[ -w "$DEBUGFS/kmemleak" ] || return 1
	echo scan >"$DEBUGFS/kmemleak"
	wait_for=$(($1 + 6 - $(date +%s)))
	[ $wait_for -le 0 ] || sleep $wait_for
	echo scan >"$DEBUGFS/kmemleak"
}

# ---- A device cut off from outside its driver ----
#
# The drivers of CUT_OFF_MODULES (tests/io_dead_test.rs) ask, in a KTAP
# note "harness, cut off DEVICE now", that their device stop answering while
# they are bound. A watcher started before such a module loads clears Memory
# Space Enable and Bus Master Enable in DEVICE's command register through
# sysfs, as anything outside the driver could; the register is put back once
# the module is unloaded.
CUT_OFF_MODULES=" io_dead_test "
# The command register's Memory Space Enable and Bus Master Enable bits.
MEMORY_AND_MASTER=6

# command_register DEVICE: the 16-bit command register (configuration offset
# 4) of DEVICE, in decimal.
command_register() {
	od -An -tu2 -j4 -N2 "/sys/bus/pci/devices/$1/config" | tr -d ' '
}

# set_command_register DEVICE VALUE: one 16-bit configuration write.
set_command_register() {
	printf "\\$(printf %03o $(($2 & 255)))\\$(printf %03o $(($2 >> 8)))" |
		dd of="/sys/bus/pci/devices/$1/config" bs=2 seek=2 count=1 conv=notrunc 2>/dev/null
}

# cut_off_when_asked MODULE: in the background, waits (20 s at most) for
# MODULE's request, then cuts the device off and records it and its command
# register in /tmp/cut-off.
cut_off_when_asked() {
	rm -f /tmp/cut-off
	(
		tries=0
		while [ $tries -lt 200 ]; do
			dev=$(dmesg | sed -n "s/^.*$1: .*# harness, cut off \([0-9a-f:.]*\) now\$/\1/p")
			if [ -n "$dev" ]; then
				command=$(command_register "$dev")
				echo "$dev $command" >/tmp/cut-off
				set_command_register "$dev" $((command & ~MEMORY_AND_MASTER))
				say "cut off $dev: command register $command -> $(command_register "$dev")"
				exit 0
			fi
			sleep 0.1
			tries=$((tries + 1))
		done
		say "cut off: $1 never asked"
	) &
	cutter=$!
}

# put_back: waits for the watcher, then restores the command register of the
# device it cut off.
put_back() {
	local dev command
	wait "$cutter"
	if read -r dev command </tmp/cut-off; then
		set_command_register "$dev" "$command"
		say "cut off $dev: command register put back to $(command_register "$dev")"
	fi
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

# hotplug_load BDF DRIVER: where DRIVER is a virtio sample, a reader in the
# background for as long as DRIVER has BDF, so that requests are in flight
# when QEMU removes it: direct reads of the disk, which the page cache cannot
# answer, or reads of /dev/hwrng, whose only source is the driver's. A read
# that the removal cuts short fails; the reader then ends with the binding.
# /tmp/hotplug-stop ends them all (hotplug_mode, before unloading).
hotplug_load() {
	local read
	case $2 in
	io_virtio_blk) read="dd if=/dev/iovda of=/dev/null bs=64k count=16 iflag=direct" ;;
	io_virtio_rng) read="dd if=/dev/hwrng of=/dev/null bs=64 count=4" ;;
	*) return 0 ;;
	esac
	(
		while [ -e "/sys/bus/pci/drivers/$2/$1" ] && [ ! -e /tmp/hotplug-stop ]; do
			# shellcheck disable=SC2086 # one word per operand
			$read 2>/dev/null
			usleep 20000
		done
	) &
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
		hotplug_load "$bdf" "$driver"
	else
		say "hotplug: back $bdf #$n: NOT bound to $driver (${bound:-no driver})"
	fi
}

# kmemleak_report: where the kernel has kmemleak, scan (kmemleak_scan) and
# print every unreferenced object it reports, with its back trace.
kmemleak_report() {
	local line
	if ! kmemleak_scan "$(date +%s)"; then
		say "kmemleak: not in this kernel"
		return
	fi
	say "kmemleak: $(grep -c '^unreferenced object' "$DEBUGFS/kmemleak") unreferenced objects"
	while IFS= read -r line; do
		say "kmemleak: | $line"
	done <"$DEBUGFS/kmemleak"
	say "kmemleak: end of report"
}

hotplug_mode() {
	local cycles=$1 module name dev bdf driver watched= all n i gone back finished state
	while read -r module; do
		name=${module%.ko}
		# shellcheck disable=SC2046 # one word per parameter
		if out=$(insmod "/lib/modules/$module" $(module_params "$name") hotplug=1 2>&1); then
			say "module $name loaded"
			for dev in /sys/bus/pci/drivers/"$name"/0000:*; do
				[ -e "$dev" ] || continue
				say "module $name bound ${dev##*/}"
				watched="$watched ${dev##*/}=$name"
				hotplug_load "${dev##*/}" "$name"
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
	# The readers hold the disk open, which would keep its module loaded.
	: >/tmp/hotplug-stop
	wait
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

# Each module that binds a device: "MODULE DEVICE" lines, for the fault walk.
: >/tmp/bound
while read -r module; do
	name=${module%.ko}
	params=$(module_params "$name")
	[ -z "$params" ] || say "module $name parameters: $params"
	case $CUT_OFF_MODULES in *" $name "*) cut_off_when_asked "$name" ;; esac
	# shellcheck disable=SC2086 # one word per parameter
	if out=$(insmod "/lib/modules/$module" $params 2>&1); then
		say "module $name loaded"
		for dev in /sys/bus/pci/drivers/"$name"/0000:*; do
			[ -e "$dev" ] || continue
			say "module $name bound ${dev##*/}"
			echo "$name ${dev##*/}" >>/tmp/bound
		done
		if [ -x "/etc/harness-hooks/$name" ]; then
			"/etc/harness-hooks/$name" "$name"
			say "module $name hook done"
		fi
		if out=$(rmmod "$name" 2>&1); then
			say "module $name unloaded"
		else
			say "module $name failed to unload: $out"
		fi
	else
		say "module $name failed to load: $out"
	fi
	case $CUT_OFF_MODULES in *" $name "*) put_back ;; esac
done </etc/harness-modules

# ---- The fault walk (Documentation/testing.rst) ----
#
# For each driver of /etc/harness-fault-walk and each device it bound above,
# the driver's module is loaded again with fault_walk=1 (no KTAP; any failed
# check fails the probe), the parameters its line gives, and with automatic
# binding off, and the device is
# bound to it with the kernel's fault injection failing one allocation of
# this task, the Nth one below the module's code, for N = 1, 2, ... until a
# bind meets no Nth one: /proc/thread-self/fail-nth, with the stack trace
# filter of failslab and fail_page_alloc set to the module's address range.
# Each failure point ends in one "point N:" line: how the bind ended, and
# what it left behind (a bound device, a BAR region, an interrupt handler,
# MSI vectors, DMA mappings). The bind with no failure must bind, every check
# passing. At the end, kmemleak looks for memory that nothing references and
# that our modules allocated. faults.py checks the lines.

# symbol_range NAME: "START END" of the kernel function NAME, END being the
# next symbol's address (/proc/kallsyms lists the kernel's symbols in
# address order).
symbol_range() {
	awk -v name="$1" '
		found && $1 != start { print "0x" start, "0x" $1; exit }
		$3 == name && !found { found = 1; start = $1 }' /proc/kallsyms
}

# walk_exclusions: what the walk does not fail, each for its reason.
# - The checkers' own bookkeeping, which tolerates a failure by design:
#   kmemleak's metadata (its two slab caches: failslab's cache filter is on,
#   and every other cache is marked to fail), and the stack depot's pools,
#   which KASAN and kmemleak fill (a page allocation of
#   stack_depot_save_flags(), rejected by fail_page_alloc's stack trace
#   filter).
# - The entries under /proc/irq/N/ that register_irq_proc() creates: it
#   tolerates a failure to create one, but unregister_irq_proc() then
#   removes it all the same and remove_proc_entry() warns ("name
#   'spurious'"), a bug of the kernel's interrupt code rather than of the
#   drivers (rejected by failslab's stack trace filter).
# - debugfs's entries: their dentries and inodes (the dentry and
#   debugfs_inode_cache slab caches, unmarked). debugfs never reports a
#   failure to whoever creates an entry, by design, so none reaches a
#   driver; the block layer's entries for a new disk and its queues made
#   half of io_virtio_blk's failure points, each a whole bind tolerated.
walk_exclusions() {
	local cache marked=0 unmarked=
	for cache in /sys/kernel/slab/*; do
		case ${cache##*/} in
		kmemleak_* | dentry | debugfs_inode_cache) echo 0 >"$cache/failslab" ;;
		*)
			if echo 1 >"$cache/failslab" 2>/dev/null; then
				marked=$((marked + 1))
			else
				unmarked="$unmarked ${cache##*/}"
			fi
			;;
		esac
	done
	say "fault-walk: $marked slab caches may fail${unmarked:+; not:$unmarked}"
	[ $marked -gt 0 ] && echo Y >"$DEBUGFS/failslab/cache-filter" || return 1
	set -- $(symbol_range stack_depot_save_flags)
	[ $# -eq 2 ] && echo "$1" >"$DEBUGFS/fail_page_alloc/reject-start" &&
		echo "$2" >"$DEBUGFS/fail_page_alloc/reject-end" || return 1
	set -- $(symbol_range register_irq_proc)
	[ $# -eq 2 ] && echo "$1" >"$DEBUGFS/failslab/reject-start" &&
		echo "$2" >"$DEBUGFS/failslab/reject-end"
}

# walk_filter MODULE: limit the failure points to the calls made below
# MODULE's code, [its base, base + core size).
walk_filter() {
	local base size attr
	# NAME SIZE USERS DEPENDENCIES STATE ADDRESS [TAINTS]
	base=$(awk -v m="$1" '$1 == m { print $6 }' /proc/modules)
	size=$(cat "/sys/module/$1/coresize")
	[ -n "$base" ] && [ -n "$size" ] || return 1
	for attr in failslab fail_page_alloc; do
		echo "$base" >"$DEBUGFS/$attr/require-start" &&
			printf '0x%x\n' $((base + size)) >"$DEBUGFS/$attr/require-end" || return 1
	done
}

# holds FILE WORD: whether a line of FILE names WORD (as " WORD" or
# " WORD_..."). Shell builtins only, as in the rest of the walk's loop: a
# child process per check would cost more than most probes.
holds() {
	local line
	[ -r "$1" ] || return 1
	while read -r line; do
		case " $line " in *" $2 "* | *" $2"_*) return 0 ;; esac
	done <"$1"
	return 1
}

# leftovers MODULE DEVICE: what MODULE still holds of DEVICE, one word each,
# in $held.
leftovers() {
	held=
	[ -e "/sys/bus/pci/drivers/$1/$2" ] && held="$held bound"
	{ holds /proc/iomem "$1" || holds /proc/ioports "$1"; } && held="$held region"
	holds /proc/interrupts "$1" && held="$held irq"
	set -- "$1" "$2" /sys/bus/pci/devices/"$2"/msi_irqs/*
	[ -e "$3" ] && held="$held msi"
	holds "$DEBUGFS/dma-api/dump" "$2" && held="$held dma"
}

# walk_device MODULE DEVICE: the walk of one driver on one device.
walk_device() {
	local n=1 rc left held outcome
	while :; do
		# The bind file is opened before the failure is armed: only the write
		# binds.
		exec 3>"/sys/bus/pci/drivers/$1/bind"
		echo "$n" >/proc/thread-self/fail-nth
		echo "$2" >&3 2>/tmp/bind-error
		rc=$?
		read -r left </proc/thread-self/fail-nth
		echo 0 >/proc/thread-self/fail-nth
		exec 3>&-
		# A counter left above 0: the bind made fewer than N calls that could
		# fail, so every point has been walked, and this bind had no failure.
		[ "$left" -eq 0 ] || break
		if [ $rc -ne 0 ]; then
			# busybox's "sh: write error: REASON"
			read -r outcome </tmp/bind-error
			outcome="error: ${outcome##*: }"
		else
			# The failure did not reach the driver: the kernel tolerated it
			# (an optional /proc entry, say), and every check passed.
			outcome="tolerated"
			echo "$2" >"/sys/bus/pci/drivers/$1/unbind"
		fi
		leftovers "$1" "$2"
		if [ -n "$held" ]; then
			say "fault-walk $1 $2 point $n: $outcome, LEFT$held"
			[ -e "/sys/bus/pci/drivers/$1/$2" ] && echo "$2" >"/sys/bus/pci/drivers/$1/unbind"
		else
			say "fault-walk $1 $2 point $n: $outcome, clean"
		fi
		n=$((n + 1))
		if [ $n -gt 5000 ]; then
			say "fault-walk $1 $2: stopped after 5000 failure points"
			return
		fi
	done
	if [ $rc -eq 0 ] && [ -e "/sys/bus/pci/drivers/$1/$2" ]; then
		outcome=bound
		echo "$2" >"/sys/bus/pci/drivers/$1/unbind"
		leftovers "$1" "$2"
		[ -z "$held" ] || outcome="bound, LEFT$held after unbind"
	else
		outcome="FAILED (status $rc)"
	fi
	say "fault-walk $1 $2: $((n - 1)) failure points walked; without a failure: $outcome"
}

fault_walk() {
	local module walk_params devices dev attr walked= leaks count verbose
	[ -s /etc/harness-fault-walk ] || return 0
	if [ ! -e /proc/thread-self/fail-nth ] || [ ! -d "$DEBUGFS/failslab" ]; then
		say "fault-walk: not possible: this kernel has no fail-nth or no failslab"
		return
	fi
	say "fault-walk: begin"
	# Every allocation may fail, blocking or not, of any order; no other
	# failure than the chosen one; one line per failure in the log, no stack.
	verbose=$(sed -n 's/.*harness\.fault_verbose=\([0-9]\).*/\1/p' /proc/cmdline)
	for attr in failslab fail_page_alloc; do
		echo N >"$DEBUGFS/$attr/ignore-gfp-wait"
		echo 0 >"$DEBUGFS/$attr/probability"
		echo "${verbose:-1}" >"$DEBUGFS/$attr/verbose"
	done
	echo N >"$DEBUGFS/fail_page_alloc/ignore-gfp-highmem"
	echo 0 >"$DEBUGFS/fail_page_alloc/min-order"
	if ! walk_exclusions; then
		say "fault-walk: not possible: the exclusions could not be set"
		return
	fi
	echo 0 >/sys/bus/pci/drivers_autoprobe
	while read -r module walk_params; do
		devices=$(sed -n "s/^$module //p" /tmp/bound)
		# A module that bound nothing is not a driver (a KUnit module).
		[ -n "$devices" ] || continue
		# shellcheck disable=SC2046,SC2086 # one word per parameter
		if ! out=$(insmod "/lib/modules/$module.ko" $(module_params "$module") $walk_params \
			fault_walk=1 2>&1); then
			say "fault-walk $module: failed to load: $out"
			continue
		fi
		walked="$walked $module"
		if ! walk_filter "$module"; then
			say "fault-walk $module: no address range for the stack trace filter"
			continue
		fi
		for dev in $devices; do
			walk_device "$module" "$dev"
		done
	done </etc/harness-fault-walk
	for attr in failslab fail_page_alloc; do
		echo 0 >"$DEBUGFS/$attr/require-start"
		echo 0xffffffffffffffff >"$DEBUGFS/$attr/require-end"
		echo 0 >"$DEBUGFS/$attr/reject-start"
		echo 0 >"$DEBUGFS/$attr/reject-end"
	done
	echo N >"$DEBUGFS/failslab/cache-filter"
	# The modules stay loaded during the scan, so that kmemleak's backtraces
	# name them.
	if kmemleak_scan "$(date +%s)"; then
		leaks=$(cat "$DEBUGFS/kmemleak")
		for module in $walked; do
			count=$(echo "$leaks" | awk -v m="[$module]" '
				/^unreferenced object/ { object = 1; seen = 0 }
				object && !seen && index($0, m) { seen = 1; n++ }
				END { print n + 0 }')
			say "fault-walk kmemleak $module: $count unreferenced objects"
		done
	else
		say "fault-walk kmemleak: not possible: no kmemleak"
	fi
	for module in $walked; do
		out=$(rmmod "$module" 2>&1) || say "fault-walk $module: failed to unload: $out"
	done
	echo 1 >/sys/bus/pci/drivers_autoprobe
	say "fault-walk: end"
}

fault_walk

say "init done"
poweroff -f
