#!/usr/bin/env bash
# `make bench`: rust_tcp and the kernel's TCP side by side, in one boot of
# the perf kernel (no KASAN, lockdep, kmemleak). See docs/benchmark.md.
#
#   scripts/bench.sh [bench options]      e.g. scripts/bench.sh -r 5 -T bulk
#   make bench BENCH_ARGS='-r 5 -T bulk'
#   make bench BENCH_ARGS='-T all'        everything, issue 13's scale included
#
# 1. the perf kernel (scripts/build-kernel.sh perf, cached);
# 2. rust_tcp.ko built for it in bench/build/module, from a copy of the
#    sources (Kbuild, rust_tcp/): the repository's own rust_tcp.ko, built
#    for the debug kernel by make check / make vm-run, is left alone.
#    RUST_TCP_BENCH_REV=<git rev> builds that commit instead of the
#    working tree (in bench/build/module-<sha>);
# 3. bench/bin/bench (bench/Makefile);
# 4. one guest boot: bench, which measures Linux TCP alone first (tax's
#    "none" state), then loads the module itself (-m) and measures the
#    rest; the tables. The output is also saved in bench/build/last.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
. scripts/kenv.sh

kdir="$(./scripts/build-kernel.sh perf)"
mkdir -p bench/build

rev="${RUST_TCP_BENCH_REV:-}"
if [ -n "$rev" ]; then
	sha="$(git rev-parse --verify "$rev^{commit}")"
	mod="bench/build/module-${sha:0:12}"
	if [ ! -d "$mod" ]; then
		rm -rf "$mod.tmp"
		mkdir -p "$mod.tmp"
		git archive "$sha" Kbuild rust_tcp | tar -C "$mod.tmp" -xf -
		mv "$mod.tmp" "$mod"
	fi
	what="commit ${sha:0:12}"
else
	mod="bench/build/module"
	mkdir -p "$mod"
	# tar keeps the files' times, so Kbuild rebuilds only what changed.
	tar -C "$here" --exclude=target --exclude='*.o' --exclude='.*.cmd' --exclude='*.ko' \
		--exclude=bindings_generated.rs --exclude=bindings_wrap.c -cf - Kbuild rust_tcp |
		tar -C "$mod" -xf -
	what="working tree at $(git rev-parse --short=12 HEAD 2>/dev/null || echo '?')"
	[ -z "$(git status --porcelain -- Kbuild rust_tcp 2>/dev/null)" ] ||
		what="$what + uncommitted changes"
fi

echo "bench: building rust_tcp.ko ($what) for the perf kernel" >&2
if ! make -C "$kdir" M="$here/$mod" "${KMAKE_FLAGS[@]}" modules > bench/build/module-build.log 2>&1; then
	tail -n 40 bench/build/module-build.log >&2
	echo "bench: the module build failed (bench/build/module-build.log)" >&2
	exit 1
fi
make -s -C bench

# TCG runs each guest CPU as a host thread: another guest or build on the
# host slows the guest down unevenly, and the numbers with it. vm.sh runs
# one guest at a time (it waits for the one running); count the seconds
# other guests ran beside ours anyway (one started without the lock).
busy="$(pgrep -c "^qemu-system" || true)"
[ "${busy:-0}" -eq 0 ] ||
	echo "bench: $busy other QEMU guest(s) running on this host: waiting for the guest lock" >&2
echo "bench: host load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs" >&2
contention="bench/build/.contention"
echo "0 0" > "$contention"
(
	n=0 t=0
	while sleep 1; do
		t=$((t + 1))
		[ "$(pgrep -c "^qemu-system" || true)" -le 1 ] || n=$((n + 1))
		echo "$n $t" > "$contention"
	done
) &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true' EXIT

# The guest's time bound: every measurement hanging until its own bound
# (-t, 60 s) would take 69 of them (23 rust_tcp measurements of the
# default table, bulk4 and fat included, 3 times), plus tax and cpu2's 30;
# scale's four series at most 4 x (300 + 75) s.
export RUST_TCP_VM_TIMEOUT="${RUST_TCP_VM_TIMEOUT:-9000}"
start=$(date +%s)
set +e
./scripts/vm.sh --flavour perf --no-load -- \
	"echo '# module: $what' && bench/bin/bench -m $mod/rust_tcp.ko $*" |
	tee bench/build/last.txt
status=${PIPESTATUS[0]}
set -e
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
read -r n t < "$contention"
rm -f "$contention"
[ "$n" -eq 0 ] ||
	echo "bench: WARNING: other QEMU guests ran on this host during $n of $t s; the numbers are noisy" >&2
echo "bench: took $(( $(date +%s) - start )) s (boot and any wait for the guest lock included); output in bench/build/last.txt" >&2
exit "$status"
