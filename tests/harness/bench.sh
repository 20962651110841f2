#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: measure the I/O layer against upstream 7.3 and against C, in
# each build configuration of CONFIGS (all by default), and write the report
# to build/bench/report.txt and report.md, a part per configuration. Not part
# of `make test`; it never fails on a number, only when something cannot be
# built or run.
#
# Per configuration, into build/<config>/bench (`bench.sh config`, with
# BUILD_CONFIG set):
#   0. our kernel and modules (kernel.sh, modules.sh; incremental);
#   1. codegen.sh: the probes (and io_bench) against our kernel;
#   2. upstream:   the pristine 7.3 tree, built with our kernel's .config into
#                  build/<config>/obj-upstream, then the same probe source and
#                  our own sample modules against it;
#   3. generated code per probe: ours, upstream, C (codegen.py);
#   4. code size of the stock Rust PCI samples and of our samples, ours
#      against upstream (bench.py sizes);
#   5. x86_64 only: a boot that loads io_bench alone: throughput on
#      ivshmem-plain's BAR 2, ours against C in the same boot (bench.py
#      throughput). On another architecture, emulated by TCG, a time says
#      nothing about the hardware: its part has instructions, calls and sizes.
#   6. x86_64 only: a boot with a virtio-blk disk that our io_virtio_blk and
#      Linux's virtio_blk drive in turn, the same device and image file:
#      sequential read and write throughput and 4 KiB random-read IOPS, in
#      rounds (virtio_bench.sh, with blkload.c), and the ratios ours / C
#      with their spread (bench.py blk).
#
# Usage: bench.sh [boot|blk]   ("boot" redoes step 5 alone, "blk" step 6,
#                               for BUILD_CONFIG, and prints its table)

. "$(dirname "$0")/lib.sh"

BENCH_SRC=$TOP/tests/bench
BENCH_OUT=$BUILD/$BUILD_CONFIG/bench
UP_OBJ=$BUILD/$BUILD_CONFIG/obj-upstream
UP_LOG=$CONFIG_LOGS/kernel-upstream.log
BOOT_LOG=$BENCH_OUT/boot.log
REPORT=$BUILD/bench/report
start_all=$SECONDS

# step NAME CMD...: runs CMD, printing how long it took.
step() {
	local name=$1 t=$SECONDS rc=0
	shift
	"$@" || rc=$?
	note "bench: $name: $([ "$rc" -eq 0 ] && echo done || echo "FAILED ($rc)") in $((SECONDS - t)) s"
	return "$rc"
}

# The pristine tree, configured exactly as ours (our .config, olddefconfig)
# and rebuilt incrementally. The configuration is redone only when ours
# changed.
upstream_kernel() {
	local pristine want
	pristine=$(pristine_tree) &&
		mkdir -p "$UP_OBJ" &&
		want=$( (echo "$pristine"; cat "$OBJ/.config") | sha256sum | cut -d' ' -f1) &&
		if [ "$(cat "$STAMPS/upstream-config-$BUILD_CONFIG" 2>/dev/null)" != "$want" ] ||
			[ ! -f "$UP_OBJ/.config" ]; then
			cp "$OBJ/.config" "$UP_OBJ/.config" &&
				make -C "$pristine" O="$UP_OBJ" "${KBUILD_VARS[@]}" olddefconfig &&
				echo "$want" >"$STAMPS/upstream-config-$BUILD_CONFIG"
		fi &&
		make -C "$pristine" O="$UP_OBJ" "${KBUILD_VARS[@]}" all
}

# Configuration lines that differ between the two kernels (none expected:
# our overlay adds no Kconfig symbol the fragment sets).
config_delta() {
	diff <(grep '^CONFIG_' "$OBJ/.config" | sort) <(grep '^CONFIG_' "$UP_OBJ/.config" | sort) |
		grep -c '^[<>]' || true
}

upstream_probes() {
	mkdir -p "$BENCH_OUT/upstream" &&
		make -C "$UP_OBJ" M="$BENCH_SRC" MO="$BENCH_OUT/upstream" "${KBUILD_VARS[@]}" \
			IO_BENCH_PROBES_ONLY=y modules
}

# Our own modules (./Kbuild: samples/ and tests/) against upstream. Those
# that use more than 7.3's API fail to build there; -k builds the others.
upstream_samples() {
	[ -f "$TOP/samples/Kbuild" ] || return 0
	mkdir -p "$BENCH_OUT/upstream-modules"
	make -k -C "$UP_OBJ" M="$TOP" MO="$BENCH_OUT/upstream-modules" "${KBUILD_VARS[@]}" \
		modules >"$CONFIG_LOGS/bench-upstream-samples.log" 2>&1 || true
}

# LABEL=OURS:UPSTREAM for the stock samples and each of our samples that the
# last `make modules` built (its modules.order, not stale objects).
size_specs() {
	local s o
	for s in rust_driver_pci rust_dma; do
		echo "samples/rust/$s=$OBJ/samples/rust/$s.o:$UP_OBJ/samples/rust/$s.o"
	done
	[ -f "$MODULES_OUT/modules.order" ] || return 0
	grep '^samples/' "$MODULES_OUT/modules.order" | while read -r o; do
		echo "$o=$MODULES_OUT/$o:$BENCH_OUT/upstream-modules/$o"
	done
}

# A boot that loads io_bench.ko alone, with the harness's init and devices.
bench_boot() {
	local dir=$BENCH_OUT/initramfs accel rc=0 t
	rm -rf "$dir"
	mkdir -p "$dir"
	echo io_bench.ko >"$dir/modules"
	echo "suite io_bench 1" >"$dir/expect"
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		for d in /bin /proc /sys /etc /lib /lib/modules; do
			echo "dir $d 0755 0 0"
		done
		echo "file /bin/busybox /bin/busybox 0755 0 0" # x86_64's
		echo "file /init $HARNESS/init.sh 0755 0 0"
		echo "file /etc/harness-modules $dir/modules 0644 0 0"
		echo "file /lib/modules/io_bench.ko $BENCH_OUT/ours/io_bench.ko 0644 0 0"
	} >"$dir/list"
	"$OBJ/usr/gen_init_cpio" "$dir/list" | gzip -1 >"$dir.cpio.gz"
	accel=${ACCEL:-$(cat "$STAMPS/accel" 2>/dev/null || echo tcg)}
	note "bench: booting under QEMU ($accel) with io_bench; console in $BOOT_LOG"
	t=$SECONDS
	# The devices of boot.sh; only the KUnit suite of io_bench runs.
	timeout -k 5 "$BOOT_TIMEOUT" qemu-system-x86_64 -m 512M -nographic -no-reboot \
		-kernel "$OBJ/arch/x86/boot/bzImage" -accel "$accel" \
		-device edu -device pci-testdev \
		-object memory-backend-ram,id=shm,size=1M -device ivshmem-plain,memdev=shm \
		-initrd "$dir.cpio.gz" \
		-append "console=ttyS0 panic=-1 printk.devkmsg=on kunit.filter_glob=io_bench" \
		</dev/null 2>&1 | tr -d '\r' >"$BOOT_LOG" || rc=${PIPESTATUS[0]}
	echo "$accel" >"$dir/accel"
	python3 -B "$HARNESS/ktap.py" --log "$BOOT_LOG" --kernel-tree "$(pristine_tree)" \
		--counts "$dir/counts" --modules "$dir/modules" --qemu-status "$rc" --elapsed $((SECONDS - t)) "$dir/expect"
}

# A boot in which io_virtio_blk and Linux's virtio_blk take turns on one
# virtio-blk disk, measured by virtio_bench.sh with blkload (step 6).
BLK_LOG=$BENCH_OUT/blk-boot.log
BLK_IMAGE=$BENCH_OUT/blk.img
bench_blk_boot() {
	local dir=$BENCH_OUT/blk-initramfs accel rc=0 ko
	rm -rf "$dir"
	mkdir -p "$dir"
	gcc -static -O2 -pthread -Wall -o "$dir/blkload" "$BENCH_SRC/blkload.c" || return 1
	echo io_virtio_blk.ko >"$dir/modules"
	for ko in "${VIRTIO_C_MODULES[@]}"; do
		echo "${ko##*/}"
	done >"$dir/c-modules"
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		for d in /bin /proc /sys /etc /lib /lib/modules /lib/modules/virtio /tmp \
			/etc/harness-hooks /etc/virtio; do
			echo "dir $d 0755 0 0"
		done
		echo "file /bin/busybox /bin/busybox 0755 0 0" # x86_64's
		echo "file /bin/blkload $dir/blkload 0755 0 0"
		echo "file /init $HARNESS/init.sh 0755 0 0"
		echo "file /etc/harness-modules $dir/modules 0644 0 0"
		echo "file /etc/harness-hooks/io_virtio_blk $HARNESS/virtio_bench.sh 0755 0 0"
		echo "file /etc/virtio/c-modules $dir/c-modules 0644 0 0"
		echo "file /lib/modules/io_virtio_blk.ko $MODULES_OUT/samples/io_virtio_blk.ko 0644 0 0"
		for ko in "${VIRTIO_C_MODULES[@]}"; do
			echo "file /lib/modules/virtio/${ko##*/} $OBJ/$ko 0644 0 0"
		done
	} >"$dir/list"
	"$OBJ/usr/gen_init_cpio" "$dir/list" | gzip -1 >"$dir.cpio.gz"
	truncate -s 0 "$BLK_IMAGE"
	truncate -s 512M "$BLK_IMAGE"
	accel=${ACCEL:-$(cat "$STAMPS/accel" 2>/dev/null || echo tcg)}
	note "bench: booting under QEMU ($accel) with io_virtio_blk and virtio_blk; console in" \
		"$BLK_LOG"
	# boot.sh's machine (qemu_machine: its CPUs, memory and TCG threads)
	# and disk options, a queue per CPU, but for the host's cache:
	# cache=unsafe keeps the image in the host's page cache and makes the
	# guest's flushes no-ops there, so that no measure waits for the host's
	# disk, a device that neither driver is. No KUnit suite runs.
	qemu_machine
	# shellcheck disable=SC2046 # accel_args's words
	timeout -k 5 "$BOOT_TIMEOUT" "${QEMU[@]}" -nographic $(accel_args "$accel") \
		-drive "file=$BLK_IMAGE,format=raw,if=none,id=disk,cache=unsafe" \
		-device "virtio-blk-pci,drive=disk,disable-legacy=on,iommu_platform=on,num-queues=$GUEST_CPUS" \
		-initrd "$dir.cpio.gz" \
		-append "console=$CONSOLE panic=-1 printk.devkmsg=on kunit.enable=0" \
		</dev/null 2>&1 | tr -d '\r' >"$BLK_LOG" || rc=${PIPESTATUS[0]}
	echo "$accel" >"$dir/accel"
	[ "$rc" = 0 ]
}

# One configuration's part: steps 0 to 6, and its sections of the report in
# BENCH_OUT (sections.txt, one TITLE=PREFIX per line, for bench.py report).
bench_config() {
	local specs boot=ok delta version accel sections=$BENCH_OUT/sections.txt
	mkdir -p "$BENCH_OUT"
	rm -f "$BENCH_OUT"/probes.* "$BENCH_OUT"/throughput.* "$BENCH_OUT"/sizes.* \
		"$BENCH_OUT"/targets.* "$BENCH_OUT"/notes.* "$BENCH_OUT"/blk.* "$sections"

	# 0, 1. Ours. A failed check is reported, not fatal: the report shows it.
	step "our kernel" "$HARNESS/kernel.sh" || return 1
	step "our modules" "$HARNESS/modules.sh" || return 1
	step "probes against our kernel (codegen stage)" "$HARNESS/codegen.sh" || true
	[ -f "$BENCH_OUT/ours/io_probes.ko" ] || { note "bench: the probes did not build"; return 1; }

	# 2. Upstream.
	note "bench: building upstream 7.3 with our .config in $UP_OBJ (log $UP_LOG)"
	step "upstream kernel" run_logged "$UP_LOG" upstream_kernel || return 1
	step "probes against upstream" run_logged "$CONFIG_LOGS/bench-upstream-probes.log" \
		upstream_probes || return 1
	step "our samples against upstream" upstream_samples

	# 3. Generated code.
	python3 "$HARNESS/codegen.py" probes --out "$BENCH_OUT/probes" \
		--ours "$BENCH_OUT/ours/io_probes.ko" --upstream "$BENCH_OUT/upstream/io_probes.ko" \
		--c "$BENCH_OUT/ours/io_probes_c.ko" \
		--ours-kernel "$OBJ/vmlinux" --upstream-kernel "$UP_OBJ/vmlinux" >/dev/null

	# 4. Code size.
	mapfile -t specs < <(size_specs)
	python3 "$HARNESS/bench.py" sizes --out "$BENCH_OUT/sizes" "${specs[@]}" >/dev/null

	# 5, 6. Throughput, on x86_64. A failed boot leaves its section empty
	# and fails the run.
	if [ "$CFG_ARCH" = x86_64 ]; then
		step "bench boot" bench_boot || boot=FAIL
		python3 "$HARNESS/bench.py" throughput --log "$BOOT_LOG" \
			--out "$BENCH_OUT/throughput" >/dev/null || boot=FAIL
		step "virtio-blk bench boot" bench_blk_boot || boot=FAIL
		python3 "$HARNESS/bench.py" blk --log "$BLK_LOG" \
			--out "$BENCH_OUT/blk" >/dev/null || boot=FAIL
	fi

	python3 "$HARNESS/bench.py" targets --probes "$BENCH_OUT/probes" \
		--sizes "$BENCH_OUT/sizes" --throughput "$BENCH_OUT/throughput" \
		--out "$BENCH_OUT/targets" >/dev/null
	delta=$(config_delta)
	version=$(cat "$STAMPS/kernel-version" 2>/dev/null || echo "KDIR $(pristine_tree)")
	accel=$(cat "$BENCH_OUT/initramfs/accel" 2>/dev/null || echo none)
	{
		echo "kernel: $version, ARCH=$CFG_ARCH${CFG_LLVM:+, LLVM=$CFG_LLVM}," \
			"rustc $CFG_RUST; upstream: the pristine tree with our .config"
		echo "configurations differ in $delta CONFIG_ lines"
		if [ "$CFG_ARCH" = x86_64 ]; then
			echo "guest accel: $accel"
		else
			echo "no throughput: the guest is emulated (TCG), so times say nothing" \
				"about $CFG_ARCH hardware"
		fi
	} >"$BENCH_OUT/notes.txt"
	cp "$BENCH_OUT/notes.txt" "$BENCH_OUT/notes.md"
	sed -i 's/^/- /' "$BENCH_OUT/notes.md"
	{
		echo "$BUILD_CONFIG: build=$BENCH_OUT/notes"
		echo "$BUILD_CONFIG: targets of issue 7=$BENCH_OUT/targets"
		echo "$BUILD_CONFIG: code per probe, instructions / calls" \
			"(listings: $BUILD_CONFIG/bench/probes-listings.txt)=$BENCH_OUT/probes"
		echo "$BUILD_CONFIG: code size of module objects" \
			"(I/O fns: kernel::io, pci::io, Bar, Coherent)=$BENCH_OUT/sizes"
		if [ "$CFG_ARCH" = x86_64 ]; then
			echo "$BUILD_CONFIG: throughput on ivshmem-plain BAR 2" \
				"(QEMU, best of rounds, ratios to C)=$BENCH_OUT/throughput"
			echo "$BUILD_CONFIG: virtio-blk, io_virtio_blk against Linux's virtio_blk" \
				"(same boot, device and image; medians of rounds)=$BENCH_OUT/blk"
		fi
	} >"$sections"
	[ "$boot" = ok ]
}

case ${1:-} in
blk)
	mkdir -p "$BENCH_OUT"
	[ "$CFG_ARCH" = x86_64 ] || { note "bench: no throughput boot for ARCH=$CFG_ARCH"; exit 1; }
	"$HARNESS/modules.sh" || exit 1
	bench_blk_boot || true
	python3 "$HARNESS/bench.py" blk --log "$BLK_LOG" --out "$BENCH_OUT/blk"
	exit
	;;
boot)
	mkdir -p "$BENCH_OUT"
	[ "$CFG_ARCH" = x86_64 ] || { note "bench: no throughput boot for ARCH=$CFG_ARCH"; exit 1; }
	bench_boot || true
	python3 "$HARNESS/bench.py" throughput --log "$BOOT_LOG" --out "$BENCH_OUT/throughput"
	exit
	;;
config)
	note "bench: ==== configuration $BUILD_CONFIG ===="
	bench_config
	exit
	;;
esac

# Every configuration of CONFIGS, each in a process of its own (lib.sh's
# settings are the configuration's), then the report.
rc=0
mkdir -p "$(dirname "$REPORT")"
rm -f "$REPORT".*
sections=()
for config in "${BUILD_CONFIGS[@]}"; do
	BUILD_CONFIG=$config "$0" config || rc=1
	if [ -f "$BUILD/$config/bench/sections.txt" ]; then
		mapfile -t -O "${#sections[@]}" sections <"$BUILD/$config/bench/sections.txt"
	fi
done
python3 "$HARNESS/bench.py" report --out "$REPORT" \
	--title "kernel::io benchmark report" \
	--note "date: $(date -u "+%F %R UTC"); project $(git -C "$TOP" describe --always --dirty)" \
	--note "configurations: ${BUILD_CONFIGS[*]}" \
	--note "host: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" \
	--note "reproduce: make bench CONFIGS=\"${BUILD_CONFIGS[*]}\" (took $((SECONDS - start_all)) s)" \
	"${sections[@]}" >/dev/null
note "bench: report in $REPORT.txt and report.md ($((SECONDS - start_all)) s)"
exit "$rc"
