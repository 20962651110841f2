# SPDX-License-Identifier: GPL-2.0
#
# The project's commands. `make run` and `make test` are the two that matter;
# each does its own set-up first. See README.md.
#
# Variables: CONFIGS="<name> ..." narrows `make test` to some of the build
# configurations of tests/config/configs (all by default); CONFIG=<name> is
# the one the single-configuration targets (kernel, modules, run, ...) work
# on (the first of CONFIGS by default). KDIR=<kernel tree> uses that tree
# instead of downloading one; BOOT_TIMEOUT=<s> bounds a QEMU run (default
# 300); ACCEL=kvm|tcg skips the KVM probe; JOBS=<n> sets the build's
# parallelism; HOTPLUG_SEED=<n> repeats the hotplug stage's delays,
# HOTPLUG_CYCLES=<n> (20) and HOTPLUG_TIMEOUT=<s> (1500) set its length.
#
# The out-of-tree modules are built by kbuild through ./Kbuild, not through
# this file.

HARNESS := tests/harness
export KDIR BOOT_TIMEOUT ACCEL JOBS CONFIGS HOTPLUG_SEED HOTPLUG_CYCLES HOTPLUG_TIMEOUT
ifdef CONFIG
export BUILD_CONFIG := $(CONFIG)
endif

.PHONY: all setup kernel modules lint format host-test run test clean distclean
.PHONY: codegen bench clean-bench copycheck compat docs selftest hotplug

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

# The checkers' self-tests: ktap.py on recorded logs, codegen.py's rules (no kernel
# build).
selftest: setup
	@$(HARNESS)/selftest.sh

docs: kernel
	@$(HARNESS)/docs.sh

# The boot's own result is printed, but compat.sh decides: it needs the
# boot for its suites, not a boot free of other failures.
compat: modules
	@$(HARNESS)/boot.sh test || true
	@$(HARNESS)/compat.sh

run: modules
	@$(HARNESS)/boot.sh run

# Hot-unplug under load (a stage of `make test` in the configurations that list it).
hotplug: modules
	@$(HARNESS)/hotplug.sh

test: setup
	@$(HARNESS)/test.sh

# The code generation check of tests/bench alone (a stage of `make test`).
codegen: kernel
	@$(HARNESS)/codegen.sh

# Benchmarks against upstream 7.3 and C (not part of `make test`), in each
# configuration of CONFIGS: builds ours and a second, pristine kernel in
# build/<config>/obj-upstream; report in build/bench/.
bench: setup
	@$(HARNESS)/bench.sh

clean-bench:
	rm -rf build/bench build/*/bench build/*/obj-upstream build/obj-upstream \
		build/stamps/upstream-config*

# Build outputs go; the downloaded and unpacked kernel source, the APT
# states and the ccache outside the clone stay.
clean:
	rm -rf build/linux build/linux.tmp $(dir $(wildcard build/*/obj)) \
		build/logs build/results build/host \
		build/stamps/tree build/stamps/config-* build/stamps/accel

distclean:
	rm -rf build
