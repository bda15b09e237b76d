#!/usr/bin/env bash
# Build (or find cached) the test kernel of one flavour and print its build dir.
#   scripts/build-kernel.sh debug|perf
# The build lives under $RUST_TCP_CACHE/kernel/<pkg version>-<flavour>-<hash>,
# the hash covering the config fragments, the source version, the make flags
# and RECIPE, so a change to any of them builds a new kernel and an unchanged
# tree reuses the old one.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/scripts/kenv.sh"

flavour="${1:?usage: build-kernel.sh debug|perf}"
frags=("$here/qemu/config/base.config" "$here/qemu/config/$flavour.config")
[ -f "${frags[1]}" ] || { echo "no fragment for flavour '$flavour'" >&2; exit 2; }

# Bump when the way the kernel is built changes (not for comments).
RECIPE=1
key="$({ cat "${frags[@]}"; echo "$RECIPE $KPKG_VERSION ${KMAKE_FLAGS[*]}"; } | sha256sum | cut -c1-12)"
out="$RUST_TCP_CACHE/kernel/$KPKG_VERSION-$flavour-$key"

if [ -f "$out/.rust_tcp-built" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$RUST_TCP_CACHE/src" "$out"
exec 9>"$out.lock"
flock 9
[ -f "$out/.rust_tcp-built" ] && { echo "$out"; exit 0; }

if [ ! -f "$KSRC/Makefile" ]; then
	echo "kernel: unpacking linux-source-6.12 $KPKG_VERSION" >&2
	rm -rf "$KSRC" "$RUST_TCP_CACHE/src/linux-source-6.12"
	tar -C "$RUST_TCP_CACHE/src" -xf /usr/src/linux-source-6.12.tar.xz
	mv "$RUST_TCP_CACHE/src/linux-source-6.12" "$KSRC"
fi

start=$(date +%s)
echo "kernel: configuring $flavour in $out" >&2
kmake() { make -s -C "$KSRC" O="$out" "${KMAKE_FLAGS[@]}" "$@"; }
kmake tinyconfig >&2
"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null
kmake olddefconfig >&2

# A fragment line that Kconfig silently dropped (an unmet dependency) would
# give a kernel that lacks a checker we rely on: refuse it.
bad=0
while read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qx "$line" "$out/.config" || { echo "kernel: $line did not stick" >&2; bad=1; } ;;
	"# CONFIG_"*" is not set")
		opt="${line#\# }"; opt="${opt%% *}"
		grep -q "^$opt=" "$out/.config" && { echo "kernel: $opt is set but should not be" >&2; bad=1; } ;;
	esac
done < <(cat "${frags[@]}")
[ "$bad" -eq 0 ] || exit 1

echo "kernel: building $flavour ($(nproc) jobs; takes 5-9 minutes)" >&2
kmake -j"$(nproc)" >&2
touch "$out/.rust_tcp-built"
echo "kernel: built in $(( $(date +%s) - start )) s" >&2
echo "$out"
