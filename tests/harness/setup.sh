#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Set-up: everything the build and the tests need, installed once.
#
# Idempotent: each step checks first and does nothing when its work is done,
# so a second run costs a few dpkg/rustup queries. The system's APT sources
# are never touched; the kernel source comes through a private APT state
# under build/apt.

. "$(dirname "$0")/lib.sh"

APT_PACKAGES=(
	make gcc libc6-dev flex bison bc libelf-dev libssl-dev cpio xz-utils
	libclang-19-dev llvm-19 clang-19 lld-19 qemu-system-x86 busybox-static
	python3 python3-sphinx rsync dwarves kmod
)
BINDGEN_VERSION=0.73.2

setup_apt() {
	local missing=() pkg
	for pkg in "${APT_PACKAGES[@]}"; do
		dpkg-query -W -f='${db:Status-Status}\n' "$pkg" 2>/dev/null |
			grep -qx installed || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return
	note "installing ${missing[*]}"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y \
		--no-install-recommends "${missing[@]}"
}

setup_rust() {
	[ -f "$STAMPS/rust-$(rustc --version | cut -d' ' -f2)" ] && return
	rustup component add rust-src
	# Miri serves the host tests only; the kernel builds without it.
	if ! rustup +nightly component add miri rust-src; then
		note "warning: no Miri on nightly; the Miri stage will fail"
	fi
	touch "$STAMPS/rust-$(rustc --version | cut -d' ' -f2)"
}

setup_bindgen() {
	bindgen --version 2>/dev/null | grep -qx "bindgen $BINDGEN_VERSION" && return
	cargo install --locked bindgen-cli --version "$BINDGEN_VERSION"
}

# The newest linux-source-7.3 in trixie-backports or sid, through an APT state
# of our own (its own sources file, lists, cache and status).
setup_kernel_source() {
	[ -n "${KDIR:-}" ] && return
	[ -f "$STAMPS/kernel-source" ] && [ -d "$(cat "$STAMPS/kernel-source")" ] && return

	local apt=$BUILD/apt opts version candidate deb tree
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc"
	touch "$apt/etc/status"
	printf '%s\n' \
		'deb http://deb.debian.org/debian trixie-backports main' \
		'deb http://deb.debian.org/debian sid main' >"$apt/etc/sources.list"
	opts=(-o Dir::Etc::SourceList="$apt/etc/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o Dir::State::Lists="$apt/lists"
		-o Dir::State::Status="$apt/etc/status"
		-o Dir::Cache="$apt/cache"
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root)
	apt-get "${opts[@]}" update
	version=
	for candidate in $(apt-cache "${opts[@]}" madison "$KERNEL_PACKAGE" |
		awk -F'|' '{gsub(/ /, "", $2); print $2}'); do
		if [ -z "$version" ] || dpkg --compare-versions "$candidate" gt "$version"; then
			version=$candidate
		fi
	done
	[ -n "$version" ] || { echo "harness: no $KERNEL_PACKAGE found" >&2; exit 1; }
	note "kernel source: $KERNEL_PACKAGE $version"
	(cd "$apt" && apt-get "${opts[@]}" download "$KERNEL_PACKAGE=$version")

	deb=$(ls "$apt/${KERNEL_PACKAGE}_"*.deb | tail -n 1)
	tree=$PRISTINE_DIR/$KERNEL_PACKAGE-${version//[~+:]/_}
	rm -rf "$apt/unpack" "$tree"
	mkdir -p "$apt/unpack" "$PRISTINE_DIR"
	dpkg-deb -x "$deb" "$apt/unpack"
	tar -C "$apt/unpack" -xf "$apt/unpack/usr/src/$KERNEL_PACKAGE.tar.xz"
	mv "$apt/unpack/$KERNEL_PACKAGE" "$tree"
	rm -rf "$apt/unpack"
	echo "$version" >"$STAMPS/kernel-version"
	echo "$tree" >"$STAMPS/kernel-source"
}

mkdir -p "$STAMPS"
setup_apt
setup_rust
setup_bindgen
setup_kernel_source
note "set-up done; kernel tree $(pristine_tree)"
