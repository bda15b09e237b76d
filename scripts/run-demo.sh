#!/usr/bin/env bash
# `make run`: build what is missing, boot the debug kernel, load rust_tcp.ko,
# run the demo, show the module's messages, and unload it.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
make -s modules >/dev/null
make -s -C demo >/dev/null
exec ./scripts/vm.sh -- 'demo/demo; echo; echo "kernel log:"; dmesg | grep rust_tcp; rmmod rust_tcp && echo "rmmod rust_tcp: ok"'
