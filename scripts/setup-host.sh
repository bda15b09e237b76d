#!/usr/bin/env bash
# Install everything rust_tcp needs on a Debian 12 host: the kernel source, the
# rustc that has rust-src (for kernel code), clang-19, QEMU, busybox and a
# pinned bindgen-cli. Idempotent: what is already present is skipped.
set -euo pipefail

BINDGEN_VERSION=0.73.2

PKGS=(
	linux-source-6.12
	rustc-web rust-web-src
	clang-19 lld-19 llvm-19 libclang-19-dev
	qemu-system-x86 busybox-static
	flex bison bc libelf-dev libssl-dev cpio kmod xz-utils
	iproute2 gcc make libc6-dev
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

if [ "${#missing[@]}" -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

BINDGEN="$HOME/.cargo/bin/bindgen"
if ! "$BINDGEN" --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	echo "setup: installing bindgen-cli $BINDGEN_VERSION"
	cargo install --locked --quiet --version "$BINDGEN_VERSION" bindgen-cli
fi
