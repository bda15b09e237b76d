# Sourced by the build scripts: where things live and how the kernel is built.
# RUSTC/HOSTRUSTC must be Debian's rustc (it has rust-src); the rustup one on
# PATH would build proc macros and modules the kernel cannot load.
RUST_TCP_CACHE="${RUST_TCP_CACHE:-$HOME/.cache/rust_tcp}"
KPKG_VERSION="$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo none)"
KSRC="$RUST_TCP_CACHE/src/linux-$KPKG_VERSION"
KMAKE_FLAGS=(LLVM=-19 RUSTC=/usr/bin/rustc HOSTRUSTC=/usr/bin/rustc
	RUSTDOC=/usr/bin/rustdoc BINDGEN="$HOME/.cargo/bin/bindgen")
