// SPDX-License-Identifier: GPL-2.0
/*
 * connect(), the client side, as the calling program sees it: argument
 * errors, unreachable and special destinations, blocking and non-blocking
 * connects and what the socket reports on the way (EINPROGRESS, EALREADY,
 * poll, SO_ERROR, EISCONN, names), refusal by RST, SO_SNDTIMEO and signals
 * bounding a blocking connect, AF_UNSPEC, TCP_SYNCNT's bounds, loopback.
 *
 * Two network namespaces joined by veth: the client under test at 10.0.1.1
 * (AF_INET or rust_tcp, one variant each, with the same absolute
 * expectations, which the AF_INET variant checks against Linux), a Linux
 * (AF_INET) listener at 10.0.1.2. To hold a connect in SYN_SENT the server
 * is made deaf (server_deaf(): the client's frames go to a MAC nobody has);
 * hearing again, it gets the next SYN retransmission (1 s, 2 s, ... after
 * the first SYN). The wire is in connect_wire.c, ports in connect_ports.c.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/time.h>

#include "common.h"
#include "kselftest_harness.h"

#define PORT 7000
#define NO_LISTENER 7999	/* nothing listens there: the server kernel answers RST */
#define TIMEOUT 60

/* Every poll event a connecting socket can report. */
#define ALL_EV (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLPRI | POLLRDHUP)

FIXTURE(cli)
{
	struct two_hosts h;
	int family;
	int l;		/* the AF_INET listener on SERVER_ADDR:PORT, or -1 */
};

FIXTURE_VARIANT(cli)
{
	int rust;
};

FIXTURE_VARIANT_ADD(cli, af_inet) { .rust = 0 };
FIXTURE_VARIANT_ADD(cli, rust_tcp) { .rust = 1 };

FIXTURE_SETUP(cli)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	self->l = self->h.ns_c = self->h.ns_s = -1;
	self->family = variant->rust ? rust_tcp_family() : AF_INET;
	if (!family_available(self->family))
		SKIP(return, "rust_tcp is not loaded");
	ASSERT_EQ(0, two_hosts_setup_quick(&self->h));
	ASSERT_EQ(0, netns_enter(self->h.ns_c));
}

FIXTURE_TEARDOWN(cli)
{
	if (self->l >= 0)
		close(self->l);
	two_hosts_teardown(&self->h);
}

/* A socket of the variant's family in the client netns (where we stay). */
static int csock(struct __test_metadata *_metadata, FIXTURE_DATA(cli) *self, int flags)
{
	int fd = socket_in(self->h.ns_c, self->family, SOCK_STREAM | flags);

	ASSERT_LE(0, fd) TH_LOG("socket: %s", strerror(errno));
	return fd;
}

/* The AF_INET listener on SERVER_ADDR:PORT; back in the client netns after. */
static void serve(struct __test_metadata *_metadata, FIXTURE_DATA(cli) *self)
{
	ASSERT_EQ(0, netns_enter(self->h.ns_s));
	self->l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->l);
	ASSERT_EQ(0, bind_to(self->l, SERVER_ADDR, PORT));
	ASSERT_EQ(0, listen(self->l, 16));
	ASSERT_EQ(0, netns_enter(self->h.ns_c));
}

/* The server deaf (1) to the client, or hearing it again (0). */
static void deaf(struct __test_metadata *_metadata, FIXTURE_DATA(cli) *self, int on)
{
	ASSERT_EQ(0, server_deaf(&self->h, on));
}

/* The connection the listener has for client @c (within 2 s): its fd, or -1. */
static int accepted(struct __test_metadata *_metadata, FIXTURE_DATA(cli) *self, int c)
{
	struct pollfd p = { .fd = self->l, .events = POLLIN };
	struct sockaddr_in cme, cpeer, ame, apeer;
	int a;

	if (poll(&p, 1, 2000) != 1)
		return -1;
	a = accept(self->l, NULL, NULL);
	if (a < 0)
		return -1;
	/* Both ends agree on both names. */
	EXPECT_EQ(0, sock_name(c, &cme));
	EXPECT_EQ(0, peer_name(c, &cpeer));
	EXPECT_EQ(0, sock_name(a, &ame));
	EXPECT_EQ(0, peer_name(a, &apeer));
	EXPECT_TRUE(sin_same(&cme, &apeer));
	EXPECT_TRUE(sin_same(&cpeer, &ame));
	return a;
}

/* The name of an unconnected socket: @addr:@port, no peer, no error. */
static void expect_unconnected(struct __test_metadata *_metadata, int fd, const char *addr,
			       int port)
{
	struct sockaddr_in a;

	EXPECT_EQ(0, sock_name(fd, &a));
	EXPECT_EQ(AF_INET, a.sin_family);
	EXPECT_EQ(sin_of(addr, 0).sin_addr.s_addr, a.sin_addr.s_addr);
	EXPECT_EQ(port, ntohs(a.sin_port));
	EXPECT_EQ(ENOTCONN, peer_name(fd, &a));
	EXPECT_EQ(0, sockopt_get(fd, SOL_SOCKET, SO_ERROR));
}

static void expect_unbound(struct __test_metadata *_metadata, int fd)
{
	expect_unconnected(_metadata, fd, "0.0.0.0", 0);
}

/*
 * After a refused connect has been reported, Linux has released the port
 * (tcp_done) and the source address (tcp_disconnect) but leaves the old
 * port number in inet_sport, so getsockname() shows 0.0.0.0:@port. The
 * port is free: another socket of @family binds it.
 */
static void expect_released(struct __test_metadata *_metadata, int family, int fd, int port)
{
	int fd2 = socket(family, SOCK_STREAM, 0);

	expect_unconnected(_metadata, fd, "0.0.0.0", port);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, bind_to(fd2, CLIENT_ADDR, port));
	close(fd2);
}

/* @fd's local name is CLIENT_ADDR and an ephemeral port: that port. */
static int expect_client_name(struct __test_metadata *_metadata, int fd)
{
	struct sockaddr_in a;

	EXPECT_EQ(0, sock_name(fd, &a));
	EXPECT_EQ(AF_INET, a.sin_family);
	EXPECT_EQ(sin_of(CLIENT_ADDR, 0).sin_addr.s_addr, a.sin_addr.s_addr);
	EXPECT_LE(32768, ntohs(a.sin_port));
	EXPECT_GE(60999, ntohs(a.sin_port));
	return ntohs(a.sin_port);
}

static void expect_peer(struct __test_metadata *_metadata, int fd, const char *addr, int port)
{
	struct sockaddr_in a, want = sin_of(addr, port);

	EXPECT_EQ(0, peer_name(fd, &a));
	EXPECT_TRUE(sin_same(&want, &a))
		TH_LOG("peer %s:%d", inet_ntoa(a.sin_addr), ntohs(a.sin_port));
}

/*
 * Address checks, in __inet_stream_connect's and tcp_v4_connect's order:
 * a length under 2 (sa_family) is EINVAL for every family; AF_UNSPEC with
 * 2 bytes or more disconnects, which on an unconnected socket succeeds;
 * otherwise under 16 bytes is EINVAL before the family is looked at; a
 * family other than AF_INET is EAFNOSUPPORT (rust_tcp's own number too).
 * None of them binds the socket; longer addresses are fine.
 */
TEST_F_TIMEOUT(cli, address_errors, TIMEOUT)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	int fd, lens[] = { 2, 8, 15 };

	serve(_metadata, self);
	fd = csock(_metadata, self, 0);
	*a = sin_of(SERVER_ADDR, PORT);
	EXPECT_EQ(EINVAL, outcome(connect(fd, (struct sockaddr *)a, 0)));
	EXPECT_EQ(EINVAL, outcome(connect(fd, (struct sockaddr *)a, 1)));
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(EINVAL, outcome(connect(fd, (struct sockaddr *)a, lens[i])))
			TH_LOG("addrlen %d", lens[i]);
	}
	a->sin_family = AF_INET6;
	EXPECT_EQ(EINVAL, outcome(connect(fd, (struct sockaddr *)a, 15)));
	EXPECT_EQ(EAFNOSUPPORT, outcome(connect(fd, (struct sockaddr *)a, sizeof(*a))));
	a->sin_family = rust_tcp_family();
	EXPECT_EQ(EAFNOSUPPORT, outcome(connect(fd, (struct sockaddr *)a, sizeof(*a))));
	a->sin_family = AF_UNIX;
	EXPECT_EQ(EAFNOSUPPORT, outcome(connect(fd, (struct sockaddr *)a, sizeof(*a))));
	a->sin_family = AF_UNSPEC;
	EXPECT_EQ(EINVAL, outcome(connect(fd, (struct sockaddr *)a, 1)));
	EXPECT_EQ(0, outcome(connect(fd, (struct sockaddr *)a, 2)));
	EXPECT_EQ(0, outcome(connect(fd, (struct sockaddr *)a, sizeof(*a))));
	EXPECT_EQ(0, outcome(connect(fd, (struct sockaddr *)a, sizeof(ss))));
	expect_unbound(_metadata, fd);
	/* Still a fresh socket: a whole sockaddr_storage connects it. */
	*a = sin_of(SERVER_ADDR, PORT);
	EXPECT_EQ(0, outcome(connect(fd, (struct sockaddr *)a, sizeof(ss))));
	expect_client_name(_metadata, fd);
	expect_peer(_metadata, fd, SERVER_ADDR, PORT);
	close_rst(accepted(_metadata, self, fd));
	close_rst(fd);
}

/*
 * ENETUNREACH for no route and, with a default route, for multicast,
 * limited and subnet broadcast destinations (the route's RTCF_MULTICAST and
 * RTCF_BROADCAST). The socket is left as it was: unbound, and connectable.
 */
TEST_F_TIMEOUT(cli, unreachable_destinations, TIMEOUT)
{
	static const char *const dsts[] = { "10.9.9.9", "224.0.0.1", "255.255.255.255",
					    "10.0.1.255", "239.1.2.3" };
	const int n = sizeof(dsts) / sizeof(dsts[0]);
	int fd;

	serve(_metadata, self);
	fd = csock(_metadata, self, 0);
	/* No default route yet: only 10.0.1.0/24 is reachable. */
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(ENETUNREACH, connect_to(fd, dsts[i], PORT)) TH_LOG("to %s", dsts[i]);
		expect_unbound(_metadata, fd);
	}
	/* Everything routes now: the route's type decides. Non-blocking the same. */
	ASSERT_EQ(0, route_add_default(SERVER_ADDR));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (int i = 1; i < n; i++) {
		EXPECT_EQ(ENETUNREACH, connect_to(fd, dsts[i], PORT)) TH_LOG("to %s", dsts[i]);
		expect_unbound(_metadata, fd);
	}
	fcntl(fd, F_SETFL, 0);
	EXPECT_EQ(0, connect_to(fd, SERVER_ADDR, PORT));
	expect_client_name(_metadata, fd);
	close_rst(accepted(_metadata, self, fd));
	close_rst(fd);
}

/* A listener is not in TCP_CLOSE: EISCONN, and it goes on listening. */
TEST_F_TIMEOUT(cli, connect_on_listener_eisconn, TIMEOUT)
{
	int fd = csock(_metadata, self, 0);

	ASSERT_EQ(0, bind_to(fd, CLIENT_ADDR, PORT));
	ASSERT_EQ(0, listen(fd, 4));
	EXPECT_EQ(EISCONN, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_EQ(EISCONN, connect_to(fd, CLIENT_ADDR, PORT));
	EXPECT_EQ(1, sockopt_get(fd, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(PORT, local_port(fd));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	EXPECT_EQ(EAGAIN, outcome(accept(fd, NULL, NULL)));
	close(fd);
}

/*
 * A blocking connect: 0, then EISCONN to anyone; the local name is the
 * route's source address and an ephemeral port; the listener accepts it;
 * poll says writable; SO_ERROR 0.
 */
TEST_F_TIMEOUT(cli, blocking_connect, TIMEOUT)
{
	int fd, a, port;

	serve(_metadata, self);
	fd = csock(_metadata, self, 0);
	expect_unbound(_metadata, fd);
	ASSERT_EQ(0, connect_to(fd, SERVER_ADDR, PORT));
	port = expect_client_name(_metadata, fd);
	expect_peer(_metadata, fd, SERVER_ADDR, PORT);
	EXPECT_EQ(EISCONN, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_EQ(EISCONN, connect_to(fd, SERVER_ADDR, PORT + 1));
	EXPECT_EQ(0, sockopt_get(fd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(POLLOUT | POLLWRNORM, revents_now(fd, ALL_EV));
	EXPECT_EQ(port, local_port(fd));
	a = accepted(_metadata, self, fd);
	EXPECT_LE(0, a);
	close_rst(a);
	close_rst(fd);
}

/*
 * A non-blocking connect held in SYN_SENT: EINPROGRESS with the port
 * already chosen, EALREADY for every further call (another destination
 * too), no peer name, nothing to poll, SO_ERROR 0. When the SYN gets
 * through: POLLOUT, SO_ERROR 0, the next connect() returns 0 (it moves the
 * socket to SS_CONNECTED) and the one after EISCONN.
 */
TEST_F_TIMEOUT(cli, nonblocking_connect, TIMEOUT)
{
	struct sockaddr_in a;
	int fd, port, c;

	serve(_metadata, self);
	deaf(_metadata, self, 1);
	fd = csock(_metadata, self, SOCK_NONBLOCK);
	EXPECT_EQ(EINPROGRESS, connect_to(fd, SERVER_ADDR, PORT));
	port = expect_client_name(_metadata, fd);
	EXPECT_EQ(EALREADY, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_EQ(EALREADY, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_EQ(EALREADY, connect_to(fd, SERVER_ADDR, PORT + 1));
	EXPECT_EQ(ENOTCONN, peer_name(fd, &a));
	EXPECT_EQ(0, revents_now(fd, ALL_EV));
	EXPECT_EQ(0, sockopt_get(fd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(port, local_port(fd));
	deaf(_metadata, self, 0);
	/* The next SYN retransmission (1 s after the first SYN) gets through. */
	EXPECT_EQ(0, wait_connected(fd, 3000));
	EXPECT_EQ(POLLOUT | POLLWRNORM, revents_now(fd, ALL_EV));
	EXPECT_EQ(0, sockopt_get(fd, SOL_SOCKET, SO_ERROR));
	expect_peer(_metadata, fd, SERVER_ADDR, PORT);
	EXPECT_EQ(port, local_port(fd));
	EXPECT_EQ(0, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_EQ(EISCONN, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_EQ(EISCONN, connect_to(fd, SERVER_ADDR, PORT + 1));
	c = accepted(_metadata, self, fd);
	EXPECT_LE(0, c);
	close_rst(c);
	close_rst(fd);
}

/*
 * Refused, non-blocking: the RST makes the socket readable, writable, HUP
 * and ERR at once; SO_ERROR gives ECONNREFUSED once. A connect() after
 * that finds the socket closed with no error left: ECONNABORTED, and the
 * socket is unconnected again. A new attempt is refused too, and this time
 * connect() itself reports (and consumes) ECONNREFUSED.
 */
TEST_F_TIMEOUT(cli, nonblocking_refused, TIMEOUT)
{
	const int dead = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLRDHUP | POLLHUP;
	struct pollfd p;
	int fd, port;

	fd = csock(_metadata, self, SOCK_NONBLOCK);
	EXPECT_EQ(EINPROGRESS, connect_to(fd, SERVER_ADDR, NO_LISTENER));
	port = expect_client_name(_metadata, fd);
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	ASSERT_EQ(1, poll(&p, 1, 2000));
	EXPECT_EQ(dead | POLLERR, revents_now(fd, ALL_EV));
	EXPECT_EQ(ECONNREFUSED, sockopt_get(fd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(0, sockopt_get(fd, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(dead, revents_now(fd, ALL_EV));
	/* Closed, not yet disconnected: the source address is still there. */
	expect_unconnected(_metadata, fd, CLIENT_ADDR, port);
	EXPECT_EQ(ECONNABORTED, connect_to(fd, SERVER_ADDR, NO_LISTENER));
	expect_released(_metadata, self->family, fd, port);
	EXPECT_EQ(POLLOUT | POLLWRNORM | POLLHUP, revents_now(fd, ALL_EV));

	EXPECT_EQ(EINPROGRESS, connect_to(fd, SERVER_ADDR, NO_LISTENER));
	port = expect_client_name(_metadata, fd);
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	ASSERT_EQ(1, poll(&p, 1, 2000));
	EXPECT_EQ(ECONNREFUSED, connect_to(fd, SERVER_ADDR, NO_LISTENER));
	expect_released(_metadata, self->family, fd, port);
	EXPECT_EQ(EINPROGRESS, connect_to(fd, SERVER_ADDR, NO_LISTENER));
	close(fd);
}

/*
 * Refused, blocking: ECONNREFUSED from connect() itself, the error consumed,
 * the port released; the same socket can try again, and connects once
 * something listens.
 */
TEST_F_TIMEOUT(cli, blocking_refused_then_retry, TIMEOUT)
{
	int fd = csock(_metadata, self, 0), a, port;
	double t0 = now_s();

	EXPECT_EQ(ECONNREFUSED, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_GT(0.9, now_s() - t0);	/* the answer to the first SYN */
	port = local_port(fd);
	EXPECT_LE(32768, port);
	expect_released(_metadata, self->family, fd, port);
	EXPECT_EQ(ECONNREFUSED, connect_to(fd, SERVER_ADDR, PORT));
	expect_released(_metadata, self->family, fd, local_port(fd));
	EXPECT_EQ(POLLOUT | POLLWRNORM | POLLHUP, revents_now(fd, ALL_EV));
	serve(_metadata, self);
	EXPECT_EQ(0, connect_to(fd, SERVER_ADDR, PORT));
	expect_client_name(_metadata, fd);
	a = accepted(_metadata, self, fd);
	EXPECT_LE(0, a);
	close_rst(a);
	close_rst(fd);
}

/*
 * SO_SNDTIMEO bounds a blocking connect: EINPROGRESS when it runs out, the
 * handshake going on; another blocking connect waits again and says
 * EALREADY; once the SYN gets through a blocking connect returns 0.
 */
TEST_F_TIMEOUT(cli, sndtimeo_bounds_blocking_connect, TIMEOUT)
{
	struct timeval tv = { 0, 300000 }, longer = { 3, 0 };
	int fd, port, a;
	double t0;

	serve(_metadata, self);
	deaf(_metadata, self, 1);
	fd = csock(_metadata, self, 0);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	t0 = now_s();
	EXPECT_EQ(EINPROGRESS, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_LT(0.25, now_s() - t0);
	EXPECT_GT(0.9, now_s() - t0);
	port = expect_client_name(_metadata, fd);
	EXPECT_EQ(ENOTCONN, peer_name(fd, &(struct sockaddr_in){ 0 }));
	t0 = now_s();
	EXPECT_EQ(EALREADY, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_LT(0.25, now_s() - t0);
	EXPECT_GT(0.9, now_s() - t0);
	EXPECT_EQ(0, sockopt_get(fd, SOL_SOCKET, SO_ERROR));
	deaf(_metadata, self, 0);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &longer, sizeof(longer)));
	t0 = now_s();
	EXPECT_EQ(0, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_GT(2.5, now_s() - t0);
	EXPECT_EQ(port, local_port(fd));
	expect_peer(_metadata, fd, SERVER_ADDR, PORT);
	EXPECT_EQ(EISCONN, connect_to(fd, SERVER_ADDR, PORT));
	a = accepted(_metadata, self, fd);
	EXPECT_LE(0, a);
	close_rst(a);
	close_rst(fd);
}

/*
 * Signals and a blocking connect in SYN_SENT. A handler without SA_RESTART:
 * EINTR. With SA_RESTART but a send timeout set: EINTR too (a timed wait is
 * never restarted). With SA_RESTART and no timeout, the call is restarted
 * and goes on waiting in SYN_SENT: it returns 0 once a SYN gets through.
 * The server hears again, by a child process, while connect() blocks.
 */
TEST_F_TIMEOUT(cli, signals_interrupt_blocking_connect, TIMEOUT)
{
	struct timeval tv = { 5, 0 }, none = { 0, 0 };
	int fd, port, a;
	double t0;
	pid_t pid;

	serve(_metadata, self);
	deaf(_metadata, self, 1);
	fd = csock(_metadata, self, 0);
	alarms = 0;
	arm(0, 200);
	t0 = now_s();
	EXPECT_EQ(EINTR, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_LT(0.15, now_s() - t0);
	EXPECT_GT(0.9, now_s() - t0);
	EXPECT_EQ(1, alarms);
	port = expect_client_name(_metadata, fd);
	EXPECT_EQ(ENOTCONN, peer_name(fd, &(struct sockaddr_in){ 0 }));
	EXPECT_EQ(0, sockopt_get(fd, SOL_SOCKET, SO_ERROR));

	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	arm(1, 200);
	t0 = now_s();
	EXPECT_EQ(EINTR, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_GT(0.9, now_s() - t0);
	EXPECT_EQ(2, alarms);

	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none)));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		msleep(400);
		_exit(server_deaf(&self->h, 0));
	}
	arm(1, 200);
	t0 = now_s();
	EXPECT_EQ(0, connect_to(fd, SERVER_ADDR, PORT));
	EXPECT_LT(0.35, now_s() - t0);	/* past the signal: restarted */
	EXPECT_GT(3.0, now_s() - t0);
	EXPECT_EQ(3, alarms);
	{
		int st = -1;

		EXPECT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_EQ(0, st);
	}
	EXPECT_EQ(port, local_port(fd));
	expect_peer(_metadata, fd, SERVER_ADDR, PORT);
	EXPECT_EQ(EISCONN, connect_to(fd, SERVER_ADDR, PORT));
	a = accepted(_metadata, self, fd);
	EXPECT_LE(0, a);
	close_rst(a);
	close_rst(fd);
}

/*
 * TCP_SYNCNT: 1 to 127 (MAX_TCP_SYNCNT), else EINVAL and no change, an
 * optlen under an int EINVAL; unset, it reads the netns's tcp_syn_retries
 * at the time of reading (6 by default).
 */
TEST_F_TIMEOUT(cli, tcp_syncnt_option, TIMEOUT)
{
	static const int bad[] = { 0, -1, 128, 1000 };
	int fd = csock(_metadata, self, 0);
	short two = 3;

	EXPECT_EQ(6, sockopt_get(fd, IPPROTO_TCP, TCP_SYNCNT));
	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_syn_retries", "3"));
	EXPECT_EQ(3, sockopt_get(fd, IPPROTO_TCP, TCP_SYNCNT));
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(EINVAL, sockopt_set(fd, IPPROTO_TCP, TCP_SYNCNT, bad[i]))
			TH_LOG("TCP_SYNCNT %d", bad[i]);
	}
	EXPECT_EQ(3, sockopt_get(fd, IPPROTO_TCP, TCP_SYNCNT));
	EXPECT_EQ(EINVAL, outcome(setsockopt(fd, IPPROTO_TCP, TCP_SYNCNT, &two, sizeof(two))));
	EXPECT_EQ(0, sockopt_set(fd, IPPROTO_TCP, TCP_SYNCNT, 1));
	EXPECT_EQ(1, sockopt_get(fd, IPPROTO_TCP, TCP_SYNCNT));
	EXPECT_EQ(0, sockopt_set(fd, IPPROTO_TCP, TCP_SYNCNT, 127));
	EXPECT_EQ(127, sockopt_get(fd, IPPROTO_TCP, TCP_SYNCNT));
	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_syn_retries", "6"));
	EXPECT_EQ(127, sockopt_get(fd, IPPROTO_TCP, TCP_SYNCNT));
	close(fd);
}

/*
 * Over loopback, both ends of the variant's family in one netns: to
 * 127.0.0.1, and to 0.0.0.0, which Linux routes to 127.0.0.1 (the peer
 * name then says 127.0.0.1).
 */
TEST_F_TIMEOUT(cli, loopback_same_family, TIMEOUT)
{
	int l, c[2], a[2];
	struct sockaddr_in me, peer;

	ASSERT_EQ(0, netns_enter(self->h.ns_c));
	l = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind_to(l, "127.0.0.1", PORT));
	ASSERT_EQ(0, listen(l, 4));
	for (int i = 0; i < 2; i++) {
		c[i] = csock(_metadata, self, 0);
		EXPECT_EQ(0, connect_to(c[i], i ? "0.0.0.0" : "127.0.0.1", PORT));
		EXPECT_EQ(0, sock_name(c[i], &me));
		EXPECT_EQ(htonl(INADDR_LOOPBACK), me.sin_addr.s_addr);
		expect_peer(_metadata, c[i], "127.0.0.1", PORT);
		a[i] = accept(l, (struct sockaddr *)&peer, &(socklen_t){ sizeof(peer) });
		EXPECT_LE(0, a[i]);
		EXPECT_TRUE(sin_same(&me, &peer));
	}
	for (int i = 0; i < 2; i++) {
		close_rst(c[i]);
		close_rst(a[i]);
	}
	close(l);
}

TEST_HARNESS_MAIN
