// SPDX-License-Identifier: GPL-2.0
/*
 * The TIME_WAIT timer against the segments that restart it, on two CPUs.
 *
 * A segment for a TIME_WAIT entry restarts its timer for the TIME_WAIT
 * length (inet_twsk_reschedule() in tcp_timewait_state_process(): a bare
 * ACK at rcv_nxt, or any segment with ACK and without RST or SYN that is
 * out of window, such as a retransmitted FIN). The receive path finds the
 * entry in the ehash under the tables lock, lets go of the lock, and then
 * restarts the timer. If the timer fires on the other CPU in between and
 * takes the entry out of the tables, a restart with mod_timer() arms a
 * timer again for an entry nobody can find any more: the purge at netns
 * exit and at module unload miss it, and it fires later on a netns that is
 * gone (KASAN slab-use-after-free) or in module text that is gone (an
 * oops, then a panic: it is a timer). Linux restarts it with
 * mod_timer_pending(), which leaves a timer that has fired alone.
 *
 * What drives it, in a fresh network namespace (lo only), for 8 s:
 * TIME_WAITs made over loopback (the client closes first; a few more
 * whenever most of the last 24 are gone), and for each one still there
 * (its port is held), in turn: on CPU 0, the module parameter
 * tcp_timewait_len_ms (which the restart reads) set to 4 ms, an ACK (so
 * its timer now expires on CPU 0's next tick, within 4 ms at HZ 250), the
 * parameter set to 11 s; and at once on CPU 1, another ACK. When CPU 0's
 * tick falls while CPU 1 is between the lookup and the restart, the
 * restart is lost to the race: the timer it arms runs for 11 s, past the
 * netns and the module. (When CPU 1 comes first the entry lives on 11 s,
 * and the purge has it; when the tick comes first it is gone.) The ACKs
 * are raw IPv4 segments from the peer's address and port with a sequence
 * number out of the window; the netns has tcp_invalid_ratelimit 0, so that
 * each one is answered (the answer is sent before the restart: a wider
 * window), and tcp_rfc1337 1, so that the RST the peer's port sends back
 * to the answer does not kill the entry.
 *
 * Then the netns goes (the process in it exits) and the module is
 * unloaded, before any timer armed for 11 s can fire; the test waits until
 * they all have, and loads the module again with its defaults (as
 * module_timewait does: this binary runs right before module_lifetime).
 * It fails on any kernel report logged meanwhile, as make check's scan of
 * the log does. Before the fix the guest panics on the first timer left
 * behind, some 11 s after the race lost it: a page fault in the unloaded
 * module's text, from run_timer_softirq, and an oops in a timer is fatal,
 * so the run ends at once. (Were the module still loaded, KASAN would
 * report a use of the freed netns, and that CPU would then spin on a freed
 * lock until the run times out.) With the fix nothing is reported. The
 * parameter is put back as it was.
 *
 * First, that these ACKs do reach the restart: a TIME_WAIT of 400 ms that
 * gets one every 100 ms is still there after 1.2 s, and gone 400 ms after
 * the last.
 *
 * rust_tcp only: Linux's TCP is not a module here.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "kselftest_harness.h"

#define PORT 9500
#define TW_PARAM "/sys/module/rust_tcp/parameters/tcp_timewait_len_ms"

#define SHORT_MS 4		/* the TIME_WAIT length CPU 0's ACK restarts with */
#define RACE_MS 8000		/* how long the race goes on */
/* The one CPU 1's ACK restarts with: past the race and the unload. */
#define LONG_MS (RACE_MS + 3000)
#define WINDOW 24		/* the TIME_WAITs taken in turn: the latest */
#define BATCH 8			/* made when fewer than half of them are left */
#define RING 4096

/* Shared by the race's two processes (MAP_SHARED). */
struct race {
	volatile int stop;
	volatile unsigned int made;	/* TIME_WAITs made so far */
	unsigned short port[RING];	/* their client ports */
	volatile unsigned int go, done;	/* CPU 0 to CPU 1: ACK @target now */
	volatile int target;
	long sent[2];			/* ACKs sent on CPU 0 and CPU 1 */
	long gone;			/* TIME_WAITs found gone */
	int pinned[2];
};

/*
 * One connection to listener @l (127.0.0.1:PORT), closed by the client
 * first: the client's port, now in TIME_WAIT (held: see bind_lo()), or -1.
 */
static int one_timewait(int l)
{
	int c = socket(rust_tcp_family(), SOCK_STREAM, 0), s, port;
	char b;

	if (c < 0 || connect_to(c, "127.0.0.1", PORT))
		return -1;
	s = accept(l, NULL, NULL);
	port = local_port(c);
	close(c);
	if (s < 0 || recv(s, &b, 1, 0) != 0)
		return -1;
	close(s);
	return port;
}

/*
 * An ACK from the peer (127.0.0.1:PORT) to the TIME_WAIT on
 * 127.0.0.1:@port, with sequence number @seq: out of its window (but for
 * one chance in 2^32), so it is answered and restarts the timer.
 */
static int ack_to(int raw, int port, uint32_t seq)
{
	return raw_seg(raw, "127.0.0.1", PORT, "127.0.0.1", port, seq, seq ^ 0x5a5a5a5a,
		       TH_ACK, 1024, NULL, 0);
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0 && sched_getcpu() == cpu;
}

/* One more TIME_WAIT for the race: 0, or -1. */
static int add_timewait(struct race *r, int l)
{
	int p = one_timewait(l);

	if (p < 0)
		return -1;
	r->port[r->made % RING] = p;
	r->made++;
	return 0;
}

static uint32_t next_seq(uint32_t *seq)
{
	*seq = *seq * 1103515245 + 12345;
	return *seq;
}

/*
 * CPU 0's side, until @end: the latest WINDOW TIME_WAITs in turn (a BATCH
 * more made when fewer than half were still there in a pass); for each one
 * still there, the short length, an ACK, the long length, then CPU 1's ACK
 * at once, waited for. 0, or a line number that failed.
 */
static int cpu0_side(struct race *r, int l, double end)
{
	int raw = raw_open(), pfd = open(TW_PARAM, O_WRONLY | O_CLOEXEC), alive = 0;
	char sbuf[16], lbuf[16];
	uint32_t seq = getpid();
	unsigned int at = 0;

	r->pinned[0] = pin(0);
	if (raw < 0 || pfd < 0)
		return __LINE__;
	snprintf(sbuf, sizeof(sbuf), "%d", SHORT_MS);
	snprintf(lbuf, sizeof(lbuf), "%d", LONG_MS);
	while (now_s() < end && !r->stop) {
		int port;

		if (at >= r->made) {
			if (alive < WINDOW / 2)
				for (int i = 0; i < BATCH; i++)
					if (add_timewait(r, l))
						return __LINE__;
			alive = 0;
			at = r->made > WINDOW ? r->made - WINDOW : 0;
			continue;
		}
		port = r->port[at++ % RING];
		if (bind_lo(port) != EADDRINUSE) {
			r->gone++;
			continue;
		}
		alive++;
		if (pwrite(pfd, sbuf, strlen(sbuf), 0) < 0 ||
		    ack_to(raw, port, next_seq(&seq)) ||
		    pwrite(pfd, lbuf, strlen(lbuf), 0) < 0)
			return __LINE__;
		r->sent[0]++;
		r->target = port;
		__sync_synchronize();
		r->go++;
		while (r->done != r->go && !r->stop)
			;
	}
	return 0;
}

/* CPU 1's side: an ACK to CPU 0's TIME_WAIT as soon as it says so. */
static void cpu1_side(struct race *r)
{
	int raw = raw_open();
	uint32_t seq = getpid();
	unsigned int seen = 0;

	r->pinned[1] = pin(1);
	while (raw >= 0 && !r->stop) {
		unsigned int go = r->go;

		if (go == seen)
			continue;
		__sync_synchronize();
		if (ack_to(raw, r->target, next_seq(&seq)))
			break;
		r->sent[1]++;
		seen = go;
		r->done = go;
	}
	if (!r->stop) {
		r->stop = 1;
		_exit(1);
	}
	_exit(0);
}

/*
 * The race, for RACE_MS, in a netns of its own: the calling process plays
 * CPU 0's side, a child CPU 1's. 0, or a line number that failed.
 */
static int race(struct race *r)
{
	double end = now_s() + RACE_MS / 1000.0;
	int l, st, ret;
	char buf[16];
	pid_t h;

	if (netns_new() < 0 || sysctl_set("net/ipv4/tcp_rfc1337", "1") ||
	    sysctl_set("net/ipv4/tcp_invalid_ratelimit", "0"))
		return __LINE__;
	snprintf(buf, sizeof(buf), "%d", LONG_MS);
	if (write_file(TW_PARAM, buf))
		return __LINE__;
	l = socket(rust_tcp_family(), SOCK_STREAM, 0);
	if (l < 0 || bind_to(l, "127.0.0.1", PORT) || listen(l, 64))
		return __LINE__;
	h = fork();
	if (h < 0)
		return __LINE__;
	if (h == 0)
		cpu1_side(r);
	ret = cpu0_side(r, l, end);
	r->stop = 1;
	if (waitpid(h, &st, 0) != h || st)
		ret = ret ?: __LINE__;
	return ret;
}

/*
 * The records of /dev/kmsg (@fd) not read yet that look like a kernel bug
 * report (as scripts/log-check.sh sees them): how many; the first in @first.
 */
static int kmsg_reports(int fd, char *first, size_t size)
{
	static const char *const pat[] = { "BUG:", "WARNING:", "Oops", "KASAN",
					   "general protection", "ODEBUG", "Call Trace" };

	return kmsg_find_any(fd, pat, sizeof(pat) / sizeof(pat[0]), first, size);
}

/* The TIME_WAIT length as it was, put back after each test. */
FIXTURE(tw) {
	char saved[32];
};

FIXTURE_SETUP(tw)
{
	ASSERT_EQ(0, read_file(TW_PARAM, self->saved, sizeof(self->saved)));
}

FIXTURE_TEARDOWN(tw)
{
	char now[32];

	if (read_file(TW_PARAM, now, sizeof(now)) == 0 && strcmp(now, self->saved))
		write_file(TW_PARAM, self->saved);
}

/* The ACKs ack_to() sends restart the timer of a TIME_WAIT. */
TEST_F(tw, ack_restarts_timewait)
{
	int st = -1;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		int l, p, raw;

		if (netns_new() < 0 || sysctl_set("net/ipv4/tcp_rfc1337", "1") ||
		    write_file(TW_PARAM, "400"))
			_exit(1);
		l = socket(rust_tcp_family(), SOCK_STREAM, 0);
		raw = raw_open();
		if (l < 0 || raw < 0 || bind_to(l, "127.0.0.1", PORT) || listen(l, 4))
			_exit(2);
		p = one_timewait(l);
		close(l);
		if (p < 0 || bind_lo(p) != EADDRINUSE)
			_exit(3);
		for (int i = 0; i < 12; i++) {
			msleep(100);
			if (ack_to(raw, p, 1000 + i))
				_exit(4);
		}
		/* 1.2 s after it began, the 400 ms TIME_WAIT is still there... */
		if (bind_lo(p) != EADDRINUSE)
			_exit(5);
		/* ... and it is gone 400 ms after the last ACK. */
		msleep(900);
		_exit(bind_lo(p) == 0 ? 0 : 6);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("failed at step %d", WEXITSTATUS(st));
}

TEST_F_TIMEOUT(tw, rearm_races_expiry, 60)
{
	int kmsg, st = -1, err = 0, cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double t0 = now_s(), wait;
	char first[512] = "";
	struct race *r;
	pid_t pid;

	if (cpus < 2)
		SKIP(return, "%d CPU online: the race needs two", cpus);
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(race(r));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	TH_LOG("%u TIME_WAITs made, %ld + %ld ACKs, %ld found gone",
	       r->made, r->sent[0], r->sent[1], r->gone);
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st)) TH_LOG("failed at line %d", WEXITSTATUS(st));
	EXPECT_EQ(1, r->pinned[0]);
	EXPECT_EQ(1, r->pinned[1]);
	EXPECT_LT(100, r->sent[1]);

	/* The netns is going; the module goes too (no socket is left). */
	for (int i = 0; i < 100 && (err = module_unload()) == EAGAIN; i++)
		msleep(50);
	EXPECT_EQ(0, err);
	/* Every timer the race armed has fired by now. */
	wait = t0 + (RACE_MS + LONG_MS) / 1000.0 + 0.5 - now_s();
	if (wait > 0)
		msleep((int)(wait * 1000));
	ASSERT_EQ(0, module_load(""));
	EXPECT_EQ(0, kmsg_reports(kmsg, first, sizeof(first))) TH_LOG("kernel report: %s", first);
	close(kmsg);
	munmap(r, sizeof(*r));
	TH_LOG("%.1f s", now_s() - t0);
}

TEST_HARNESS_MAIN
