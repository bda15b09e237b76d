// SPDX-License-Identifier: GPL-2.0
/*
 * The local port connect() picks (__inet_hash_connect, RFC 6056 algorithm
 * 4): from ip_local_port_range, ports of the range's low end's parity
 * first, then the others; skipping ports that bind() holds and reserved
 * ports; a port connect() took is shared by another connect() as long as
 * the 4-tuple is unique; EADDRNOTAVAIL when nothing is left; an explicitly
 * bound port is used as it is, unless the 4-tuple exists already.
 * IP_BIND_ADDRESS_NO_PORT leaves the choice to connect(). Two threads on
 * two CPUs connecting at once never get the same port.
 *
 * The client under test (AF_INET or rust_tcp, one variant each, the same
 * absolute expectations) at 10.0.1.1 connects to Linux (AF_INET) listeners
 * at 10.0.1.2 across veth; the connections complete and stay open until the
 * test ends. Tiny ranges make exhaustion exact: with "40000 40009" ten
 * connections to one destination fit, the even ports first.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>

#include "common.h"
#include "kselftest_harness.h"

#define PORT 7000		/* listeners on PORT and PORT + 1 */
#define MAX_SOCKS 512
#define TIMEOUT 60
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

FIXTURE(ports)
{
	struct two_hosts h;
	int family;
	int l[2];
	int fds[MAX_SOCKS];
	int n;
};

FIXTURE_VARIANT(ports)
{
	int rust;
};

FIXTURE_VARIANT_ADD(ports, af_inet) { .rust = 0 };
FIXTURE_VARIANT_ADD(ports, rust_tcp) { .rust = 1 };

FIXTURE_SETUP(ports)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	self->n = 0;
	self->l[0] = self->l[1] = self->h.ns_c = self->h.ns_s = -1;
	self->family = variant->rust ? rust_tcp_family() : AF_INET;
	if (!family_available(self->family))
		SKIP(return, "rust_tcp is not loaded");
	ASSERT_EQ(0, two_hosts_setup_quick(&self->h));
	for (int i = 0; i < 2; i++) {
		self->l[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ASSERT_LE(0, self->l[i]);
		ASSERT_EQ(0, bind_to(self->l[i], SERVER_ADDR, PORT + i));
		ASSERT_EQ(0, listen(self->l[i], 400));
	}
	ASSERT_EQ(0, netns_enter(self->h.ns_c));
	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "32768 60999"));
}

FIXTURE_TEARDOWN(ports)
{
	for (int i = 0; i < self->n; i++)
		close_rst(self->fds[i]);
	for (int i = 0; i < 2; i++)
		if (self->l[i] >= 0)
			close(self->l[i]);
	two_hosts_teardown(&self->h);
}

/* A non-blocking socket of the variant's family in the client netns, kept until teardown. */
static int csock(struct __test_metadata *_metadata, FIXTURE_DATA(ports) *self)
{
	int fd = socket(self->family, SOCK_STREAM | SOCK_NONBLOCK, 0);

	ASSERT_LE(0, fd);
	ASSERT_GT(MAX_SOCKS, self->n);
	self->fds[self->n++] = fd;
	return fd;
}

/* Starts a connect of @fd to SERVER_ADDR:@dport: its local port, or -errno. */
static int start(int fd, int dport)
{
	int err = connect_to(fd, SERVER_ADDR, dport);

	if (err && err != EINPROGRESS)
		return -err;
	return local_port(fd);
}

/* A new socket connecting to SERVER_ADDR:@dport: its local port, or -errno. */
static int conn(struct __test_metadata *_metadata, FIXTURE_DATA(ports) *self, int dport)
{
	return start(csock(_metadata, self), dport);
}

/* Every socket made so far finished its handshake (within 5 s in all). */
static void expect_all_connected(struct __test_metadata *_metadata, FIXTURE_DATA(ports) *self,
				 int from)
{
	double end = now_s() + 5;

	for (int i = from; i < self->n; i++) {
		int ms = (int)((end - now_s()) * 1000);

		EXPECT_EQ(0, wait_connected(self->fds[i], ms < 1 ? 1 : ms)) TH_LOG("socket %d", i);
	}
}

/*
 * Connects to @dport until one fails: the ports in @got (at most @max), how
 * many; *@err the failing connect's errno (and that socket in *@failed).
 */
static int connect_until_error(struct __test_metadata *_metadata, FIXTURE_DATA(ports) *self,
			       int dport, int *got, int max, int *err, int *failed)
{
	int n;

	*err = 0;
	for (n = 0; n < max; n++) {
		int fd = csock(_metadata, self), p = start(fd, dport);

		if (p < 0) {
			*err = -p;
			*failed = fd;
			break;
		}
		got[n] = p;
	}
	return n;
}

static int count_if(const int *ports, int n, int parity)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += (ports[i] & 1) == parity;
	return c;
}

/* @ports[0..n) are distinct and all in [@lo, @hi]: the number of violations. */
static int bad_ports(const int *ports, int n, int lo, int hi)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		bad += ports[i] < lo || ports[i] > hi;
		for (int j = 0; j < i; j++)
			bad += ports[i] == ports[j];
	}
	return bad;
}

/*
 * The default range 32768-60999: distinct ports, all even (the low end is
 * even, and even ports are tried first), the source address the route's.
 */
TEST_F_TIMEOUT(ports, default_range_even_distinct, TIMEOUT)
{
	int ports[64];
	struct sockaddr_in a;

	for (int i = 0; i < 64; i++) {
		ports[i] = conn(_metadata, self, PORT);
		ASSERT_LT(0, ports[i]) TH_LOG("connect #%d: %s", i, errname(-ports[i]));
		EXPECT_EQ(0, ports[i] & 1) TH_LOG("connect #%d: odd port %d", i, ports[i]);
	}
	EXPECT_EQ(0, bad_ports(ports, 64, 32768, 60999));
	ASSERT_EQ(0, sock_name(self->fds[0], &a));
	EXPECT_EQ(sin_of(CLIENT_ADDR, 0).sin_addr.s_addr, a.sin_addr.s_addr);
	expect_all_connected(_metadata, self, 0);
}

/*
 * Range 40000-40009 and one destination: exactly ten connections, the five
 * even ports before the five odd ones, then EADDRNOTAVAIL, which leaves the
 * socket unbound and usable. Another destination port reuses all ten ports
 * (the buckets connect() made are shared when the 4-tuple is unique), and
 * is exhausted in turn.
 */
TEST_F_TIMEOUT(ports, tiny_range_exhaustion_per_destination, TIMEOUT)
{
	int got[2][12], n[2], err, failed = -1, p;
	struct sockaddr_in a;

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40000 40009"));
	n[0] = connect_until_error(_metadata, self, PORT, got[0], 12, &err, &failed);
	EXPECT_EQ(10, n[0]);
	EXPECT_EQ(EADDRNOTAVAIL, err);
	ASSERT_LE(0, failed);
	EXPECT_EQ(0, bad_ports(got[0], n[0], 40000, 40009));
	EXPECT_EQ(5, count_if(got[0], n[0] < 5 ? n[0] : 5, 0));
	EXPECT_EQ(5, count_if(got[0], n[0], 1));
	EXPECT_EQ(0, sock_name(failed, &a));
	EXPECT_EQ(0, a.sin_addr.s_addr);
	EXPECT_EQ(0, a.sin_port);
	EXPECT_EQ(ENOTCONN, peer_name(failed, &a));
	EXPECT_EQ(0, sockopt_get(failed, SOL_SOCKET, SO_ERROR));
	/* Again with the failed socket: the same destination, still nothing. */
	EXPECT_EQ(-EADDRNOTAVAIL, start(failed, PORT));

	/* The second destination: the failed socket first, then until full. */
	p = start(failed, PORT + 1);
	ASSERT_LT(0, p) TH_LOG("%s", errname(-p));
	got[1][0] = p;
	n[1] = 1 + connect_until_error(_metadata, self, PORT + 1, got[1] + 1, 11, &err, &failed);
	EXPECT_EQ(10, n[1]);
	EXPECT_EQ(EADDRNOTAVAIL, err);
	EXPECT_EQ(0, bad_ports(got[1], n[1], 40000, 40009));
	EXPECT_EQ(5, count_if(got[1], n[1] < 5 ? n[1] : 5, 0));
	expect_all_connected(_metadata, self, 0);
}

/* An odd low end: odd ports first. 40001-40004: 40001 and 40003, then the even two. */
TEST_F_TIMEOUT(ports, parity_follows_range_low_end, TIMEOUT)
{
	int got[6], n, err, failed = -1;

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40001 40004"));
	n = connect_until_error(_metadata, self, PORT, got, 6, &err, &failed);
	EXPECT_EQ(4, n);
	EXPECT_EQ(EADDRNOTAVAIL, err);
	EXPECT_EQ(0, bad_ports(got, n, 40001, 40004));
	EXPECT_EQ(2, count_if(got, n < 2 ? n : 2, 1));
	EXPECT_EQ(2, count_if(got, n, 0));
	expect_all_connected(_metadata, self, 0);
}

/*
 * Ports held by bind() are never taken by connect(): a plain bind, an
 * SO_REUSEADDR bind, a listener; nor are ip_local_reserved_ports. In
 * 40000-40009 with four of them gone, six connections fit.
 */
TEST_F_TIMEOUT(ports, bound_and_reserved_ports_skipped, TIMEOUT)
{
	int got[12], n, err, failed = -1, b[3];

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40000 40009"));
	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_reserved_ports", "40002"));
	for (int i = 0; i < 3; i++)
		b[i] = csock(_metadata, self);
	ASSERT_EQ(0, bind_to(b[0], CLIENT_ADDR, 40004));
	ASSERT_EQ(0, sockopt_set(b[1], SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind_to(b[1], CLIENT_ADDR, 40008));
	ASSERT_EQ(0, bind_to(b[2], "0.0.0.0", 40007));
	ASSERT_EQ(0, listen(b[2], 4));
	n = connect_until_error(_metadata, self, PORT, got, 12, &err, &failed);
	EXPECT_EQ(6, n);
	EXPECT_EQ(EADDRNOTAVAIL, err);
	EXPECT_EQ(0, bad_ports(got, n, 40000, 40009));
	for (int i = 0; i < n; i++) {
		EXPECT_NE(40002, got[i]);
		EXPECT_NE(40004, got[i]);
		EXPECT_NE(40007, got[i]);
		EXPECT_NE(40008, got[i]);
	}
	/* The even ones left (40000, 40006) first. */
	EXPECT_EQ(2, count_if(got, n < 2 ? n : 2, 0));
	expect_all_connected(_metadata, self, 3);
}

/*
 * An explicitly bound port is kept: two SO_REUSEADDR sockets bound to the
 * same port can connect to different destinations, but not to the same
 * one (the 4-tuple exists: EADDRNOTAVAIL). The failure keeps the bound port
 * and drops the source address connect() had filled in for a wildcard bind.
 */
TEST_F_TIMEOUT(ports, reuseaddr_pair_same_destination, TIMEOUT)
{
	int a = csock(_metadata, self), b = csock(_metadata, self);
	struct sockaddr_in n;

	ASSERT_EQ(0, sockopt_set(a, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, sockopt_set(b, SOL_SOCKET, SO_REUSEADDR, 1));
	ASSERT_EQ(0, bind_to(a, CLIENT_ADDR, 45000));
	ASSERT_EQ(0, bind_to(b, "0.0.0.0", 45000));
	EXPECT_EQ(45000, start(a, PORT));
	EXPECT_EQ(-EADDRNOTAVAIL, start(b, PORT));
	EXPECT_EQ(0, sock_name(b, &n));
	EXPECT_EQ(0, n.sin_addr.s_addr);
	EXPECT_EQ(45000, ntohs(n.sin_port));
	EXPECT_EQ(ENOTCONN, peer_name(b, &n));
	EXPECT_EQ(0, sockopt_get(b, SOL_SOCKET, SO_ERROR));
	EXPECT_EQ(45000, start(b, PORT + 1));
	EXPECT_EQ(0, sock_name(b, &n));
	EXPECT_EQ(sin_of(CLIENT_ADDR, 0).sin_addr.s_addr, n.sin_addr.s_addr);
	expect_all_connected(_metadata, self, 0);
}

/*
 * bind(addr, 0): without IP_BIND_ADDRESS_NO_PORT bind() picks the port (its
 * own search: odd offsets first, so an odd port in 40000-40009) and
 * connect() keeps it; with it, getsockname() says port 0 until connect()
 * picks one (its search: even first). A bind to an explicit port is not
 * deferred. The option reads back.
 */
TEST_F_TIMEOUT(ports, bind_address_no_port, TIMEOUT)
{
	int fd[4], p;
	struct sockaddr_in a;

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40000 40009"));
	for (int i = 0; i < 4; i++)
		fd[i] = csock(_metadata, self);

	/* Without the option. */
	EXPECT_EQ(0, sockopt_get(fd[0], IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT));
	ASSERT_EQ(0, bind_to(fd[0], CLIENT_ADDR, 0));
	p = local_port(fd[0]);
	EXPECT_EQ(1, p & 1) TH_LOG("bind chose %d", p);
	EXPECT_EQ(p, start(fd[0], PORT));

	/* With it: to CLIENT_ADDR and to the wildcard. */
	for (int i = 1; i < 3; i++) {
		ASSERT_EQ(0, sockopt_set(fd[i], IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1));
		EXPECT_EQ(1, sockopt_get(fd[i], IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT));
		ASSERT_EQ(0, bind_to(fd[i], i == 1 ? CLIENT_ADDR : "0.0.0.0", 0));
		EXPECT_EQ(0, sock_name(fd[i], &a));
		EXPECT_EQ(i == 1 ? sin_of(CLIENT_ADDR, 0).sin_addr.s_addr : 0, a.sin_addr.s_addr);
		EXPECT_EQ(0, a.sin_port);
		p = start(fd[i], PORT);
		EXPECT_LE(40000, p);
		EXPECT_GE(40009, p);
		EXPECT_EQ(0, p & 1) TH_LOG("connect chose %d", p);
		EXPECT_EQ(0, sock_name(fd[i], &a));
		EXPECT_EQ(sin_of(CLIENT_ADDR, 0).sin_addr.s_addr, a.sin_addr.s_addr);
	}

	/* An explicit port is bound at once. */
	ASSERT_EQ(0, sockopt_set(fd[3], IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1));
	ASSERT_EQ(0, bind_to(fd[3], CLIENT_ADDR, 45000));
	EXPECT_EQ(45000, local_port(fd[3]));
	EXPECT_EQ(0, sockopt_set(fd[3], IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 0));
	EXPECT_EQ(0, sockopt_get(fd[3], IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT));
	EXPECT_EQ(45000, start(fd[3], PORT));
	expect_all_connected(_metadata, self, 0);
}

#define PER_THREAD 100

struct racer {
	int cpu, family;	/* cpu -1: not pinned */
	pthread_barrier_t *go;
	int fds[PER_THREAD], ports[PER_THREAD], errs[PER_THREAD];
	int pinned;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	cpu_set_t set;

	if (r->cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(r->cpu, &set);
		r->pinned = sched_setaffinity(0, sizeof(set), &set) == 0 &&
			    sched_getcpu() == r->cpu;
	}
	for (int i = 0; i < PER_THREAD; i++)
		r->fds[i] = socket(r->family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	pthread_barrier_wait(r->go);
	for (int i = 0; i < PER_THREAD; i++) {
		int p = r->fds[i] < 0 ? -EBADF : start(r->fds[i], PORT);

		r->ports[i] = p > 0 ? p : 0;
		r->errs[i] = p < 0 ? -p : 0;
	}
	return NULL;
}

/*
 * Two threads, pinned to CPU 0 and CPU 1, each connect 100 sockets to the
 * same destination at once, from a range of 256 ports: every connect
 * succeeds, no port is handed out twice, and because even ports are tried
 * first and taken ports stay taken, exactly the 128 even ports and then 72
 * odd ones are used. (A guest with one CPU runs the threads unpinned: the
 * scan's cond_resched() and softirqs still interleave them.)
 */
TEST_F_TIMEOUT(ports, concurrent_connects_two_cpus, TIMEOUT)
{
	static struct racer r[2];
	int all[2 * PER_THREAD], n = 0, failed = 0;
	pthread_barrier_t go;
	pthread_t t[2];

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40000 40255"));
	int cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 2)
		TH_LOG("%d CPU online: the threads are not pinned", cpus);
	ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 2));
	for (int k = 0; k < 2; k++) {
		memset(&r[k], 0, sizeof(r[k]));
		r[k].cpu = cpus >= 2 ? k : -1;
		r[k].family = self->family;
		r[k].go = &go;
		ASSERT_EQ(0, pthread_create(&t[k], NULL, race, &r[k]));
	}
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	pthread_barrier_destroy(&go);
	for (int k = 0; k < 2; k++) {
		if (cpus >= 2)
			EXPECT_EQ(1, r[k].pinned) TH_LOG("thread %d not on CPU %d", k, k);
		for (int i = 0; i < PER_THREAD; i++) {
			if (r[k].fds[i] >= 0 && self->n < MAX_SOCKS)
				self->fds[self->n++] = r[k].fds[i];
			if (r[k].errs[i]) {
				if (failed++ < 5)
					TH_LOG("thread %d connect #%d: %s", k, i,
					       errname(r[k].errs[i]));
				continue;
			}
			all[n++] = r[k].ports[i];
		}
	}
	EXPECT_EQ(0, failed);
	EXPECT_EQ(2 * PER_THREAD, n);
	EXPECT_EQ(0, bad_ports(all, n, 40000, 40255));
	EXPECT_EQ(128, count_if(all, n, 0));
	EXPECT_EQ(2 * PER_THREAD - 128, count_if(all, n, 1));
	expect_all_connected(_metadata, self, 0);
}

TEST_HARNESS_MAIN
