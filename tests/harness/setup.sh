#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Set-up: everything the build and the tests need, installed once.
#
# Idempotent: each step checks first and does nothing when its work is done,
# so a second run costs a few dpkg/rustup queries. The system's APT sources
# and architectures are never touched, and no install may remove a package
# the machine has (--no-remove): QEMU comes from the Debian 12 suite that the
# machine's own QEMU packages came from, through a private APT state under
# build/apt-qemu when that suite is not among the system's sources
# (bookworm-backports, say); the kernel source comes through another one
# under build/apt, and the busybox of each foreign architecture's initramfs
# (arm64, armhf) through one more each, under build/apt-<architecture>.

. "$(dirname "$0")/lib.sh"

APT_PACKAGES=(
	make gcc libc6-dev flex bison bc libelf-dev libssl-dev cpio xz-utils
	libclang-19-dev llvm-19 clang-19 lld-19 busybox-static ccache
	python3 python3-sphinx rsync dwarves kmod
)
# The QEMU system emulators, installed at the version of the machine's own
# QEMU packages (setup_qemu): x86_64 and, for the arm64 and arm
# configurations, qemu-system-aarch64 and qemu-system-arm (both in Debian's
# qemu-system-arm).
QEMU_PACKAGES=(qemu-system-x86 qemu-system-arm)
# Debian 12's suites: the ones an install may come from.
DEBIAN12_SOURCES=(
	"http://deb.debian.org/debian bookworm main"
	"http://deb.debian.org/debian bookworm-updates main"
	"http://deb.debian.org/debian bookworm-backports main"
	"http://deb.debian.org/debian-security bookworm-security main"
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
	apt_install "the system's sources" "${missing[@]}"
}

# apt_install WHERE [APT OPTIONS...] PACKAGES...: installs without removing
# anything; when that is impossible, stops with apt's account of the
# conflict. WHERE names the sources for the message.
apt_install() {
	local where=$1 log=$LOGS/setup-apt.log
	shift
	mkdir -p "$LOGS"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-remove \
		--no-install-recommends "$@" >"$log" 2>&1; then
		cat "$log"
		echo "harness: apt cannot install these packages from $where without" \
			"removing packages this machine has; its reasons are above (and in" \
			"$log). Resolve the conflict by hand, then run make again." >&2
		exit 1
	fi
	grep -E '^(Setting up|Unpacking) ' "$log" || true
}

# The version of the machine's installed QEMU packages, if any: the one that
# the system emulators must match.
installed_qemu_version() {
	dpkg-query -W -f='${db:Status-Status} ${Package} ${Version}\n' \
		'qemu-utils' 'qemu-system-*' 'qemu-block-extra' 2>/dev/null |
		awk '$1 == "installed" && $2 != "qemu-system-data" { print $3; exit }'
}

# QEMU's system emulators, at the version the machine's own QEMU packages
# have (a newer qemu-utils from bookworm-backports, say): installing Debian
# 12's default QEMU next to those would remove them. The packages come from
# the system's sources when they offer that version, otherwise from a
# private APT state holding Debian 12's suites.
setup_qemu() {
	local missing=() pkg version apt opts
	for pkg in "${QEMU_PACKAGES[@]}"; do
		dpkg-query -W -f='${db:Status-Status}\n' "$pkg" 2>/dev/null |
			grep -qx installed || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return
	version=$(installed_qemu_version)
	if [ -z "$version" ]; then
		note "installing ${missing[*]}"
		apt-get update
		apt_install "the system's sources" "${missing[@]}"
		return
	fi
	if apt-cache madison "${missing[0]}" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
		grep -qxF "$version"; then
		note "installing ${missing[*]} $version, the version of the installed QEMU"
		apt_install "the system's sources" "${missing[@]/%/=$version}"
		return
	fi
	apt=$BUILD/apt-qemu
	mkdir -p "$apt/lists/partial"
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s\n' \
		"${DEBIAN12_SOURCES[@]}" >"$apt/sources.list"
	opts=(-o Dir::Etc::SourceList="$apt/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o Dir::State::Lists="$apt/lists")
	# A backport's dependencies are backports too (its qemu-system-data,
	# seabios): let that suite's versions win for this install.
	case $version in *~bpo12*) opts+=(-t bookworm-backports) ;; esac
	note "installing ${missing[*]} $version, the version of the installed QEMU," \
		"from Debian 12's suites (private APT state in $apt)"
	apt-get "${opts[@]}" update
	apt_install "Debian 12's suites" "${opts[@]}" "${missing[@]/%/=$version}"
}

# The pinned Rust toolchains (lib.sh) with rust-src (the kernel builds core
# from it), clippy and rustfmt, and nightly's Miri for the host tests.
RUST_TOOLCHAINS=("$RUST_STABLE" "$RUST_MINIMUM")
setup_rust() {
	local stamp toolchain
	stamp=$STAMPS/rust-$(printf '%s+' "${RUST_TOOLCHAINS[@]}")nightly
	[ -f "$stamp" ] && return
	for toolchain in "${RUST_TOOLCHAINS[@]}"; do
		rustup toolchain install "$toolchain" --profile minimal \
			--component rust-src --component clippy --component rustfmt
	done
	# Miri serves the host tests only; the kernel builds without it.
	if ! rustup +nightly component add miri rust-src; then
		note "warning: no Miri on nightly; the Miri stage will fail"
	fi
	touch "$stamp"
}

setup_bindgen() {
	bindgen --version 2>/dev/null | grep -qx "bindgen $BINDGEN_VERSION" && return
	cargo install --locked bindgen-cli --version "$BINDGEN_VERSION"
}

# An APT state of our own in directory $1, for downloading packages (never
# installing them): its own sources (the other arguments, a "deb" line each),
# lists, cache and status. Sets APT_OPTS to the options that select it.
private_apt_state() {
	local apt=$1
	shift
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc"
	touch "$apt/etc/status"
	printf '%s\n' "$@" >"$apt/etc/sources.list"
	APT_OPTS=(-o Dir::Etc::SourceList="$apt/etc/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o Dir::State::Lists="$apt/lists"
		-o Dir::State::Status="$apt/etc/status"
		-o Dir::Cache="$apt/cache"
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root)
}

# The newest linux-source-7.3 in trixie-backports or sid, through an APT state
# of our own.
setup_kernel_source() {
	[ -n "${KDIR:-}" ] && return
	[ -f "$STAMPS/kernel-source" ] && [ -d "$(cat "$STAMPS/kernel-source")" ] && return

	local apt=$BUILD/apt opts version candidate deb tree
	private_apt_state "$apt" \
		'deb http://deb.debian.org/debian trixie-backports main' \
		'deb http://deb.debian.org/debian sid main'
	opts=("${APT_OPTS[@]}")
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

# A statically linked busybox for the initramfs of each architecture that
# the run's configurations boot, but x86_64 (whose is the machine's own
# busybox-static): Debian 12's busybox-static for that architecture (arm64,
# armhf: lib.sh's DEBIAN_ARCH), the newest of its suites, downloaded (not
# installed) through an APT state of our own whose only architecture is
# that one, and unpacked to where busybox_of (lib.sh) looks for it. The
# system's architectures and sources are not involved.
setup_busybox() {
	local arch=$1 debarch=${DEBIAN_ARCH[$1]} busybox apt opts deb
	busybox=$(busybox_of "$arch")
	[ -x "$busybox" ] && return

	apt=$BUILD/apt-$debarch
	local line="deb [arch=$debarch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
	private_apt_state "$apt" "${DEBIAN12_SOURCES[@]/#/$line}"
	opts=("${APT_OPTS[@]}" -o APT::Architecture="$debarch" -o APT::Architectures::="$debarch")
	note "busybox-static for $debarch (private APT state in $apt)"
	# A list that fails to download (a mirror in the middle of a sync) is
	# no reason to stop while the others hold the package: the download
	# below is the step that must succeed.
	apt-get "${opts[@]}" update ||
		note "warning: not every package list for $debarch could be fetched; using the others"
	rm -f "$apt"/busybox-static_*.deb
	(cd "$apt" && apt-get "${opts[@]}" download "busybox-static:$debarch")
	deb=$(ls "$apt"/busybox-static_*_"$debarch".deb | tail -n 1)
	rm -rf "$apt/unpack"
	dpkg-deb -x "$deb" "$apt/unpack"
	mkdir -p "$(dirname "$busybox")"
	install -m 0755 "$apt/unpack/bin/busybox" "$busybox"
	rm -rf "$apt/unpack"
}

# The busyboxes of the architectures of the configurations this run builds
# (CONFIGS, all by default, and CONFIG's).
setup_busyboxes() {
	local config arch
	for config in "${BUILD_CONFIGS[@]}" "$BUILD_CONFIG"; do
		arch=$(config_arch "$config")
		[ -z "${DEBIAN_ARCH[$arch]:-}" ] || setup_busybox "$arch"
	done
}

# ccache's masquerading links for the compilers the configurations use: its
# package makes them for the compilers installed before it, so a compiler
# installed in the same transaction may still lack one.
setup_ccache() {
	[ -x /usr/lib/ccache/gcc ] && [ -x /usr/lib/ccache/clang-19 ] && return
	update-ccache-symlinks
}

mkdir -p "$STAMPS"
setup_apt
setup_ccache
setup_qemu
setup_rust
setup_bindgen
setup_kernel_source
setup_busyboxes
note "set-up done; kernel tree $(pristine_tree)"
