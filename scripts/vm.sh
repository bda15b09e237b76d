#!/usr/bin/env bash
# Boot the test kernel under QEMU (TCG), load rust_tcp.ko, run a command in
# the repository as root, and exit with its status.
#
#   scripts/vm.sh [--flavour debug|perf] [--no-load] [--params 'family=N']
#                 [--expect-report] [--log FILE] [--verbose] -- CMD
#
# The verdict also fails (exit 1) when the guest did not come back or its
# kernel log holds a BUG, WARNING, Oops, KASAN, lockdep, kmemleak or
# "scheduling while atomic" report. --expect-report inverts that: the run
# passes only if such a report was seen (the harness's own test).
# Boot messages are hidden unless --verbose; the whole console is in --log.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/scripts/kenv.sh"

flavour=debug load=1 params="" expect_report=0 log="" verbose=0
while [ $# -gt 0 ]; do
	case "$1" in
	--flavour) flavour="$2"; shift 2 ;;
	--no-load) load=0; shift ;;
	--params) params="$2"; shift 2 ;;
	--expect-report) expect_report=1; shift ;;
	--log) log="$2"; shift 2 ;;
	--verbose) verbose=1; shift ;;
	--) shift; break ;;
	*) echo "vm.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
cmd="$*"
[ -n "$cmd" ] || { echo "vm.sh: no command" >&2; exit 2; }

kdir="$("$here/scripts/build-kernel.sh" "$flavour")"
initrd="$RUST_TCP_CACHE/initramfs-$(sha256sum "$here/qemu/initramfs-init" | cut -c1-12).cpio"
if [ ! -f "$initrd" ]; then
	t="$(mktemp -d)"
	mkdir -p "$t/bin"
	cp /bin/busybox "$t/bin/busybox"
	cp "$here/qemu/initramfs-init" "$t/init"
	(cd "$t" && find . | cpio -o -H newc --quiet) > "$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$t"
fi

out="$(mktemp -d /tmp/rust_tcp-vm.XXXXXX)"
trap 'rm -rf "$out"' EXIT
{
	printf 'RUST_TCP_REPO=%q\n' "$here"
	printf 'RUST_TCP_CMD=%q\n' "$cmd"
	printf 'RUST_TCP_LOAD=%q\n' "$load"
	printf 'RUST_TCP_MODPARAMS=%q\n' "$params"
} > "$out/env"
console="${log:-$out/console}"

# One guest at a time on this host: a second guest (or a build) halves
# both, and timing-sensitive tests then fail. Waits for the one running.
exec 9>"${RUST_TCP_VM_LOCK:-/tmp/rust_tcp-vm.lock}"
flock 9

# -no-reboot: the guest's `reboot -f` ends QEMU (tinyconfig has no ACPI
# poweroff). panic=-1 turns a panic into such a reboot.
set +e
timeout "${RUST_TCP_VM_TIMEOUT:-1500}" qemu-system-x86_64 \
	-machine q35 -cpu max -smp 2 -m 2048 -nographic -no-reboot \
	-kernel "$kdir/arch/x86/boot/bzImage" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 rdinit=/init loglevel=4 kmemleak=on" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$here",mount_tag=repo,security_model=none \
	-virtfs local,path="$out",mount_tag=out,security_model=none \
	-nic none -serial mon:stdio < /dev/null 2>&1 | tee "$console" | \
	if [ "$verbose" = 1 ]; then cat; else sed -un -e 's/\r$//' -e '/rust_tcp-guest: start/,$p' | sed -u 's/^.*rust_tcp-guest: start/rust_tcp-guest: start/'; fi
set -e

status=$(cat "$out/status" 2>/dev/null || echo "")
reports="$("$here/scripts/log-check.sh" "$console" "$out/dmesg" "$out/kmemleak")" || true
if [ "$expect_report" = 1 ]; then
	if [ -n "$reports" ]; then
		echo "vm: kernel log report seen, as expected:"; echo "$reports" | head -3
		exit 0
	fi
	echo "vm: FAIL: expected a kernel log report, saw none"
	exit 1
fi
if [ -z "$status" ]; then
	echo "vm: FAIL: the guest did not come back (crash, hang or timeout); console tail:"
	tail -n 40 "$console"
	exit 1
fi
if [ -n "$reports" ]; then
	echo "vm: FAIL: kernel log reports:"; echo "$reports"
	exit 1
fi
exit "$status"
