#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Docs stage (`make docs`):
#
# - the guide's Rust (doccheck.py): every snippet is a literalinclude of a
#   file the build compiles, cut at a pair of snippet markers, and every
#   marked snippet is shown by some page;
# - the guide in Documentation/, built with Debian's Sphinx into build/docs,
#   every warning (a broken reference, a malformed table, a missing toctree
#   entry) a failure;
# - the kernel crate's rustdoc (`make rustdoc` over the overlaid tree, after
#   the kernel build), any warning located in one of our files a failure.
#   `docs.sh --guide-only WHY` skips it, saying why (make test does so when
#   the kernel build failed, which is already reported, and when none of the
#   run's configurations can build 7.3's rustdoc: lib.sh's docs_config).
#
# A gate: it counts nothing when it holds, one failure when it does not.

. "$(dirname "$0")/lib.sh"

status=0

GUIDE_LOG=$LOGS/docs.log
guide() {
	local rc=0
	python3 -B "$HARNESS/doccheck.py" "$TOP/Documentation" "$TOP" || rc=1
	/usr/bin/sphinx-build -W --keep-going -q -b html "$TOP/Documentation" "$BUILD/docs" || rc=1
	return "$rc"
}
if run_logged "$GUIDE_LOG" guide; then
	guide=ok
else
	guide=FAIL
	status=1
fi
snippets=$(sed -n 's/^doccheck: \([0-9]*\) compiled snippets shown.*/\1/p' "$GUIDE_LOG")

RUSTDOC_LOG=$LOGS/rustdoc.log
ours=0
if [ "${1:-}" = --guide-only ]; then
	rustdoc="not run (${2:-the kernel build failed})"
elif [ "$CFG_RUSTDOC" = no ]; then
	rustdoc="not run ($BUILD_CONFIG: 7.3's make rustdoc does not build there, see its .conf)"
elif [ -d "$OBJ/rust" ]; then
	if run_logged "$RUSTDOC_LOG" kmake rustdoc; then
		# rustdoc reports locations relative to the kernel tree; ours are the
		# paths our rust/ provides.
		ours=$(cd "$TOP" && find rust -name '*.rs' | while read -r path; do
			grep -c -- "--> $path:" "$RUSTDOC_LOG" || true
		done | awk '{ n += $1 } END { print n + 0 }')
		[ "$ours" -eq 0 ] || {
			grep -B1 -A8 -E -- "--> rust/kernel/(io|pci/io)" "$RUSTDOC_LOG" || true
			status=1
		}
		rustdoc=$([ "$ours" -eq 0 ] && echo ok || echo FAIL)
	else
		rustdoc=FAIL
		status=1
	fi
else
	rustdoc="not run (no kernel build)"
fi

if [ "$status" -eq 0 ] && [ "$rustdoc" = ok ]; then
	result docs ok 0 0 0 "the guide builds without warnings (build/docs/index.html)," \
		"its Rust is ${snippets:-?} compiled snippets; the kernel crate's rustdoc has none in our files"
elif [ "$status" -eq 0 ]; then
	result docs ok 0 0 0 "the guide builds without warnings (build/docs/index.html)," \
		"its Rust is ${snippets:-?} compiled snippets; the kernel crate's rustdoc: $rustdoc"
else
	result docs FAIL 0 1 0 "guide: $guide ($GUIDE_LOG); rustdoc: $rustdoc," \
		"$ours warnings in our files ($RUSTDOC_LOG)"
fi
exit "$status"
