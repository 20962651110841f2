# SPDX-License-Identifier: GPL-2.0
#
# The project's commands. `make run` and `make test` are the two that matter;
# each does its own set-up first. See README.md.
#
# Variables: KDIR=<kernel tree> uses that tree instead of downloading one;
# BOOT_TIMEOUT=<s> bounds a QEMU run (default 300); ACCEL=kvm|tcg skips the
# KVM probe; JOBS=<n> sets the build's parallelism.
#
# The out-of-tree modules are built by kbuild through ./Kbuild, not through
# this file.

HARNESS := tests/harness
export KDIR BOOT_TIMEOUT ACCEL JOBS

.PHONY: all setup kernel modules lint format host-test run test clean distclean
.PHONY: codegen bench clean-bench copycheck compat docs ktap

all: test

setup:
	@$(HARNESS)/setup.sh

kernel: setup
	@$(HARNESS)/kernel.sh

modules: kernel
	@$(HARNESS)/modules.sh

lint: modules
	@$(HARNESS)/lint.sh

format: setup
	@$(HARNESS)/format.sh

host-test: setup
	@$(HARNESS)/host-test.sh

copycheck: setup
	@$(HARNESS)/copycheck.sh

# The boot log checker's self-tests on recorded logs (no kernel build).
ktap: setup
	@$(HARNESS)/ktap-test.sh

docs: kernel
	@$(HARNESS)/docs.sh

# The boot's own result is printed, but compat.sh decides: it needs the
# boot for its suites, not a boot free of other failures.
compat: modules
	@$(HARNESS)/boot.sh test || true
	@$(HARNESS)/compat.sh

run: modules
	@$(HARNESS)/boot.sh run

test: setup
	@$(HARNESS)/test.sh

# The code generation check of tests/bench alone (a stage of `make test`).
codegen: kernel
	@$(HARNESS)/codegen.sh

# Benchmarks against upstream 7.3 and C (not part of `make test`): builds a
# second, pristine kernel in build/obj-upstream; report in build/bench/.
bench: modules
	@$(HARNESS)/bench.sh

clean-bench:
	rm -rf build/bench build/obj-upstream build/stamps/upstream-config

# Build outputs go; the downloaded and unpacked kernel source stays.
clean:
	rm -rf build/linux build/linux.tmp build/obj build/modules build/initramfs \
		build/initramfs.cpio.gz build/logs build/results build/host \
		build/stamps/tree build/stamps/config build/stamps/accel

distclean:
	rm -rf build
