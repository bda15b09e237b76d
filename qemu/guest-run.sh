#!/bin/sh
# Runs inside the guest as root (see qemu/initramfs-init): loads the module,
# runs the requested command in the repository, and carries the verdict out
# through /tmp/out (a 9p share the host reads after QEMU exits).
out=/tmp/out
. $out/env
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
export RUST_TCP_REPO RUST_TCP_GUEST=1
cd "$RUST_TCP_REPO"
ip link set lo up
hostname rust-tcp-guest
# The guest has no module tree for this kernel: without this, every
# socket() with an unknown protocol would exec the host's modprobe over 9p.
echo > /proc/sys/kernel/modprobe

kmemleak=/sys/kernel/debug/kmemleak
# Forget what boot itself left behind: only leaks from here on count.
if [ -w $kmemleak ]; then echo scan > $kmemleak; echo clear > $kmemleak; fi

status=0
if [ "$RUST_TCP_LOAD" = 1 ]; then
	insmod "$RUST_TCP_REPO/rust_tcp.ko" $RUST_TCP_MODPARAMS || status=125
fi
echo "rust_tcp-guest: start: $RUST_TCP_CMD"
if [ $status -eq 0 ]; then
	sh -c "$RUST_TCP_CMD" < /dev/null
	status=$?
fi
echo "rust_tcp-guest: end: status $status"
# Unload if the command left it loaded, and look for leaks it left. A
# command that just closed many connections leaves their netns exiting
# (cleanup_net runs later, on a workqueue) and orphans finishing their
# close: the module is rightly in use until they are gone, so unloading
# is retried. An orphan whose FIN goes unanswered (its peer's netns is
# gone, as after the benchmark's cpu2) retransmits it as Linux's orphans
# do: tcp_orphan_retries' 8 backoffs from a 200 ms RTO, 102.2 s of
# retries checked when the timer fires, so it dies some 205 s after its
# close. Hence up to 240 s; a sock still there then has leaked.
if grep -q '^rust_tcp ' /proc/modules; then
	tries=0
	until rmmod rust_tcp 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -ge 240 ]; then
			rmmod rust_tcp
			echo "rust_tcp-guest: rmmod failed (refcount $(cat /sys/module/rust_tcp/refcnt))"
			[ $status -eq 0 ] && status=124
			break
		fi
		sleep 1
	done
	[ $tries -gt 0 ] && [ $tries -lt 240 ] && echo "rust_tcp-guest: unloaded after ${tries} s"
fi
if [ -w $kmemleak ]; then
	sleep 6   # kmemleak ignores objects younger than 5 s
	echo scan > $kmemleak
	echo scan > $kmemleak
	if [ -s $kmemleak ]; then
		echo "rust_tcp-guest: kmemleak reports:"
		cat $kmemleak
	fi
	cat $kmemleak > $out/kmemleak
fi
dmesg > $out/dmesg
echo $status > $out/status
sync
busybox reboot -f
