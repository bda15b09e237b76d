// SPDX-License-Identifier: GPL-2.0
/*
 * Closing a connection, every way, and TIME_WAIT.
 *
 * Two network namespaces joined by veth (two_hosts_setup_quick). In each
 * connection one end, A, is of the variant's family (AF_INET or rust_tcp:
 * the af_inet variant proves every expectation is Linux's) and the other,
 * B, is Linux (AF_INET), so that B's behaviour is Linux's answer to what A
 * puts on the wire. Most scenarios run twice: A as the client (10.0.1.1)
 * and A as the accepted socket (10.0.1.2, its listener closed once the
 * connection is accepted, so that A alone holds the port).
 *
 * States are observed through behaviour (the tests predate TCP_INFO):
 * recv() results and errnos, poll() masks compared exactly, whether A's
 * address and port are still held (a bind() of a new socket of the family
 * without SO_REUSEADDR: EADDRINUSE while a TIME_WAIT holds it), and the
 * segments on the wire, captured on A's veth: every segment of the
 * connection after the data exchange, per direction, flags, sequence and
 * acknowledgment numbers relative to each side's ISN, payload length
 * (a repeat of an earlier segment, which a vCPU stalled past the RTO by a
 * busy host can cause, is left out unless the test is about repeats).
 *
 * Each connection starts with A sending 10 bytes and B 20 (both read and
 * acknowledged before the close begins), so in relative numbers A's FIN is
 * 11 and B's 21. To hold segments back, an end's frames are sent to a MAC
 * nobody has (mute()): they are captured leaving, but never arrive. To
 * make two FINs cross, netem delays both directions by 30 ms.
 *
 * rust_tcp's TIME_WAIT lasts /sys/module/rust_tcp/parameters/
 * tcp_timewait_len_ms (60000 by default, writable at run time); the
 * rust_tcp variant sets it to 1000 to watch a TIME_WAIT end and restores
 * 60000. Linux's lasts 60 s: the af_inet variant checks that it is there.
 */
#include <sys/prctl.h>

#include "data_common.h"
#include "kselftest_harness.h"

#define PORT 9200
#define TIMEOUT 60
#define TW_PARAM "/sys/module/rust_tcp/parameters/tcp_timewait_len_ms"

/* Every poll event a TCP socket could report, and the usual groups. */
#define ALL_EV (POLLIN | POLLRDNORM | POLLRDBAND | POLLPRI | POLLOUT | POLLWRNORM | \
		POLLWRBAND | POLLRDHUP)
#define EV_W (POLLOUT | POLLWRNORM)
#define EV_EOF (POLLIN | POLLRDNORM | POLLRDHUP)

static volatile sig_atomic_t pipes;	/* SIGPIPEs caught */

static void on_pipe(int sig)
{
	pipes++;
}

FIXTURE(cls)
{
	struct two_hosts h;
	int fam, rust, port, tw_changed;
};

FIXTURE_VARIANT(cls)
{
	int rust;
};

FIXTURE_VARIANT_ADD(cls, af_inet) { .rust = 0 };
FIXTURE_VARIANT_ADD(cls, rust_tcp) { .rust = 1 };

FIXTURE_SETUP(cls)
{
	struct sigaction sa = { .sa_handler = on_pipe };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	self->h.ns_c = self->h.ns_s = -1;
	self->rust = variant->rust;
	self->fam = variant->rust ? rust_tcp_family() : AF_INET;
	self->port = PORT;
	self->tw_changed = 0;
	if (!family_available(self->fam))
		SKIP(return, "rust_tcp is not loaded");
	sigaction(SIGPIPE, &sa, NULL);
	pipes = 0;
	ASSERT_EQ(0, two_hosts_setup_quick(&self->h));
}

FIXTURE_TEARDOWN(cls)
{
	if (self->tw_changed)
		write_file(TW_PARAM, "60000");
	two_hosts_teardown(&self->h);
}

/* ---- a connection under watch ------------------------------------------- */

struct seg {
	int from_a, flags, len;
	uint32_t seq, ack;	/* relative to the sender's and the receiver's ISN */
};

struct conn {
	int a, b;		/* A: the variant's family; B: Linux */
	int l;			/* the listener, if kept; else -1 */
	int a_client;
	int cap;		/* on A's veth */
	int ns_a, ns_b;
	const char *a_addr, *b_addr, *a_dev, *b_dev;
	int aport, bport;
	uint32_t a_isn, b_isn;
	int n;			/* segments logged */
	struct seg log[256];
	double ts[256];		/* their capture times */
};

static uint32_t haddr(const char *a)
{
	return ntohl(sin_of(a, 0).sin_addr.s_addr);
}

/* The next segment of @k within @ms, appended to its log: 1, or 0 if none came. */
static int log_next(struct conn *k, int ms)
{
	double end = now_s() + ms / 1000.0;
	struct pkt p;
	int left;

	while ((left = (int)((end - now_s()) * 1000)) >= 0) {
		int from_a, from_b;
		struct seg *s;

		if (cap_next(k->cap, &p, left) != 1)
			return 0;
		from_a = p.saddr == haddr(k->a_addr) && p.sport == k->aport &&
			 p.daddr == haddr(k->b_addr) && p.dport == k->bport;
		from_b = p.saddr == haddr(k->b_addr) && p.sport == k->bport &&
			 p.daddr == haddr(k->a_addr) && p.dport == k->aport;
		if (!from_a && !from_b)
			continue;
		if (k->n == sizeof(k->log) / sizeof(k->log[0]))
			return 1;
		s = &k->log[k->n++];
		s->from_a = from_a;
		s->flags = p.flags;
		s->len = p.paylen;
		s->seq = p.seq - (from_a ? k->a_isn : k->b_isn);
		s->ack = (p.flags & TH_ACK) ? p.ack - (from_a ? k->b_isn : k->a_isn) : 0;
		k->ts[k->n - 1] = p.ts;
		return 1;
	}
	return 0;
}

static int seg_match(const struct seg *s, int from_a, int flags, uint32_t ack)
{
	return s->from_a == from_a && (s->flags & flags) == flags &&
	       (ack == ~0u || s->ack == ack);
}

/*
 * Logs segments until the log holds @nth segments from A (@from_a) or B
 * that have all of @flags and, if @ack is not ~0, that relative
 * acknowledgment number: 1, or 0 if they did not come within @ms.
 */
static int log_until_nth(struct conn *k, int nth, int from_a, int flags, uint32_t ack, int ms)
{
	double end = now_s() + ms / 1000.0;
	int have = 0;

	for (int i = 0; i < k->n; i++)
		have += seg_match(&k->log[i], from_a, flags, ack);
	while (have < nth) {
		if (now_s() >= end || !log_next(k, (int)((end - now_s()) * 1000) + 1))
			return 0;
		have += seg_match(&k->log[k->n - 1], from_a, flags, ack);
	}
	return 1;
}

static int log_until(struct conn *k, int from_a, int flags, uint32_t ack, int ms)
{
	return log_until_nth(k, 1, from_a, flags, ack, ms);
}

/* Logs until nothing comes for @ms. */
static void log_rest(struct conn *k, int ms)
{
	while (log_next(k, ms))
		;
}

static void log_clear(struct conn *k)
{
	k->n = 0;
}

static const char *flag_str(int f, char *buf)
{
	snprintf(buf, 32, "%s%s%s%s%s", f & TH_SYN ? "S" : "", f & TH_FIN ? "F" : "",
		 f & TH_RST ? "R" : "", f & TH_PSH ? "P" : "", f & TH_ACK ? "." : "");
	return buf;
}

/*
 * A segment from the same side identical to an earlier one (flags,
 * numbers, length): a retransmission, or the answer to one.
 */
static int is_repeat(const struct conn *k, int i)
{
	for (int j = 0; j < i; j++)
		if (k->log[j].from_a == k->log[i].from_a && k->log[j].flags == k->log[i].flags &&
		    k->log[j].seq == k->log[i].seq && k->log[j].ack == k->log[i].ack &&
		    k->log[j].len == k->log[i].len)
			return 1;
	return 0;
}

/*
 * The segments logged from A (@from_a) or B are exactly @want (@n of
 * them), repeats aside: in the TCG guest a vCPU can stall past the 200 ms
 * minimum RTO when the host is busy, and a FIN then goes twice (and is
 * answered twice) without anything being wrong.
 */
static void expect_segs(struct __test_metadata *_metadata, struct conn *k, int from_a,
			const struct seg *want, int n)
{
	int j = 0, ok = 1;
	char f1[32], f2[32];

	for (int i = 0; i < k->n; i++) {
		const struct seg *s = &k->log[i];

		if (s->from_a != from_a || is_repeat(k, i))
			continue;
		if (j >= n || s->flags != want[j].flags || s->seq != want[j].seq ||
		    s->ack != want[j].ack || s->len != want[j].len)
			ok = 0;
		j++;
	}
	EXPECT_TRUE(ok && j == n) {
		TH_LOG("segments from %s (A is the %s), relative seq/ack; the log:",
		       from_a ? "A" : "B", k->a_client ? "client" : "server");
		for (int i = 0; i < k->n; i++)
			TH_LOG("  %s %s %-4s seq %u ack %u len %d at +%.3f s",
			       k->log[i].from_a == from_a ? "got " : "    ",
			       k->log[i].from_a ? "A" : "B", flag_str(k->log[i].flags, f1),
			       k->log[i].seq, k->log[i].ack, k->log[i].len,
			       k->ts[i] - k->ts[0]);
		for (int i = 0; i < n; i++)
			TH_LOG("  want %-4s seq %u ack %u len %d", flag_str(want[i].flags, f2),
			       want[i].seq, want[i].ack, want[i].len);
	}
}

/* How many segments logged from A (@from_a) or B have all of @flags. */
static int count_segs(struct conn *k, int from_a, int flags)
{
	int c = 0;

	for (int i = 0; i < k->n; i++)
		if (k->log[i].from_a == from_a && (k->log[i].flags & flags) == flags)
			c++;
	return c;
}

#define OC_REUSE 1		/* SO_REUSEADDR on A (or on A's listener) */
#define OC_KEEP_LISTENER 2	/* keep the listener open (in k->l) */
#define OC_NO_XCHG 4		/* no 10 + 20 bytes exchange */

/*
 * A connection: A of the variant's family as the client (@a_client) or the
 * accepted end, B Linux; the client binds CLIENT_ADDR:@cport first if
 * @cport. The capture runs from before the SYN (for the ISNs). Unless
 * OC_NO_XCHG, A sends 10 bytes and B 20, both read and acknowledged, and
 * the log is cleared: what is logged next is the close.
 */
static void open_conn(struct __test_metadata *_metadata, FIXTURE_DATA(cls) *self,
		      struct conn *k, int a_client, int flags, int cport)
{
	struct timeval tv = { 5, 0 };
	int port = self->port++, l, c, s, one = 1, cfam, sfam, got = 0;
	struct pollfd pf;
	char buf[32];

	memset(k, 0, sizeof(*k));
	k->a_client = a_client;
	k->l = -1;
	k->ns_a = a_client ? self->h.ns_c : self->h.ns_s;
	k->ns_b = a_client ? self->h.ns_s : self->h.ns_c;
	k->a_addr = a_client ? CLIENT_ADDR : SERVER_ADDR;
	k->b_addr = a_client ? SERVER_ADDR : CLIENT_ADDR;
	k->a_dev = a_client ? VETH_C : VETH_S;
	k->b_dev = a_client ? VETH_S : VETH_C;
	cfam = a_client ? self->fam : AF_INET;
	sfam = a_client ? AF_INET : self->fam;
	ASSERT_EQ(0, netns_enter(k->ns_a));
	k->cap = cap_open(k->a_dev);
	ASSERT_LE(0, k->cap);

	l = socket_in(self->h.ns_s, sfam, SOCK_STREAM);
	ASSERT_LE(0, l);
	if ((flags & OC_REUSE) && !a_client)
		ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, bind_to(l, SERVER_ADDR, port));
	ASSERT_EQ(0, listen(l, 8));
	c = socket_in(self->h.ns_c, cfam, SOCK_STREAM);
	ASSERT_LE(0, c);
	if ((flags & OC_REUSE) && a_client)
		ASSERT_EQ(0, setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	if (cport)
		ASSERT_EQ(0, bind_to(c, CLIENT_ADDR, cport));
	ASSERT_EQ(0, connect_to(c, SERVER_ADDR, port));
	pf = (struct pollfd){ .fd = l, .events = POLLIN };
	ASSERT_EQ(1, poll(&pf, 1, 2000));
	s = accept(l, NULL, NULL);
	ASSERT_LE(0, s);
	if (flags & OC_KEEP_LISTENER)
		k->l = l;
	else
		close(l);
	k->a = a_client ? c : s;
	k->b = a_client ? s : c;
	ASSERT_EQ(0, setsockopt(k->a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, setsockopt(k->b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	k->aport = local_port(k->a);
	k->bport = local_port(k->b);
	/* The ISNs, from the SYN and the SYN-ACK. */
	while (got != 3) {
		struct pkt p;

		ASSERT_EQ(1, cap_next(k->cap, &p, 3000)) TH_LOG("no SYN/SYN-ACK captured");
		if (!(p.flags & TH_SYN))
			continue;
		if (p.sport == k->aport) {
			k->a_isn = p.seq;
			got |= 1;
		} else if (p.sport == k->bport) {
			k->b_isn = p.seq;
			got |= 2;
		}
	}
	if (flags & OC_NO_XCHG) {
		log_rest(k, 50);
		log_clear(k);
		return;
	}
	ASSERT_EQ(10, send(k->a, "0123456789", 10, 0));
	ASSERT_EQ(10, recv(k->b, buf, 10, MSG_WAITALL));
	ASSERT_EQ(20, send(k->b, "abcdefghijklmnopqrst", 20, 0));
	ASSERT_EQ(20, recv(k->a, buf, 20, MSG_WAITALL));
	ASSERT_EQ(0, memcmp(buf, "abcdefghijklmnopqrst", 20));
	/* Both acknowledged: what is logged from now on is the close. */
	ASSERT_EQ(1, log_until(k, 0, TH_ACK, 11, 3000)) TH_LOG("B's ACK of A's data");
	ASSERT_EQ(1, log_until(k, 1, TH_ACK, 21, 3000)) TH_LOG("A's ACK of B's data");
	log_rest(k, 20);
	log_clear(k);
}

static void close_conn(struct conn *k)
{
	if (k->a >= 0)
		close_rst(k->a);
	if (k->b >= 0)
		close_rst(k->b);
	if (k->l >= 0)
		close(k->l);
	if (k->cap >= 0)
		close(k->cap);
	k->a = k->b = k->l = k->cap = -1;
}

/* bind() of a new socket of @fam in netns @ns to @addr:@port (with SO_REUSEADDR if @reuse). */
static int bind_new(int fam, int ns, const char *addr, int port, int reuse)
{
	int fd = socket_in(ns, fam, SOCK_STREAM), err;

	if (fd < 0)
		return errno;
	if (reuse && sockopt_set(fd, SOL_SOCKET, SO_REUSEADDR, 1)) {
		err = errno;
		close(fd);
		return err;
	}
	err = bind_to(fd, addr, port);
	close(fd);
	return err;
}

/* Whether A's address and port can be bound again (0) or are held (EADDRINUSE). */
static int a_port_bind(FIXTURE_DATA(cls) *self, struct conn *k, int reuse)
{
	return bind_new(self->fam, k->ns_a, k->a_addr, k->aport, reuse);
}

/* Waits up to @ms for @fd to report @ev: 1 if it did. */
static int wait_ev(int fd, int ev, int ms)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, ms) == 1;
}

/*
 * Mutes (@on) A's frames (@from_a) or B's: they go to a MAC nobody has, so
 * they are captured leaving but never arrive; unmuted, they go to the
 * peer's MAC again. Works from any netns and any process.
 */
static int mute(struct conn *k, int from_a, int on)
{
	static const unsigned char nobody[6] = { 2, 0, 0, 0, 0, 2 };
	unsigned char mac[6];

	if (netns_enter(from_a ? k->ns_b : k->ns_a) || if_mac(from_a ? k->b_dev : k->a_dev, mac) ||
	    netns_enter(from_a ? k->ns_a : k->ns_b))
		return EIO;
	return arp_set(from_a ? k->a_dev : k->b_dev, from_a ? k->b_addr : k->a_addr,
		       on ? nobody : mac);
}

/* The roles: A as the client, then A as the accepted socket. */
#define FOR_ROLES(a_client) for (int a_client = 1; a_client >= 0; a_client--)

/* ---- close sequences ------------------------------------------------------ */

/*
 * Active close: A closes first. A's FIN (11, ack 21); B's recv() says EOF
 * (B in CLOSE_WAIT: readable with RDHUP, still writable), B acknowledges;
 * B closes, its FIN (21, ack 12); A, orphaned in FIN_WAIT2, acknowledges
 * (12, ack 22) and goes to TIME_WAIT: its address and port stay held.
 */
TEST_F_TIMEOUT(cls, active_close, TIMEOUT)
{
	static const struct seg a_want[] = { { 1, TH_FIN | TH_ACK, 0, 11, 21 },
					     { 1, TH_ACK, 0, 12, 22 } };
	static const struct seg b_want[] = { { 0, TH_ACK, 0, 21, 12 },
					     { 0, TH_FIN | TH_ACK, 0, 21, 12 } };
	char buf[8];

	FOR_ROLES(a_client) {
		struct conn k;

		open_conn(_metadata, self, &k, a_client, 0, 0);
		ASSERT_EQ(0, close(k.a));
		k.a = -1;
		EXPECT_EQ(1, wait_ev(k.b, POLLIN, 2000));
		EXPECT_EQ(EV_EOF | EV_W, revents_now(k.b, ALL_EV));
		EXPECT_EQ(0, recv(k.b, buf, sizeof(buf), 0));
		EXPECT_EQ(0, recv(k.b, buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_EQ(1, log_until(&k, 0, TH_ACK, 12, 3000)) TH_LOG("B's ACK of the FIN");
		ASSERT_EQ(0, close(k.b));
		k.b = -1;
		EXPECT_EQ(1, log_until(&k, 1, TH_ACK, 22, 3000)) TH_LOG("A's ACK of B's FIN");
		log_rest(&k, 200);
		expect_segs(_metadata, &k, 1, a_want, 2);
		expect_segs(_metadata, &k, 0, b_want, 2);
		EXPECT_EQ(EADDRINUSE, a_port_bind(self, &k, 0));
		close_conn(&k);
	}
}

/*
 * Passive close: B closes first. A's recv() says EOF, again and again; A's
 * poll: readable with RDHUP, writable (CLOSE_WAIT). A acknowledges the FIN
 * (11, ack 22), then closes: its FIN (11, ack 22), B's ACK (22, ack 12).
 * LAST_ACK ends there: no TIME_WAIT on the passive side, the port is free.
 */
TEST_F_TIMEOUT(cls, passive_close, TIMEOUT)
{
	static const struct seg a_want[] = { { 1, TH_ACK, 0, 11, 22 },
					     { 1, TH_FIN | TH_ACK, 0, 11, 22 } };
	static const struct seg b_want[] = { { 0, TH_FIN | TH_ACK, 0, 21, 11 },
					     { 0, TH_ACK, 0, 22, 12 } };
	char buf[8];

	FOR_ROLES(a_client) {
		struct conn k;

		open_conn(_metadata, self, &k, a_client, 0, 0);
		ASSERT_EQ(0, close(k.b));
		k.b = -1;
		EXPECT_EQ(1, wait_ev(k.a, POLLIN, 2000));
		EXPECT_EQ(EV_EOF | EV_W, revents_now(k.a, ALL_EV));
		EXPECT_EQ(0, recv(k.a, buf, sizeof(buf), 0));
		EXPECT_EQ(0, recv(k.a, buf, sizeof(buf), 0));
		EXPECT_EQ(0, recv(k.a, buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_EQ(EV_EOF | EV_W, revents_now(k.a, ALL_EV));
		EXPECT_EQ(1, log_until(&k, 1, TH_ACK, 22, 3000)) TH_LOG("A's ACK of the FIN");
		ASSERT_EQ(0, close(k.a));
		k.a = -1;
		EXPECT_EQ(1, log_until(&k, 0, TH_ACK, 12, 3000)) TH_LOG("B's ACK of A's FIN");
		log_rest(&k, 200);
		expect_segs(_metadata, &k, 1, a_want, 2);
		expect_segs(_metadata, &k, 0, b_want, 2);
		EXPECT_EQ(0, a_port_bind(self, &k, 0));
		close_conn(&k);
	}
}

/*
 * Simultaneous close: both shutdown(SHUT_WR) while netem holds every
 * segment 30 ms (less than the 200 ms minimum RTO, so nothing is
 * retransmitted), so the FINs cross: each FIN acknowledges only the other
 * side's data (A's: 11, ack 21; B's: 21, ack 11); each side, in FIN_WAIT1,
 * gets the other's FIN (CLOSING) and acknowledges it, then gets the ACK of
 * its own: both end in TIME_WAIT, both ports held. Both see EOF; both poll
 * readable, writable, RDHUP and HUP.
 */
TEST_F_TIMEOUT(cls, simultaneous_close, TIMEOUT)
{
	static const struct seg a_want[] = { { 1, TH_FIN | TH_ACK, 0, 11, 21 },
					     { 1, TH_ACK, 0, 12, 22 } };
	static const struct seg b_want[] = { { 0, TH_FIN | TH_ACK, 0, 21, 11 },
					     { 0, TH_ACK, 0, 22, 12 } };
	char buf[8];

	FOR_ROLES(a_client) {
		struct conn k;

		open_conn(_metadata, self, &k, a_client, 0, 0);
		ASSERT_EQ(0, netns_enter(k.ns_a));
		ASSERT_EQ(0, sh("tc qdisc replace dev %s root netem delay 30ms", k.a_dev));
		ASSERT_EQ(0, netns_enter(k.ns_b));
		ASSERT_EQ(0, sh("tc qdisc replace dev %s root netem delay 30ms", k.b_dev));
		ASSERT_EQ(0, shutdown(k.a, SHUT_WR));
		ASSERT_EQ(0, shutdown(k.b, SHUT_WR));
		EXPECT_EQ(1, log_until(&k, 1, TH_ACK, 22, 2000)) TH_LOG("A's ACK of B's FIN");
		EXPECT_EQ(1, log_until(&k, 0, TH_ACK, 12, 2000)) TH_LOG("B's ACK of A's FIN");
		log_rest(&k, 300);
		expect_segs(_metadata, &k, 1, a_want, 2);
		expect_segs(_metadata, &k, 0, b_want, 2);
		EXPECT_EQ(0, recv(k.a, buf, sizeof(buf), 0));
		EXPECT_EQ(0, recv(k.b, buf, sizeof(buf), 0));
		EXPECT_EQ(EV_EOF | EV_W | POLLHUP, revents_now(k.a, ALL_EV));
		EXPECT_EQ(EV_EOF | EV_W | POLLHUP, revents_now(k.b, ALL_EV));
		close(k.a);
		close(k.b);
		k.a = k.b = -1;
		EXPECT_EQ(EADDRINUSE, a_port_bind(self, &k, 0));
		EXPECT_EQ(EADDRINUSE, bind_new(AF_INET, k.ns_b, k.b_addr, k.bport, 0));
		ASSERT_EQ(0, netns_enter(k.ns_a));
		ASSERT_EQ(0, sh("tc qdisc del dev %s root", k.a_dev));
		ASSERT_EQ(0, netns_enter(k.ns_b));
		ASSERT_EQ(0, sh("tc qdisc del dev %s root", k.b_dev));
		close_conn(&k);
	}
}

/*
 * Half-close: A shuts down its sending side. One FIN (a second shutdown
 * sends nothing); A polls writable only (so a write reports the error), and
 * writing is EPIPE: with SIGPIPE, or without it under MSG_NOSIGNAL. B sees
 * EOF and goes on sending: 1 MiB, which A receives whole, then B closes; A
 * sees EOF, polls HUP, and as the first to close ends in TIME_WAIT.
 */
TEST_F_TIMEOUT(cls, half_close_data_flows_back, TIMEOUT)
{
	static const struct seg a_want[] = { { 1, TH_FIN | TH_ACK, 0, 11, 21 } };
	static const struct seg b_want[] = { { 0, TH_ACK, 0, 21, 12 } };
	const uint64_t n = 1 << 20, seed = 77;
	char buf[8];

	FOR_ROLES(a_client) {
		struct side *tx = side_shared(), rx;
		uint64_t rng = 5;
		struct conn k;
		int st = -1;
		pid_t pid;

		ASSERT_NE(NULL, tx);
		side_init(&rx);
		open_conn(_metadata, self, &k, a_client, 0, 0);
		ASSERT_EQ(0, shutdown(k.a, SHUT_WR));
		EXPECT_EQ(1, log_until(&k, 0, TH_ACK, 12, 3000)) TH_LOG("B's ACK of A's FIN");
		EXPECT_EQ(0, shutdown(k.a, SHUT_WR));
		EXPECT_EQ(EV_W, revents_now(k.a, ALL_EV));
		pipes = 0;
		EXPECT_EQ(-1, send(k.a, "x", 1, MSG_NOSIGNAL));
		EXPECT_EQ(EPIPE, errno);
		EXPECT_EQ(0, pipes);
		EXPECT_EQ(-1, send(k.a, "x", 1, 0));
		EXPECT_EQ(EPIPE, errno);
		EXPECT_EQ(1, pipes);
		EXPECT_EQ(-1, write(k.a, "x", 1));
		EXPECT_EQ(EPIPE, errno);
		EXPECT_EQ(2, pipes);
		EXPECT_EQ(EV_EOF | EV_W, revents_now(k.b, ALL_EV));
		EXPECT_EQ(0, recv(k.b, buf, sizeof(buf), 0));
		log_rest(&k, 200);
		expect_segs(_metadata, &k, 1, a_want, 1);
		expect_segs(_metadata, &k, 0, b_want, 1);
		close(k.cap);	/* the 1 MiB is not logged */
		k.cap = -1;

		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			uint64_t r = 9;

			close(k.a);
			send_stream(k.b, seed, n, &r, tx);
			close(k.b);
			_exit(0);
		}
		close(k.b);
		k.b = -1;
		recv_stream(k.a, seed, n, &rng, &rx);
		EXPECT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_EQ(0, tx->err) side_log("B sending", tx);
		EXPECT_EQ(0, rx.err) side_log("A receiving", &rx);
		EXPECT_EQ(n, rx.bytes);
		EXPECT_EQ(1, rx.eof);
		EXPECT_EQ(-1, rx.bad_at);
		EXPECT_EQ(tx->fnv, rx.fnv);
		EXPECT_EQ(EV_EOF | EV_W | POLLHUP, revents_now(k.a, ALL_EV));
		close(k.a);
		k.a = -1;
		EXPECT_EQ(EADDRINUSE, a_port_bind(self, &k, 0));
		close_conn(&k);
	}
}

/*
 * close() with unread data: no FIN but a RST (11, ack 121: the unread 100
 * bytes acknowledged), and no TIME_WAIT. B: readable, writable, RDHUP, HUP
 * and ERR; recv() ECONNRESET once, then EOF; send() EPIPE.
 */
TEST_F_TIMEOUT(cls, close_with_unread_data_resets, TIMEOUT)
{
	static const struct seg a_want[] = { { 1, TH_ACK, 0, 11, 121 },
					     { 1, TH_RST | TH_ACK, 0, 11, 121 } };
	static const struct seg b_want[] = { { 0, TH_PSH | TH_ACK, 100, 21, 11 } };
	char buf[100];

	FOR_ROLES(a_client) {
		struct conn k;

		open_conn(_metadata, self, &k, a_client, 0, 0);
		memset(buf, 'u', sizeof(buf));
		ASSERT_EQ(100, send(k.b, buf, 100, 0));
		EXPECT_EQ(1, log_until(&k, 1, TH_ACK, 121, 3000)) TH_LOG("A's ACK of the data");
		ASSERT_EQ(0, close(k.a));
		k.a = -1;
		EXPECT_EQ(1, log_until(&k, 1, TH_RST, ~0u, 3000)) TH_LOG("A's RST");
		log_rest(&k, 200);
		expect_segs(_metadata, &k, 1, a_want, 2);
		expect_segs(_metadata, &k, 0, b_want, 1);
		EXPECT_EQ(1, wait_ev(k.b, POLLIN, 3000));
		EXPECT_EQ(EV_EOF | EV_W | POLLHUP | POLLERR, revents_now(k.b, ALL_EV));
		EXPECT_EQ(-1, recv(k.b, buf, sizeof(buf), 0));
		EXPECT_EQ(ECONNRESET, errno);
		EXPECT_EQ(EV_EOF | EV_W | POLLHUP, revents_now(k.b, ALL_EV));
		EXPECT_EQ(0, recv(k.b, buf, sizeof(buf), 0));
		EXPECT_EQ(-1, send(k.b, "x", 1, MSG_NOSIGNAL));
		EXPECT_EQ(EPIPE, errno);
		msleep(20);
		EXPECT_EQ(0, a_port_bind(self, &k, 0));
		close_conn(&k);
	}
}

/* SO_LINGER {1, 0}: close() sends a RST (11, ack 21) instead of a FIN; no TIME_WAIT. */
TEST_F_TIMEOUT(cls, linger_zero_resets, TIMEOUT)
{
	static const struct seg a_want[] = { { 1, TH_RST | TH_ACK, 0, 11, 21 } };
	struct linger lg = { 1, 0 };
	char buf[8];

	FOR_ROLES(a_client) {
		struct conn k;
		double t0;

		open_conn(_metadata, self, &k, a_client, 0, 0);
		ASSERT_EQ(0, setsockopt(k.a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
		t0 = now_s();
		ASSERT_EQ(0, close(k.a));
		EXPECT_GT(0.5, now_s() - t0);	/* no lingering */
		k.a = -1;
		EXPECT_EQ(1, log_until(&k, 1, TH_RST, ~0u, 3000)) TH_LOG("A's RST");
		log_rest(&k, 200);
		expect_segs(_metadata, &k, 1, a_want, 1);
		expect_segs(_metadata, &k, 0, NULL, 0);
		EXPECT_EQ(1, wait_ev(k.b, POLLIN, 3000));
		EXPECT_EQ(-1, recv(k.b, buf, sizeof(buf), 0));
		EXPECT_EQ(ECONNRESET, errno);
		msleep(20);
		EXPECT_EQ(0, a_port_bind(self, &k, 0));
		close_conn(&k);
	}
}

/*
 * SO_LINGER {1, 5}: close() blocks until the FIN is acknowledged. A's
 * frames are muted for 0.6 s: the FIN and its first retransmissions are
 * lost, a later one (same numbers: 11, ack 21) gets through and is
 * acknowledged, and close() returns 0 then, well before the 5 s.
 */
TEST_F_TIMEOUT(cls, linger_waits_for_fin_ack, TIMEOUT)
{
	struct linger lg = { 1, 5 };
	char buf[8];

	FOR_ROLES(a_client) {
		struct conn k;
		double t0, dt;
		int st = -1, fins, sync[2];
		pid_t pid;

		open_conn(_metadata, self, &k, a_client, 0, 0);
		ASSERT_EQ(0, setsockopt(k.a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
		ASSERT_EQ(0, mute(&k, 1, 1));
		ASSERT_EQ(0, pipe(sync));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			/* The parent's close() must be the last one. */
			close(k.a);
			close(k.b);
			close(sync[0]);
			close(sync[1]);
			msleep(600);
			_exit(mute(&k, 1, 0));
		}
		close(sync[1]);
		ASSERT_EQ(0, read(sync[0], buf, 1));	/* the child's copies are closed */
		close(sync[0]);
		t0 = now_s();
		EXPECT_EQ(0, close(k.a));
		dt = now_s() - t0;
		k.a = -1;
		EXPECT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_EQ(0, st);
		EXPECT_LT(0.55, dt);
		EXPECT_GT(4.5, dt);
		EXPECT_EQ(1, log_until(&k, 0, TH_ACK, 12, 3000)) TH_LOG("B's ACK of the FIN");
		log_rest(&k, 100);
		fins = count_segs(&k, 1, TH_FIN);
		EXPECT_LE(2, fins);
		for (int i = 0; i < k.n; i++)
			if (k.log[i].from_a) {
				EXPECT_EQ(TH_FIN | TH_ACK, k.log[i].flags);
				EXPECT_EQ(11, k.log[i].seq);
				EXPECT_EQ(21, k.log[i].ack);
			}
		EXPECT_EQ(0, recv(k.b, buf, sizeof(buf), 0));
		ksft_print_msg("A %s: close() took %.2f s, %d FINs\n",
			       a_client ? "client" : "server", dt, fins);
		close_conn(&k);
	}
}

/*
 * SO_LINGER {1, 1} when the peer does not read: A's send buffer is full
 * and B's window closed, so the FIN cannot go; close() blocks for the
 * linger time and returns 0 (Linux reports no error). The orphan goes on:
 * when B reads, it gets every byte A's send() calls took, then EOF.
 */
TEST_F_TIMEOUT(cls, linger_times_out_when_peer_does_not_read, TIMEOUT)
{
	struct linger lg = { 1, 1 };
	const uint64_t seed = 99;

	FOR_ROLES(a_client) {
		struct side tx, rx;
		unsigned char *buf = malloc(65536);
		uint64_t rng = 3;
		struct conn k;
		double t0, dt;

		ASSERT_NE(NULL, buf);
		side_init(&tx);
		side_init(&rx);
		open_conn(_metadata, self, &k, a_client, OC_NO_XCHG, 0);
		close(k.cap);
		k.cap = -1;
		fcntl(k.a, F_SETFL, O_NONBLOCK);
		/* Fill until send() says EAGAIN, and still does after a pause. */
		for (int quiet = 0; quiet < 2;) {
			ssize_t r;

			pat_fill(seed, tx.bytes, buf, 65536);
			r = send(k.a, buf, 65536, 0);
			if (r > 0) {
				side_add(&tx, buf, r);
				quiet = 0;
				continue;
			}
			ASSERT_EQ(EAGAIN, errno);
			quiet++;
			msleep(200);
		}
		free(buf);
		fcntl(k.a, F_SETFL, 0);
		ASSERT_EQ(0, setsockopt(k.a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
		t0 = now_s();
		EXPECT_EQ(0, close(k.a));
		dt = now_s() - t0;
		k.a = -1;
		EXPECT_LT(0.9, dt);
		EXPECT_GT(2.5, dt);
		recv_stream(k.b, seed, tx.bytes, &rng, &rx);
		EXPECT_EQ(0, rx.err) side_log("B receiving", &rx);
		EXPECT_EQ(tx.bytes, rx.bytes);
		EXPECT_EQ(1, rx.eof);
		EXPECT_EQ(-1, rx.bad_at);
		EXPECT_EQ(tx.fnv, rx.fnv);
		ksft_print_msg("A %s: %llu bytes queued, close() took %.2f s\n",
			       a_client ? "client" : "server", (unsigned long long)tx.bytes, dt);
		close_conn(&k);
	}
}

/*
 * B resets. A: readable, writable, RDHUP, HUP and ERR. The first send()
 * reports the reset (ECONNRESET, no SIGPIPE); after it every write is
 * EPIPE, with SIGPIPE (send without flags, write) or without it
 * (MSG_NOSIGNAL); recv() says EOF. A answers nothing.
 */
TEST_F_TIMEOUT(cls, write_after_peer_reset, TIMEOUT)
{
	static const struct seg b_want[] = { { 0, TH_RST | TH_ACK, 0, 21, 11 } };
	char buf[8];

	FOR_ROLES(a_client) {
		struct conn k;

		open_conn(_metadata, self, &k, a_client, 0, 0);
		close_rst(k.b);
		k.b = -1;
		EXPECT_EQ(1, wait_ev(k.a, POLLIN, 3000));
		EXPECT_EQ(EV_EOF | EV_W | POLLHUP | POLLERR, revents_now(k.a, ALL_EV));
		pipes = 0;
		EXPECT_EQ(-1, send(k.a, "x", 1, 0));
		EXPECT_EQ(ECONNRESET, errno);
		EXPECT_EQ(0, pipes);
		EXPECT_EQ(EV_EOF | EV_W | POLLHUP, revents_now(k.a, ALL_EV));
		EXPECT_EQ(-1, send(k.a, "x", 1, 0));
		EXPECT_EQ(EPIPE, errno);
		EXPECT_EQ(1, pipes);
		EXPECT_EQ(-1, send(k.a, "x", 1, MSG_NOSIGNAL));
		EXPECT_EQ(EPIPE, errno);
		EXPECT_EQ(1, pipes);
		EXPECT_EQ(-1, write(k.a, "x", 1));
		EXPECT_EQ(EPIPE, errno);
		EXPECT_EQ(2, pipes);
		EXPECT_EQ(0, recv(k.a, buf, sizeof(buf), 0));
		log_rest(&k, 200);
		expect_segs(_metadata, &k, 1, NULL, 0);
		expect_segs(_metadata, &k, 0, b_want, 1);
		msleep(20);
		EXPECT_EQ(0, a_port_bind(self, &k, 0));
		close_conn(&k);
	}
}

/*
 * B closes (FIN); A, in CLOSE_WAIT, may still send: 5 bytes go out. B has
 * no socket left to read them, so it resets (a RST without ACK, at the
 * sequence number A acknowledged: 22). In CLOSE_WAIT the reset is reported
 * as EPIPE: the next send() fails with EPIPE and SIGPIPE, and so does every
 * one after it; MSG_NOSIGNAL: EPIPE only.
 */
TEST_F_TIMEOUT(cls, write_after_peer_close, TIMEOUT)
{
	static const struct seg a_want[] = { { 1, TH_ACK, 0, 11, 22 },
					     { 1, TH_PSH | TH_ACK, 5, 11, 22 } };
	static const struct seg b_want[] = { { 0, TH_FIN | TH_ACK, 0, 21, 11 },
					     { 0, TH_RST, 0, 22, 0 } };
	char buf[8];

	FOR_ROLES(a_client) {
		struct conn k;

		open_conn(_metadata, self, &k, a_client, 0, 0);
		close(k.b);
		k.b = -1;
		EXPECT_EQ(0, recv(k.a, buf, sizeof(buf), 0));
		EXPECT_EQ(1, log_until(&k, 1, TH_ACK, 22, 3000)) TH_LOG("A's ACK of the FIN");
		pipes = 0;
		EXPECT_EQ(5, send(k.a, "hello", 5, 0));
		EXPECT_EQ(1, log_until(&k, 0, TH_RST, ~0u, 3000)) TH_LOG("B's RST");
		msleep(20);
		EXPECT_EQ(EV_EOF | EV_W | POLLHUP | POLLERR, revents_now(k.a, ALL_EV));
		EXPECT_EQ(-1, send(k.a, "x", 1, 0));
		EXPECT_EQ(EPIPE, errno);
		EXPECT_EQ(1, pipes);
		EXPECT_EQ(EV_EOF | EV_W | POLLHUP, revents_now(k.a, ALL_EV));
		EXPECT_EQ(-1, send(k.a, "x", 1, 0));
		EXPECT_EQ(EPIPE, errno);
		EXPECT_EQ(2, pipes);
		EXPECT_EQ(-1, send(k.a, "x", 1, MSG_NOSIGNAL));
		EXPECT_EQ(EPIPE, errno);
		EXPECT_EQ(2, pipes);
		EXPECT_EQ(0, recv(k.a, buf, sizeof(buf), 0));
		log_rest(&k, 200);
		expect_segs(_metadata, &k, 1, a_want, 2);
		expect_segs(_metadata, &k, 0, b_want, 2);
		close_conn(&k);
	}
}

/*
 * shutdown() errors: a bad @how is EINVAL whatever the state (and changes
 * nothing); on a socket that is not connected (fresh, bound) every @how
 * is ENOTCONN, yet the shutdown bits are set (inet_shutdown's "hack to
 * wake up other listeners"): poll then adds RDHUP and readable for SHUT_RD.
 * On a listener SHUT_WR is 0 and changes nothing; SHUT_RD is 0 and stops it
 * listening. On a connection SHUT_RD is 0 and sends nothing.
 */
TEST_F_TIMEOUT(cls, shutdown_errors, TIMEOUT)
{
	static const int bad[] = { 3, 4, -1, 100 };
	int fd, l;

	ASSERT_EQ(0, netns_enter(self->h.ns_c));
	fd = socket(self->fam, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(EINVAL, outcome(shutdown(fd, bad[i]))) TH_LOG("how %d", bad[i]);
	}
	EXPECT_EQ(EV_W | POLLHUP, revents_now(fd, ALL_EV));
	EXPECT_EQ(ENOTCONN, outcome(shutdown(fd, SHUT_WR)));
	EXPECT_EQ(EV_W | POLLHUP, revents_now(fd, ALL_EV));
	EXPECT_EQ(ENOTCONN, outcome(shutdown(fd, SHUT_RD)));
	EXPECT_EQ(EV_EOF | EV_W | POLLHUP, revents_now(fd, ALL_EV));
	EXPECT_EQ(ENOTCONN, outcome(shutdown(fd, SHUT_RDWR)));
	close(fd);
	fd = socket(self->fam, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_to(fd, CLIENT_ADDR, 0));
	EXPECT_EQ(ENOTCONN, outcome(shutdown(fd, SHUT_RDWR)));
	EXPECT_EQ(EV_EOF | EV_W | POLLHUP, revents_now(fd, ALL_EV));
	close(fd);

	l = socket(self->fam, SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind_to(l, CLIENT_ADDR, PORT));
	ASSERT_EQ(0, listen(l, 4));
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(EINVAL, outcome(shutdown(l, bad[i]))) TH_LOG("how %d", bad[i]);
	}
	EXPECT_EQ(0, outcome(shutdown(l, SHUT_WR)));
	EXPECT_EQ(1, sockopt_get(l, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(0, revents_now(l, ALL_EV));
	EXPECT_EQ(0, outcome(shutdown(l, SHUT_RD)));
	EXPECT_EQ(0, sockopt_get(l, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(EINVAL, outcome(accept(l, NULL, NULL)));
	close(l);

	FOR_ROLES(a_client) {
		struct conn k;

		open_conn(_metadata, self, &k, a_client, 0, 0);
		for (int i = 0; i < 4; i++) {
			EXPECT_EQ(EINVAL, outcome(shutdown(k.a, bad[i]))) TH_LOG("how %d", bad[i]);
		}
		EXPECT_EQ(EV_W, revents_now(k.a, ALL_EV));
		EXPECT_EQ(0, outcome(shutdown(k.a, SHUT_RD)));
		EXPECT_EQ(EV_EOF | EV_W, revents_now(k.a, ALL_EV));
		log_rest(&k, 200);
		expect_segs(_metadata, &k, 1, NULL, 0);
		close_conn(&k);
	}
}

/* ---- TIME_WAIT -------------------------------------------------------------- */

/* Sets rust_tcp's TIME_WAIT length (rust_tcp variant only). */
static void tw_len(struct __test_metadata *_metadata, FIXTURE_DATA(cls) *self, const char *ms)
{
	ASSERT_EQ(0, write_file(TW_PARAM, ms)) TH_LOG("cannot write " TW_PARAM);
	self->tw_changed = 1;
}

/* An active close by A that ends with A in TIME_WAIT: its final ACK's capture time. */
static double close_to_timewait(struct __test_metadata *_metadata, struct conn *k)
{
	char buf[4];

	ASSERT_EQ(0, close(k->a));
	k->a = -1;
	EXPECT_EQ(0, recv(k->b, buf, sizeof(buf), 0));
	EXPECT_EQ(1, log_until(k, 0, TH_ACK, 12, 3000)) TH_LOG("B's ACK of the FIN");
	ASSERT_EQ(0, close(k->b));
	k->b = -1;
	EXPECT_EQ(1, log_until(k, 1, TH_ACK, 22, 3000)) TH_LOG("A's final ACK");
	return now_s();
}

/*
 * TIME_WAIT holds the address and port. A new socket's bind() to them:
 * without SO_REUSEADDR EADDRINUSE; with it, 0 if the closed socket had
 * SO_REUSEADDR too, else EADDRINUSE (the TIME_WAIT keeps its socket's
 * sk_reuse). Linux's TIME_WAIT lasts 60 s: the af_inet variant checks it
 * is there. rust_tcp's is set to 1 s: the port is held, then, 1.8 s after
 * A's last ACK, free.
 */
TEST_F_TIMEOUT(cls, timewait_holds_port, TIMEOUT)
{
	if (self->rust)
		tw_len(_metadata, self, "1000");
	FOR_ROLES(a_client) {
		struct conn k, k2;
		double t;

		open_conn(_metadata, self, &k, a_client, OC_REUSE, 0);
		close_to_timewait(_metadata, &k);
		EXPECT_EQ(EADDRINUSE, a_port_bind(self, &k, 0));
		EXPECT_EQ(0, a_port_bind(self, &k, 1));

		/* The closed socket without SO_REUSEADDR: held for everyone. */
		open_conn(_metadata, self, &k2, a_client, 0, 0);
		t = close_to_timewait(_metadata, &k2);
		EXPECT_EQ(EADDRINUSE, a_port_bind(self, &k2, 0));
		EXPECT_EQ(EADDRINUSE, a_port_bind(self, &k2, 1));

		if (self->rust) {
			while (now_s() < t + 1.8)
				msleep(50);
			EXPECT_EQ(0, a_port_bind(self, &k, 0)) TH_LOG("TIME_WAIT outlived 1 s");
			EXPECT_EQ(0, a_port_bind(self, &k2, 0)) TH_LOG("TIME_WAIT outlived 1 s");
		}
		close_conn(&k);
		close_conn(&k2);
	}
	if (self->rust) {
		EXPECT_EQ(0, write_file(TW_PARAM, "60000"));
		self->tw_changed = 0;
	}
}

/*
 * A retransmitted FIN meets A in TIME_WAIT and is acknowledged again. A's
 * last ACK is muted (captured, lost); B, in LAST_ACK, resends its FIN (21,
 * ack 12) and A's TIME_WAIT answers with the same ACK (12, ack 22): the
 * segments are those of an active close, with B's FIN and A's ACK (at
 * least) twice each.
 */
TEST_F_TIMEOUT(cls, timewait_acks_retransmitted_fin, TIMEOUT)
{
	static const struct seg a_want[] = { { 1, TH_FIN | TH_ACK, 0, 11, 21 },
					     { 1, TH_ACK, 0, 12, 22 } };
	static const struct seg b_want[] = { { 0, TH_ACK, 0, 21, 12 },
					     { 0, TH_FIN | TH_ACK, 0, 21, 12 } };
	char buf[4];

	FOR_ROLES(a_client) {
		struct conn k;

		open_conn(_metadata, self, &k, a_client, 0, 0);
		ASSERT_EQ(0, close(k.a));
		k.a = -1;
		EXPECT_EQ(0, recv(k.b, buf, sizeof(buf), 0));
		EXPECT_EQ(1, log_until(&k, 0, TH_ACK, 12, 3000)) TH_LOG("B's ACK of the FIN");
		ASSERT_EQ(0, mute(&k, 1, 1));
		ASSERT_EQ(0, close(k.b));
		k.b = -1;
		EXPECT_EQ(1, log_until(&k, 1, TH_ACK, 22, 3000)) TH_LOG("A's (lost) last ACK");
		msleep(50);
		ASSERT_EQ(0, mute(&k, 1, 0));
		EXPECT_EQ(1, log_until_nth(&k, 2, 1, TH_ACK, 22, 3000)) TH_LOG("A's second ACK");
		log_rest(&k, 300);
		expect_segs(_metadata, &k, 1, a_want, 2);
		expect_segs(_metadata, &k, 0, b_want, 2);
		EXPECT_LE(2, count_segs(&k, 0, TH_FIN));
		EXPECT_EQ(EADDRINUSE, a_port_bind(self, &k, 0));
		close_conn(&k);
	}
}

/*
 * A RST that fits TIME_WAIT (sequence number 22, what A expects next) ends
 * it at once (RFC 1337's hazard, which Linux accepts by default): the port
 * is free. With net.ipv4.tcp_rfc1337=1 the RST is ignored: still held.
 */
TEST_F_TIMEOUT(cls, timewait_rst, TIMEOUT)
{
	FOR_ROLES(a_client) {
		for (int rfc1337 = 0; rfc1337 < 2; rfc1337++) {
			struct conn k;
			int raw;

			ASSERT_EQ(0, netns_enter(a_client ? self->h.ns_c : self->h.ns_s));
			ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_rfc1337", rfc1337 ? "1" : "0"));
			open_conn(_metadata, self, &k, a_client, 0, 0);
			close_to_timewait(_metadata, &k);
			EXPECT_EQ(EADDRINUSE, a_port_bind(self, &k, 0));
			ASSERT_EQ(0, netns_enter(k.ns_b));
			raw = raw_open();
			ASSERT_LE(0, raw);
			ASSERT_EQ(0, raw_seg(raw, k.b_addr, k.bport, k.a_addr, k.aport,
					     k.b_isn + 22, 0, TH_RST, 0, NULL, 0));
			close(raw);
			EXPECT_EQ(1, log_until(&k, 0, TH_RST, ~0u, 3000));
			msleep(50);
			EXPECT_EQ(rfc1337 ? EADDRINUSE : 0, a_port_bind(self, &k, 0))
				TH_LOG("tcp_rfc1337=%d", rfc1337);
			close_conn(&k);
		}
	}
}

/* The next SYN or SYN-ACK from @port in @k's capture within @ms: its seq, or -1. */
static int64_t syn_from(struct conn *k, int port, int ms)
{
	double end = now_s() + ms / 1000.0;
	struct pkt p;
	int left;

	while ((left = (int)((end - now_s()) * 1000)) > 0)
		if (cap_next(k->cap, &p, left) == 1 && (p.flags & TH_SYN) && p.sport == port)
			return p.seq;
	return -1;
}

/*
 * connect() from a bound port whose 4-tuple is in TIME_WAIT (SO_REUSEADDR
 * on both sockets, so the bind succeeds): the TIME_WAIT is taken over when
 * it saw timestamps (tcp_twsk_unique, which for a bound port does not look
 * at net.ipv4.tcp_tw_reuse or at the age), and the new SYN's sequence
 * number is the old snd_nxt + 65537. Without timestamps it cannot be
 * taken over: EADDRNOTAVAIL.
 */
TEST_F_TIMEOUT(cls, timewait_reuse_bound_port, TIMEOUT)
{
	for (int ts = 1; ts >= 0; ts--) {
		int cport = 45000 + ts, fd, s;
		struct conn k;
		int64_t seq;

		ASSERT_EQ(0, netns_enter(self->h.ns_c));
		ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_tw_reuse", "0"));
		ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_timestamps", ts ? "1" : "0"));
		open_conn(_metadata, self, &k, 1, OC_REUSE | OC_KEEP_LISTENER, cport);
		close_to_timewait(_metadata, &k);
		fd = socket_in(self->h.ns_c, self->fam, SOCK_STREAM);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, sockopt_set(fd, SOL_SOCKET, SO_REUSEADDR, 1));
		EXPECT_EQ(0, bind_to(fd, CLIENT_ADDR, cport));
		cap_drain(k.cap);
		if (!ts) {
			EXPECT_EQ(EADDRNOTAVAIL, connect_to(fd, SERVER_ADDR, local_port(k.l)));
			close(fd);
			close_conn(&k);
			continue;
		}
		EXPECT_EQ(0, connect_to(fd, SERVER_ADDR, local_port(k.l)));
		seq = syn_from(&k, cport, 3000);
		EXPECT_EQ((uint32_t)(k.a_isn + 12 + 65537), seq);
		s = accept(k.l, NULL, NULL);
		EXPECT_LE(0, s);
		EXPECT_EQ(1, send(fd, "y", 1, 0));
		close_rst(s);
		close_rst(fd);
		close_conn(&k);
	}
	ASSERT_EQ(0, netns_enter(self->h.ns_c));
	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_timestamps", "1"));
}

/* Waits for the start of the next second of CLOCK_MONOTONIC (ktime_get_seconds()). */
static void next_second(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	msleep((1000000000L - ts.tv_nsec) / 1000000 + 5);
}

/*
 * connect() choosing the port, with ip_local_port_range one port wide: the
 * only port's 4-tuple is in TIME_WAIT. tcp_tw_reuse 0, or 2 (the default:
 * loopback only): EADDRNOTAVAIL. tcp_tw_reuse 1: still EADDRNOTAVAIL in the
 * second (ktime_get_seconds()) in which the TIME_WAIT last saw a timestamp,
 * and taken over from the next one: the same port, SYN at old snd_nxt +
 * 65537.
 */
TEST_F_TIMEOUT(cls, timewait_reuse_ephemeral, TIMEOUT)
{
	static const int order[] = { 1, 0, 2 };
	const int cport = 46000;
	struct conn k;
	int fd, s, port;
	int64_t seq;

	ASSERT_EQ(0, netns_enter(self->h.ns_c));
	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "46000 46000"));
	open_conn(_metadata, self, &k, 1, OC_KEEP_LISTENER, 0);
	ASSERT_EQ(cport, k.aport);
	port = local_port(k.l);
	/* The close and the first tries within one second. */
	next_second();
	close_to_timewait(_metadata, &k);
	for (int i = 0; i < 3; i++) {
		char v[4];

		snprintf(v, sizeof(v), "%d", order[i]);
		ASSERT_EQ(0, netns_enter(self->h.ns_c));
		ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_tw_reuse", v));
		fd = socket_in(self->h.ns_c, self->fam, SOCK_STREAM);
		ASSERT_LE(0, fd);
		EXPECT_EQ(EADDRNOTAVAIL, connect_to(fd, SERVER_ADDR, port))
			TH_LOG("tcp_tw_reuse=%d, TIME_WAIT in its first second", order[i]);
		close(fd);
	}
	next_second();
	for (int i = 1; i < 3; i++) {
		char v[4];

		snprintf(v, sizeof(v), "%d", order[i]);
		ASSERT_EQ(0, netns_enter(self->h.ns_c));
		ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_tw_reuse", v));
		fd = socket_in(self->h.ns_c, self->fam, SOCK_STREAM);
		ASSERT_LE(0, fd);
		EXPECT_EQ(EADDRNOTAVAIL, connect_to(fd, SERVER_ADDR, port))
			TH_LOG("tcp_tw_reuse=%d", order[i]);
		close(fd);
	}
	ASSERT_EQ(0, netns_enter(self->h.ns_c));
	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_tw_reuse", "1"));
	fd = socket_in(self->h.ns_c, self->fam, SOCK_STREAM);
	ASSERT_LE(0, fd);
	cap_drain(k.cap);
	EXPECT_EQ(0, connect_to(fd, SERVER_ADDR, port));
	EXPECT_EQ(cport, local_port(fd));
	seq = syn_from(&k, cport, 3000);
	EXPECT_EQ((uint32_t)(k.a_isn + 12 + 65537), seq);
	s = accept(k.l, NULL, NULL);
	EXPECT_LE(0, s);
	close_rst(s);
	close_rst(fd);
	close_conn(&k);
}

/*
 * A SYN for the 4-tuple of a server-side TIME_WAIT, with a newer timestamp:
 * the TIME_WAIT gives way (TCP_TW_SYN) and the listener answers it, with
 * ISN = the old snd_nxt + 65537. Here A is the accepted socket, closed
 * first; B, the Linux client, connects again from the same port.
 */
TEST_F_TIMEOUT(cls, timewait_syn_reopens, TIMEOUT)
{
	const int cport = 47000;
	struct conn k;
	int fd, s;
	int64_t seq;

	open_conn(_metadata, self, &k, 0, OC_KEEP_LISTENER, cport);
	close_to_timewait(_metadata, &k);
	msleep(20);
	fd = socket_in(self->h.ns_c, AF_INET, SOCK_STREAM);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind_to(fd, CLIENT_ADDR, cport));		/* B's LAST_ACK is over */
	cap_drain(k.cap);
	EXPECT_EQ(0, connect_to(fd, SERVER_ADDR, k.aport));
	seq = syn_from(&k, k.aport, 3000);
	EXPECT_EQ((uint32_t)(k.a_isn + 12 + 65537), seq);
	s = accept(k.l, NULL, NULL);
	EXPECT_LE(0, s);
	EXPECT_EQ(1, send(fd, "z", 1, 0));
	close_rst(s);
	close_rst(fd);
	close_conn(&k);
}

TEST_HARNESS_MAIN
