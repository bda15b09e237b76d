// SPDX-License-Identifier: GPL-2.0
/*
 * The server side: listen(), the SYN and accept queues, accept(). Two
 * network namespaces joined by a veth pair: a Linux (AF_INET) client at
 * 10.0.1.1, the server under test at 10.0.1.2 (AF_INET or rust_tcp, one
 * variant each, with the same absolute expectations). A packet socket on
 * the server's veth sees every segment; segments from 10.0.1.3 are crafted
 * (raw_seg) and the server's answers to them go nowhere, so a request stays
 * in the SYN queue until the test sends the final ACK (no tc needed: the
 * host kernels these tests are checked on may lack tc actions). The
 * SYN-ACK's contents are compared in synack_wire.c.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/time.h>

#include "common.h"
#include "kselftest_harness.h"

#define PORT 5000
#define FAKE_PORT 40000		/* crafted clients use FAKE_PORT + i */
#define TIMEOUT 120		/* the guest is slow; setup runs `ip` a few times */

FIXTURE(srv)
{
	struct two_hosts h;
	int family, cap, raw;
	int port;	/* the server's port, PORT unless a test moves on */
};

FIXTURE_VARIANT(srv)
{
	int rust;
};

FIXTURE_VARIANT_ADD(srv, af_inet) { .rust = 0 };
FIXTURE_VARIANT_ADD(srv, rust_tcp) { .rust = 1 };

FIXTURE_SETUP(srv)
{
	/* If the harness kills our parent on timeout, go too (no strays). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	self->cap = self->raw = self->h.ns_c = self->h.ns_s = -1;
	self->port = PORT;
	self->family = variant->rust ? rust_tcp_family() : AF_INET;
	if (!family_available(self->family))
		SKIP(return, "rust_tcp is not loaded");
	ASSERT_EQ(0, two_hosts_setup(&self->h));
	ASSERT_LE(0, netns_enter(self->h.ns_c));
	self->raw = raw_open();
	ASSERT_LE(0, self->raw);
	ASSERT_EQ(0, netns_enter(self->h.ns_s));
	self->cap = cap_open(VETH_S);
	ASSERT_LE(0, self->cap);
}

FIXTURE_TEARDOWN(srv)
{
	if (self->cap >= 0)
		close(self->cap);
	if (self->raw >= 0)
		close(self->raw);
	two_hosts_teardown(&self->h);
}

/*
 * A listener of the variant's family on @addr:@self->port in the server netns. A
 * blocking accept() on it gives up after 5 s (SO_RCVTIMEO) rather than hang.
 */
static int listener(struct __test_metadata *_metadata, FIXTURE_DATA(srv) *self,
		    const char *addr, int backlog)
{
	struct timeval tv = { 5, 0 };
	int fd;

	ASSERT_EQ(0, netns_enter(self->h.ns_s));
	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	ASSERT_EQ(0, bind_to(fd, addr, self->port));
	ASSERT_EQ(0, listen(fd, backlog));
	return fd;
}

/* A Linux client connected (within 2 s) to the server, or -1. */
static int client(FIXTURE_DATA(srv) *self)
{
	int fd = socket_in(self->h.ns_c, AF_INET, SOCK_STREAM);

	netns_enter(self->h.ns_s);
	if (fd < 0 || connect_nb(fd, SERVER_ADDR, self->port) || wait_connected(fd, 2000)) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
}

/* A child process that connects a Linux client after @ms and holds it 5 s. */
static pid_t connect_later(FIXTURE_DATA(srv) *self, int ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		msleep(ms);
		fd = client(self);
		msleep(fd < 0 ? 0 : 5000);
		_exit(fd < 0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

/* Waits (2 s at most) until listener @l has a connection to accept: 1, else 0. */
static int queued(int l)
{
	struct pollfd p = { .fd = l, .events = POLLIN };

	return poll(&p, 1, 2000) == 1;
}

static int peer_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getpeername(fd, (struct sockaddr *)&a, &len) < 0)
		return -errno;
	return ntohs(a.sin_port);
}

static int fake_syn_only(FIXTURE_DATA(srv) *self, int i)
{
	return raw_seg(self->raw, FAKE_ADDR, FAKE_PORT + i, SERVER_ADDR, self->port,
		       1000000u * (i + 1), 0, TH_SYN, 64240, syn_opts_nots, 12);
}

/*
 * Crafted client FAKE_PORT + @i sends its SYN: the SYN-ACK's sequence
 * number (the SYN-ACK in *@out if given), or -1 if none came in @wait_ms.
 */
static int64_t fake_syn(FIXTURE_DATA(srv) *self, int i, int wait_ms, struct pkt *out)
{
	struct pkt p;

	if (fake_syn_only(self, i))
		return -2;
	if (!cap_wait_sent(self->cap, &p, wait_ms, FAKE_PORT + i, 0xff, TH_SYN | TH_ACK))
		return -1;
	if (out)
		*out = p;
	return p.seq;
}

/* Bit i set for each crafted client FAKE_PORT + i (i < 32) sent a SYN-ACK within @ms. */
static unsigned int synacks_within(FIXTURE_DATA(srv) *self, int ms)
{
	double end = now_s() + ms / 1000.0;
	unsigned int seen = 0;
	struct pkt p;
	int left;

	while ((left = (int)((end - now_s()) * 1000)) > 0 && cap_next(self->cap, &p, left) == 1)
		if (p.outgoing && p.flags == (TH_SYN | TH_ACK) &&
		    p.dport >= FAKE_PORT && p.dport < FAKE_PORT + 32)
			seen |= 1u << (p.dport - FAKE_PORT);
	return seen;
}

/* Crafted client FAKE_PORT + @i: the final ACK for SYN-ACK sequence @isn. */
static int fake_ack(FIXTURE_DATA(srv) *self, int i, uint32_t isn)
{
	return raw_seg(self->raw, FAKE_ADDR, FAKE_PORT + i, SERVER_ADDR, self->port,
		       1000000u * (i + 1) + 1, isn + 1, TH_ACK, 502, NULL, 0);
}

/*
 * Completes handshakes from crafted clients @from, @from + 1, ... one after
 * another until a SYN gets no SYN-ACK: how many completed (at most @max).
 */
static int fill_accept_queue(FIXTURE_DATA(srv) *self, int from, int max)
{
	int n;

	for (n = 0; n < max; n++) {
		int64_t isn = fake_syn(self, from + n, 500, NULL);

		if (isn < 0 || fake_ack(self, from + n, isn))
			break;
		msleep(30);	/* let the ACK make its child before the next SYN */
	}
	return n;
}

/* Accepts until the queue is empty; the peer ports into @ports. How many, or -errno. */
static int drain(int l, int *ports, int max)
{
	int n = 0, fd, fl = fcntl(l, F_GETFL), err;

	fcntl(l, F_SETFL, fl | O_NONBLOCK);
	while ((fd = accept(l, NULL, NULL)) >= 0) {
		if (n < max)
			ports[n] = peer_port(fd);
		n++;
		close(fd);
	}
	err = errno;
	fcntl(l, F_SETFL, fl);
	return err == EAGAIN ? n : -err;
}

TEST_F_TIMEOUT(srv, accept_basics, TIMEOUT)
{
	int l = listener(_metadata, self, "0.0.0.0", 8), c, a;
	struct sockaddr_in peer, me, cme, cpeer;
	socklen_t plen = sizeof(peer), len = sizeof(me);

	c = client(self);
	ASSERT_LE(0, c);
	ASSERT_EQ(1, queued(l));
	/* accept() on a non-blocking listener gives a blocking socket. */
	fcntl(l, F_SETFL, O_NONBLOCK);
	a = accept(l, (struct sockaddr *)&peer, &plen);
	ASSERT_LE(0, a) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(0, fcntl(a, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, fcntl(a, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(sizeof(peer), plen);
	EXPECT_EQ(AF_INET, peer.sin_family);
	EXPECT_EQ(sin_of(CLIENT_ADDR, 0).sin_addr.s_addr, peer.sin_addr.s_addr);
	EXPECT_EQ(local_port(c), ntohs(peer.sin_port));
	/* The child's own address is the concrete one the client reached. */
	ASSERT_EQ(0, getsockname(a, (struct sockaddr *)&me, &len));
	EXPECT_EQ(sizeof(me), len);
	EXPECT_EQ(AF_INET, me.sin_family);
	EXPECT_EQ(sin_of(SERVER_ADDR, 0).sin_addr.s_addr, me.sin_addr.s_addr);
	EXPECT_EQ(self->port, ntohs(me.sin_port));
	/* Both ends agree. */
	len = sizeof(cme);
	ASSERT_EQ(0, getsockname(c, (struct sockaddr *)&cme, &len));
	EXPECT_EQ(0, memcmp(&cme, &peer, sizeof(peer)));
	len = sizeof(cpeer);
	ASSERT_EQ(0, getpeername(c, (struct sockaddr *)&cpeer, &len));
	EXPECT_EQ(0, memcmp(&cpeer, &me, sizeof(me)));
	len = sizeof(cpeer);
	ASSERT_EQ(0, getpeername(a, (struct sockaddr *)&cpeer, &len));
	EXPECT_EQ(0, memcmp(&cpeer, &peer, sizeof(peer)));
	/* The listener keeps the wildcard; identities of the child. */
	len = sizeof(me);
	ASSERT_EQ(0, getsockname(l, (struct sockaddr *)&me, &len));
	EXPECT_EQ(0, me.sin_addr.s_addr);
	EXPECT_EQ(self->port, ntohs(me.sin_port));
	EXPECT_EQ(ENOTCONN, outcome(getpeername(l, (struct sockaddr *)&me, &len)));
	EXPECT_EQ(1, sockopt_get(l, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(0, sockopt_get(a, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(self->family, sockopt_get(a, SOL_SOCKET, SO_DOMAIN));
	EXPECT_EQ(SOCK_STREAM, sockopt_get(a, SOL_SOCKET, SO_TYPE));
	EXPECT_EQ(IPPROTO_TCP, sockopt_get(a, SOL_SOCKET, SO_PROTOCOL));
	EXPECT_EQ(0, sockopt_get(a, SOL_SOCKET, SO_ERROR));
	/* A connected socket cannot listen; the queue is empty now. */
	EXPECT_EQ(EINVAL, outcome(listen(a, 1)));
	EXPECT_EQ(EAGAIN, outcome(accept(l, NULL, NULL)));
	close(a);
	close(c);
	close(l);
}

/* A struct timeval option as microseconds, -1 on error. */
static long long tv_opt(int fd, int opt)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len))
		return -1;
	return tv.tv_sec * 1000000LL + tv.tv_usec;
}

/*
 * The accepted socket carries the listener's socket options, as
 * sk_clone_lock()'s copy gives it in Linux: SO_REUSEADDR, SO_KEEPALIVE,
 * SO_MARK, SO_RCVLOWAT, SO_OOBINLINE, SO_LINGER, locked SO_SNDBUF/SO_RCVBUF
 * (the doubled values), the timeouts, TCP_NODELAY; but not SO_PRIORITY,
 * which sk_clone_lock() resets to 0. A listener without them gives a child
 * without them.
 */
TEST_F_TIMEOUT(srv, accepted_socket_inherits_options, TIMEOUT)
{
	struct timeval snd = { 2, 500000 };
	struct linger lg = { 1, 7 }, got;
	socklen_t len = sizeof(got);
	int l = listener(_metadata, self, "0.0.0.0", 8), c, a, one = 1;
	int prio = 5, mark = 7, lowat = 3, sndbuf = 65536, rcvbuf = 32768;

	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)));
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)));
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)));
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)));
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)));
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)));
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof(snd)));
	ASSERT_EQ(0, setsockopt(l, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	c = client(self);
	ASSERT_LE(0, c);
	ASSERT_EQ(1, queued(l));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(1, sockopt_get(a, SOL_SOCKET, SO_REUSEADDR));
	EXPECT_EQ(1, sockopt_get(a, SOL_SOCKET, SO_KEEPALIVE));
	EXPECT_EQ(0, sockopt_get(a, SOL_SOCKET, SO_PRIORITY));
	EXPECT_EQ(mark, sockopt_get(a, SOL_SOCKET, SO_MARK));
	EXPECT_EQ(lowat, sockopt_get(a, SOL_SOCKET, SO_RCVLOWAT));
	EXPECT_EQ(1, sockopt_get(a, SOL_SOCKET, SO_OOBINLINE));
	EXPECT_EQ(2 * sndbuf, sockopt_get(a, SOL_SOCKET, SO_SNDBUF));
	EXPECT_EQ(2 * rcvbuf, sockopt_get(a, SOL_SOCKET, SO_RCVBUF));
	ASSERT_EQ(0, getsockopt(a, SOL_SOCKET, SO_LINGER, &got, &len));
	EXPECT_EQ(1, got.l_onoff);
	EXPECT_EQ(7, got.l_linger);
	EXPECT_EQ(2500000, tv_opt(a, SO_SNDTIMEO));
	EXPECT_EQ(5000000, tv_opt(a, SO_RCVTIMEO));	/* listener() set it */
	EXPECT_EQ(1, sockopt_get(a, IPPROTO_TCP, TCP_NODELAY));
	close(a);
	close(c);
	close(l);

	/* Defaults stay defaults. */
	self->port++;
	l = listener(_metadata, self, "0.0.0.0", 8);
	c = client(self);
	ASSERT_LE(0, c);
	ASSERT_EQ(1, queued(l));
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(0, sockopt_get(a, SOL_SOCKET, SO_REUSEADDR));
	EXPECT_EQ(0, sockopt_get(a, SOL_SOCKET, SO_KEEPALIVE));
	EXPECT_EQ(0, sockopt_get(a, SOL_SOCKET, SO_PRIORITY));
	EXPECT_EQ(1, sockopt_get(a, SOL_SOCKET, SO_RCVLOWAT));
	EXPECT_EQ(0, tv_opt(a, SO_SNDTIMEO));
	EXPECT_EQ(0, sockopt_get(a, IPPROTO_TCP, TCP_NODELAY));
	close(a);
	close(c);
	close(l);
}

TEST_F_TIMEOUT(srv, accept4_flags_and_errors, TIMEOUT)
{
	int l, c, c2, a, fd;

	/* accept() on sockets that do not listen. */
	ASSERT_EQ(0, netns_enter(self->h.ns_s));
	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(EINVAL, outcome(accept(fd, NULL, NULL)));
	ASSERT_EQ(0, bind_to(fd, SERVER_ADDR, PORT + 1));
	EXPECT_EQ(EINVAL, outcome(accept(fd, NULL, NULL)));
	EXPECT_EQ(EINVAL, outcome(accept4(fd, NULL, NULL, SOCK_NONBLOCK)));
	close(fd);

	l = listener(_metadata, self, SERVER_ADDR, 8);
	fcntl(l, F_SETFL, O_NONBLOCK);
	EXPECT_EQ(EAGAIN, outcome(accept(l, NULL, NULL)));
	/* Flags other than SOCK_NONBLOCK | SOCK_CLOEXEC: EINVAL. */
	EXPECT_EQ(EINVAL, outcome(accept4(l, NULL, NULL, O_APPEND)));
	c = client(self);
	ASSERT_LE(0, c);
	ASSERT_EQ(1, queued(l));
	c2 = client(self);
	ASSERT_LE(0, c2);
	a = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ASSERT_LE(0, a);
	EXPECT_EQ(O_NONBLOCK, fcntl(a, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(a, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(local_port(c), peer_port(a));	/* first in, first out */
	close(a);
	ASSERT_EQ(1, queued(l));
	a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_LE(0, a);
	EXPECT_EQ(0, fcntl(a, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(a, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(local_port(c2), peer_port(a));
	close(a);
	EXPECT_EQ(EAGAIN, outcome(accept(l, NULL, NULL)));
	close(c);
	close(c2);
	close(l);
}

TEST_F_TIMEOUT(srv, poll_listener, TIMEOUT)
{
	const int ev = POLLIN | POLLOUT | POLLPRI | POLLRDNORM | POLLWRNORM | POLLRDHUP;
	int l = listener(_metadata, self, SERVER_ADDR, 8), a;
	struct pollfd p = { .fd = l, .events = ev };
	double t0;
	pid_t pid;

	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, p.revents);
	/* A blocked poll() wakes when a connection is queued. */
	pid = connect_later(self, 300);
	t0 = now_s();
	EXPECT_EQ(1, poll(&p, 1, 5000));
	EXPECT_LT(0.2, now_s() - t0);
	EXPECT_EQ(POLLIN | POLLRDNORM, p.revents);
	a = accept(l, NULL, NULL);
	EXPECT_LE(0, a);
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, p.revents);
	close(a);
	reap(pid);
	close(l);
}

/*
 * A blocked accept() and signals: without SA_RESTART it fails with EINTR;
 * with SA_RESTART it is restarted, unless the socket has a receive timeout
 * (then EINTR too, as for every timed socket wait); SO_RCVTIMEO expiring
 * gives EAGAIN. The connection that ends a wait comes from a child process.
 */
TEST_F_TIMEOUT(srv, blocking_accept_signals_and_timeout, TIMEOUT)
{
	int l = listener(_metadata, self, SERVER_ADDR, 8), a;
	struct timeval tv = { 0, 300000 }, none = { 0, 0 };
	double t0 = now_s();
	pid_t pid;

	/* SO_RCVTIMEO (5 s, from listener()) and SA_RESTART: still EINTR. */
	alarms = 0;
	arm(1, 200);
	EXPECT_EQ(EINTR, outcome(accept(l, NULL, NULL)));
	EXPECT_EQ(1, alarms);
	EXPECT_LT(0.15, now_s() - t0);
	EXPECT_GT(4.0, now_s() - t0);
	/* A shorter SO_RCVTIMEO expiring: EAGAIN. */
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	t0 = now_s();
	EXPECT_EQ(EAGAIN, outcome(accept(l, NULL, NULL)));
	EXPECT_LT(0.25, now_s() - t0);
	/* No timeout: a handler without SA_RESTART interrupts accept()... */
	ASSERT_EQ(0, setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none)));
	pid = connect_later(self, 2000);	/* the end of the wait, whatever happens */
	arm(0, 200);
	t0 = now_s();
	EXPECT_EQ(EINTR, outcome(accept(l, NULL, NULL)));
	EXPECT_EQ(2, alarms);
	EXPECT_GT(1.5, now_s() - t0);
	/* ...one with SA_RESTART does not: accept() gets the connection. */
	arm(1, 200);
	a = accept(l, NULL, NULL);
	EXPECT_LE(0, a) TH_LOG("accept: %s", strerror(errno));
	EXPECT_EQ(3, alarms);
	EXPECT_LT(1.5, now_s() - t0);
	close(a);
	reap(pid);
	close(l);
}

/* The accept queue holds backlog + 1; a SYN arriving when it is full is dropped. */
TEST_F_TIMEOUT(srv, accept_queue_holds_backlog_plus_one, TIMEOUT)
{
	int l = listener(_metadata, self, SERVER_ADDR, 2), ports[8], a;

	EXPECT_EQ(3, fill_accept_queue(self, 0, 6));
	/* Accepting one makes room for exactly one more. */
	a = accept(l, NULL, NULL);
	ASSERT_LE(0, a);
	EXPECT_EQ(FAKE_PORT, peer_port(a));
	close(a);
	EXPECT_EQ(1, fill_accept_queue(self, 10, 6));
	EXPECT_EQ(3, drain(l, ports, 8));
	EXPECT_EQ(FAKE_PORT + 1, ports[0]);
	EXPECT_EQ(FAKE_PORT + 2, ports[1]);
	EXPECT_EQ(FAKE_PORT + 10, ports[2]);
	close(l);
}

/* listen() on a listener changes only the backlog; the clamp is somaxconn. */
TEST_F_TIMEOUT(srv, backlog_update_and_somaxconn, TIMEOUT)
{
	int l = listener(_metadata, self, SERVER_ADDR, 0), ports[8];

	EXPECT_EQ(1, fill_accept_queue(self, 0, 4));
	EXPECT_EQ(0, listen(l, 2));
	EXPECT_EQ(self->port, local_port(l));
	EXPECT_EQ(2, fill_accept_queue(self, 10, 4));
	EXPECT_EQ(3, drain(l, ports, 8));
	close(l);

	/* (The closed children keep the port, in FIN_WAIT1: a new one.) */
	ASSERT_EQ(0, sysctl_set("net/core/somaxconn", "1"));
	self->port++;
	l = listener(_metadata, self, SERVER_ADDR, 1000);
	EXPECT_EQ(2, fill_accept_queue(self, 20, 4));
	EXPECT_EQ(2, drain(l, ports, 8));
	close(l);
}

/*
 * Without syncookies the SYN queue admits a SYN while it holds no more than
 * the backlog: backlog 2 answers three of six SYNs; the rest are dropped.
 * With syncookies on, the others get (cookie) SYN-ACKs too.
 */
TEST_F_TIMEOUT(srv, syn_queue_limit, TIMEOUT)
{
	int l;

	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_syncookies", "0"));
	l = listener(_metadata, self, SERVER_ADDR, 2);
	for (int i = 0; i < 6; i++)
		ASSERT_EQ(0, fake_syn_only(self, i));
	EXPECT_EQ(0x7, synacks_within(self, 800));
	close(l);

	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_syncookies", "1"));
	l = listener(_metadata, self, SERVER_ADDR, 2);
	cap_drain(self->cap);
	for (int i = 10; i < 16; i++)
		ASSERT_EQ(0, fake_syn_only(self, i));
	EXPECT_EQ(0x3f << 10, synacks_within(self, 800));
	close(l);
}

/*
 * A final ACK that finds the accept queue full: dropped (the request stays
 * and its SYN-ACK is resent), or with tcp_abort_on_overflow answered by RST
 * (the request is gone).
 */
static void overflow_on_ack(struct __test_metadata *_metadata, FIXTURE_DATA(srv) *self,
			    int abort_on_overflow)
{
	int64_t isn[4];
	int l, ports[8], got;
	struct pkt p;

	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_abort_on_overflow",
				abort_on_overflow ? "1" : "0"));
	l = listener(_metadata, self, SERVER_ADDR, 2);
	/* Three requests; one completes; a fourth request; two complete. */
	for (int i = 0; i < 3; i++)
		ASSERT_LE(0, isn[i] = fake_syn(self, i, 1000, NULL));
	ASSERT_EQ(0, fake_ack(self, 0, isn[0]));
	msleep(30);
	ASSERT_LE(0, isn[3] = fake_syn(self, 3, 1000, NULL));
	ASSERT_EQ(0, fake_ack(self, 1, isn[1]));
	ASSERT_EQ(0, fake_ack(self, 2, isn[2]));
	msleep(30);
	/* The accept queue holds 3 = backlog + 1: the fourth ACK overflows. */
	cap_drain(self->cap);
	ASSERT_EQ(0, fake_ack(self, 3, isn[3]));
	got = cap_wait_sent(self->cap, &p, 500, FAKE_PORT + 3, TH_RST, TH_RST);
	EXPECT_EQ(abort_on_overflow, got);
	if (got) {
		EXPECT_EQ(TH_RST, p.flags);
		EXPECT_EQ(isn[3] + 1, p.seq);
	}
	EXPECT_EQ(3, drain(l, ports, 8));
	EXPECT_EQ(FAKE_PORT, ports[0]);
	EXPECT_EQ(FAKE_PORT + 1, ports[1]);
	EXPECT_EQ(FAKE_PORT + 2, ports[2]);
	if (!abort_on_overflow) {
		/* The request lives on: its SYN-ACK comes again (1 s timer)... */
		EXPECT_EQ(1, cap_wait_sent(self->cap, &p, 2500, FAKE_PORT + 3, 0xff,
					   TH_SYN | TH_ACK));
		EXPECT_EQ(isn[3], p.seq);
	}
	/* ...and a new ACK completes it now there is room; or, reset, answers RST. */
	cap_drain(self->cap);
	ASSERT_EQ(0, fake_ack(self, 3, isn[3]));
	msleep(100);
	/* Checked before drain() closes the child, whose close is not at issue. */
	EXPECT_EQ(abort_on_overflow, cap_wait_sent(self->cap, &p, 300, FAKE_PORT + 3,
						   TH_RST, TH_RST));
	EXPECT_EQ(!abort_on_overflow, drain(l, ports, 8));
	if (!abort_on_overflow)
		EXPECT_EQ(FAKE_PORT + 3, ports[0]);
	close(l);
}

TEST_F_TIMEOUT(srv, accept_queue_overflow_drops_ack, TIMEOUT)
{
	overflow_on_ack(_metadata, self, 0);
}

TEST_F_TIMEOUT(srv, accept_queue_overflow_abort_rst, TIMEOUT)
{
	overflow_on_ack(_metadata, self, 1);
}

/*
 * tcp_synack_retries=2: the SYN-ACK, resent after 1 s and 2 s more, the
 * same segment each time; 4 s after that the request is dropped, and a
 * late ACK is answered with RST by the listener.
 */
TEST_F_TIMEOUT(srv, synack_retransmits, TIMEOUT)
{
	int l, n = 1, ports[4];
	double ts[8], t0;
	struct pkt p;
	int64_t isn;

	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_synack_retries", "2"));
	l = listener(_metadata, self, SERVER_ADDR, 8);
	t0 = now_s();
	isn = fake_syn(self, 0, 1000, &p);
	ASSERT_LE(0, isn);
	ts[0] = p.ts;	/* capture times: the kernel's, not when we read them */
	while (n < 8 && cap_wait_sent(self->cap, &p, 8000 - (int)((now_s() - t0) * 1000),
				      FAKE_PORT, 0xff, TH_SYN | TH_ACK)) {
		EXPECT_EQ(isn, p.seq);
		EXPECT_EQ(0, p.paylen);
		ts[n++] = p.ts;
	}
	EXPECT_EQ(3, n);
	if (n >= 3) {
		EXPECT_LT(0.7, ts[1] - ts[0]);
		EXPECT_GT(1.3, ts[1] - ts[0]);
		EXPECT_LT(1.4, ts[2] - ts[1]);
		EXPECT_GT(2.6, ts[2] - ts[1]);
	}
	/* By now (8 s) the request has expired (at 7 s). */
	cap_drain(self->cap);
	ASSERT_EQ(0, fake_ack(self, 0, isn));
	EXPECT_EQ(1, cap_wait_sent(self->cap, &p, 500, FAKE_PORT, TH_RST, TH_RST));
	EXPECT_EQ(0, drain(l, ports, 4));
	close(l);
}

/*
 * Closing a listener: each queued, never accepted child sends RST (its
 * client sees ECONNRESET), and a pending request dies with it.
 */
TEST_F_TIMEOUT(srv, close_listener_resets_children, TIMEOUT)
{
	int l = listener(_metadata, self, SERVER_ADDR, 8), c[2], rst[2] = { 0, 0 };
	double end;
	int64_t isn;
	struct pkt p;
	char buf[4];

	c[0] = client(self);
	c[1] = client(self);
	ASSERT_LE(0, c[0]);
	ASSERT_LE(0, c[1]);
	isn = fake_syn(self, 0, 1000, NULL);
	ASSERT_LE(0, isn);
	msleep(50);
	cap_drain(self->cap);
	close(l);
	/* One RST to each client, nothing else to them. */
	end = now_s() + 1;
	while (now_s() < end) {
		int got = cap_next(self->cap, &p, 100);

		if (got < 0)
			break;
		for (int i = 0; got && i < 2; i++) {
			if (!p.outgoing || p.dport != local_port(c[i]))
				continue;
			EXPECT_EQ(TH_RST | TH_ACK, p.flags);
			rst[i]++;
		}
	}
	for (int i = 0; i < 2; i++) {
		struct pollfd pf = { .fd = c[i], .events = POLLIN | POLLOUT | POLLRDHUP };

		EXPECT_EQ(1, rst[i]);
		EXPECT_EQ(1, poll(&pf, 1, 1000));
		EXPECT_EQ(POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP, pf.revents)
			TH_LOG("revents %#x", pf.revents);
		EXPECT_EQ(-1, recv(c[i], buf, sizeof(buf), MSG_DONTWAIT));
		EXPECT_EQ(ECONNRESET, errno);
		close(c[i]);
	}
	/* The request's final ACK now meets no listener: RST, and no SYN-ACK again. */
	cap_drain(self->cap);
	ASSERT_EQ(0, fake_ack(self, 0, isn));
	EXPECT_EQ(1, cap_wait_sent(self->cap, &p, 500, FAKE_PORT, TH_RST, TH_RST));
	EXPECT_EQ(0, cap_wait_sent(self->cap, &p, 1500, FAKE_PORT, TH_SYN, TH_SYN));
}

/*
 * Malformed SYNs get no answer from either stack (Linux drops them in
 * tcp_v4_rcv), and rust_tcp counts them: a bad checksum in InCsumErrors, an
 * impossible data offset in InErrs. A good SYN afterwards is answered.
 */
TEST_F_TIMEOUT(srv, malformed_segments_dropped_and_counted, TIMEOUT)
{
	static const enum mangle how[] = { MANGLE_CSUM, MANGLE_DOFF, MANGLE_DOFF_LONG };
	long csum0 = rust_tcp_stat("InCsumErrors"), errs0 = rust_tcp_stat("InErrs");
	int l = listener(_metadata, self, SERVER_ADDR, 8);

	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, raw_seg_mangled(self->raw, FAKE_ADDR, FAKE_PORT + i, SERVER_ADDR,
					     self->port, 1000000u * (i + 1), 0, TH_SYN, 64240,
					     syn_opts_nots, 12, how[i]));
	EXPECT_EQ(0, synacks_within(self, 500));
	if (variant->rust) {
		EXPECT_EQ(csum0 + 1, rust_tcp_stat("InCsumErrors"));
		EXPECT_EQ(errs0 + 2, rust_tcp_stat("InErrs"));
	}
	ASSERT_EQ(0, fake_syn_only(self, 5));
	EXPECT_EQ(1u << 5, synacks_within(self, 800));
	close(l);
}

/*
 * Two SO_REUSEPORT listeners on one address and port share the SYNs by flow
 * hash (reuseport_select_sock): sixteen flows complete, and each listener
 * accepts some of them.
 */
TEST_F_TIMEOUT(srv, reuseport_group_spreads_syns, TIMEOUT)
{
	int one = 1, l[2], got[2] = { 0, 0 }, ports[16];

	ASSERT_EQ(0, netns_enter(self->h.ns_s));
	for (int k = 0; k < 2; k++) {
		l[k] = socket(self->family, SOCK_STREAM, 0);
		ASSERT_LE(0, l[k]);
		ASSERT_EQ(0, setsockopt(l[k], SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
		ASSERT_EQ(0, bind_to(l[k], SERVER_ADDR, self->port));
		ASSERT_EQ(0, listen(l[k], 16));
	}
	for (int i = 0; i < 16; i++) {
		int64_t isn = fake_syn(self, i, 1000, NULL);

		ASSERT_LE(0, isn);
		ASSERT_EQ(0, fake_ack(self, i, isn));
	}
	msleep(100);
	for (int k = 0; k < 2; k++) {
		got[k] = drain(l[k], ports, 16);
		close(l[k]);
	}
	EXPECT_EQ(16, got[0] + got[1]);
	EXPECT_LT(0, got[0]);
	EXPECT_LT(0, got[1]);
}

/*
 * A retransmitted SYN for a pending request is answered at once with the
 * same SYN-ACK (tcp_check_req), well before the 1 s SYN-ACK timer; a
 * second one within tcp_invalid_ratelimit (500 ms) is not.
 */
TEST_F_TIMEOUT(srv, duplicate_syn_resends_synack, TIMEOUT)
{
	int l = listener(_metadata, self, SERVER_ADDR, 8);
	int64_t isn = fake_syn(self, 0, 500, NULL);
	struct pkt p;

	ASSERT_LE(0, isn);
	msleep(200);
	cap_drain(self->cap);
	ASSERT_EQ(0, fake_syn_only(self, 0));
	ASSERT_EQ(1, cap_wait_sent(self->cap, &p, 300, FAKE_PORT, 0xff, TH_SYN | TH_ACK));
	EXPECT_EQ(isn, p.seq);
	ASSERT_EQ(0, fake_syn_only(self, 0));
	EXPECT_EQ(0, cap_wait_sent(self->cap, &p, 150, FAKE_PORT, 0xff, TH_SYN | TH_ACK));
	close(l);
}

TEST_HARNESS_MAIN
