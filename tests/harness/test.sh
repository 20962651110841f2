#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make test`: every stage in order, going on past a failure wherever the
# later stages still mean something, then the summary (summary.sh). The
# stages that do not depend on a build configuration run once; the others
# (lib.sh's CONFIG_STAGES) run for each configuration of CONFIGS, all of
# them by default. Each stage records its result in build/results/ (lib.sh's
# result()). The last line printed is "N passed, N failed"; the exit status
# is summary.sh's.

. "$(dirname "$0")/lib.sh"

rm -rf "$RESULTS"
"$HARNESS/copycheck.sh" || true
"$HARNESS/host-test.sh" || true
"$HARNESS/selftest.sh" || true

first=yes
# The configuration whose kernel crate the docs stage documents (lib.sh).
docs_at=$(docs_config)
documented=
for config in "${BUILD_CONFIGS[@]}"; do
	export BUILD_CONFIG=$config
	arch=$(config_arch "$config")
	note "==== configuration $config ===="
	# User-mode Linux goes through the kernel's own KUnit runner.
	if [ "$arch" = um ]; then
		if "$HARNESS/kunit.sh" build; then
			"$HARNESS/kunit.sh" exec || true
			"$HARNESS/codegen.sh" || true
		else
			result kunit FAIL 0 1 0 "not run: the build failed"
		fi
		continue
	fi
	if "$HARNESS/kernel.sh"; then
		built=ok
		"$HARNESS/modules.sh" || built=
		"$HARNESS/lint.sh" clippy || true
		"$HARNESS/codegen.sh" || true
	else
		built=
	fi
	# The stages that need one built tree, but only one: rustfmt the first
	# configuration's, the docs the first whose kernel crate rustdoc can
	# document (lib.sh's docs_config).
	if [ -n "$first" ]; then
		first=
		if [ -n "$built" ]; then
			"$HARNESS/lint.sh" rustfmt || true
		else
			result rustfmt FAIL 0 1 0 "not checked: the $config build failed"
		fi
	fi
	if [ "$config" = "$docs_at" ]; then
		documented=yes
		if [ -n "$built" ]; then
			"$HARNESS/docs.sh" || true
		else
			"$HARNESS/docs.sh" --guide-only "the $config build failed" || true
		fi
	fi
	if [ -n "$built" ]; then
		"$HARNESS/boot.sh" test || true
		# The PCI Express machine, where there is one.
		[ "$arch" != x86_64 ] || "$HARNESS/boot.sh" test q35 || true
		# Hot-unplug under load, in the configurations that list it.
		if config_stages "$config" | grep -qx 'hotplug:.*'; then
			"$HARNESS/hotplug.sh" || true
		fi
	else
		result boot FAIL 0 1 0 "not booted: the build failed"
	fi
	# Also after a failed build: it names the clients that were not built.
	"$HARNESS/compat.sh" || true
done

# Every configuration was um: no tree for the guide's rustdoc and rustfmt.
if [ -n "$first" ]; then
	result rustfmt FAIL 0 1 0 "not checked: no configuration but um was built"
fi
# No configuration of the run could document the kernel crate (um, arm):
# the guide alone.
if [ -z "$documented" ]; then
	"$HARNESS/docs.sh" --guide-only \
		"none of this run's configurations (${BUILD_CONFIGS[*]}) builds 7.3's rustdoc" || true
fi

"$HARNESS/summary.sh"
