#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make format`: rustfmt our sources with the kernel's configuration, so the
# lint stage's rustfmt gate passes. Our kernel files are formatted in the
# overlaid tree, where the modules they declare exist, and copied back; the
# out-of-tree modules and the host crate are formatted in place.

. "$(dirname "$0")/lib.sh"

python3 "$HARNESS/overlay.py" --pristine "$(pristine_tree)" --work "$SRC" \
	--project "$TOP" --edits "$HARNESS/edits" >/dev/null
config=$SRC/.rustfmt.toml

(cd "$TOP" && find rust -name '*.rs') | while read -r path; do
	rustfmt --edition 2021 --config-path "$config" "$SRC/$path"
	if ! cmp -s "$SRC/$path" "$TOP/$path"; then
		cp "$SRC/$path" "$TOP/$path"
		note "formatted $path"
	fi
done
for d in "$TOP/samples" "$TOP/tests"; do
	[ -d "$d" ] || continue
	# tests/host/src/lib.rs includes rust/kernel/io.rs, whose kernel-only
	# modules rustfmt would look for in vain (see that file).
	find "$d" -name target -prune -o -name '*.rs' -print |
		{ grep -vxF "$TOP/tests/host/src/lib.rs" || true; } |
		xargs -r rustfmt --edition 2021 --config-path "$config"
done
