// SPDX-License-Identifier: GPL-2.0
/*
 * bind() to port 0 and listen() on an unbound socket: the port Linux 6.12
 * picks (inet_csk_find_open_port). It scans from a random offset, odd
 * offsets from the range's low end first and then the even ones, skips
 * ip_local_reserved_ports, starts in the lower half of the range for an
 * SO_REUSEADDR socket, and fails with EADDRINUSE when nothing is left. Each
 * test runs for AF_INET and for rust_tcp, in a netns of its own, with
 * absolute expectations (the AF_INET variant checks them against Linux).
 */
#include <sys/socket.h>

#include "common.h"
#include "kselftest_harness.h"

#define MAX_SOCKS 256

FIXTURE(port0)
{
	int fds[MAX_SOCKS];
	int n;
};

FIXTURE_VARIANT(port0)
{
	int rust;	/* 0: AF_INET; 1: rust_tcp */
};

FIXTURE_VARIANT_ADD(port0, af_inet) { .rust = 0 };
FIXTURE_VARIANT_ADD(port0, rust_tcp) { .rust = 1 };

static int family_of(const FIXTURE_VARIANT(port0) *variant)
{
	return variant->rust ? rust_tcp_family() : AF_INET;
}

FIXTURE_SETUP(port0)
{
	int ns = netns_new();

	self->n = 0;
	ASSERT_LE(0, ns);
	close(ns);
	if (!family_available(family_of(variant)))
		SKIP(return, "rust_tcp is not loaded");
	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "32768 60999"));
}

FIXTURE_TEARDOWN(port0)
{
	for (int i = 0; i < self->n; i++)
		close(self->fds[i]);
}

/* A new socket of the variant's family, kept until teardown. */
static int new_sock(struct __test_metadata *_metadata, FIXTURE_DATA(port0) *self,
		    const FIXTURE_VARIANT(port0) *variant, int reuseaddr)
{
	int fd = socket(family_of(variant), SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	ASSERT_GT(MAX_SOCKS, self->n);
	self->fds[self->n++] = fd;
	if (reuseaddr)
		ASSERT_EQ(0, sockopt_set(fd, SOL_SOCKET, SO_REUSEADDR, 1));
	return fd;
}

/* bind(@addr:0) on a new socket: the chosen port, or -errno. */
static int bind0(struct __test_metadata *_metadata, FIXTURE_DATA(port0) *self,
		 const FIXTURE_VARIANT(port0) *variant, const char *addr,
		 int reuseaddr)
{
	int fd = new_sock(_metadata, self, variant, reuseaddr);
	int err = bind_to(fd, addr, 0);

	return err ? -err : local_port(fd);
}

static int in_set(int port, const int *set, int n)
{
	for (int i = 0; i < n; i++)
		if (set[i] == port)
			return 1;
	return 0;
}

/*
 * With the default range the scan starts at an odd offset from 32768, so
 * as long as odd ports are free every port is odd; each bind draws a new
 * random offset, so the ports are not a sequence.
 */
TEST_F(port0, many_binds_distinct_odd_in_range)
{
	int ports[200], steps = 0;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	for (int i = 0; i < 200; i++) {
		ports[i] = bind0(_metadata, self, variant, "0.0.0.0", 0);
		ASSERT_LT(0, ports[i]) TH_LOG("bind #%d: %s", i, errname(-ports[i]));
		EXPECT_LE(32768, ports[i]);
		EXPECT_GE(60999, ports[i]);
		EXPECT_EQ(1, ports[i] & 1) TH_LOG("bind #%d got even port %d", i, ports[i]);
		for (int j = 0; j < i; j++)
			EXPECT_NE(ports[j], ports[i]);
		if (i && ports[i] == ports[i - 1] + 2)
			steps++;
	}
	EXPECT_GT(20, steps) TH_LOG("%d of 199 ports follow their predecessor", steps);
	/* The address stays the wildcard; the port is the one bound. */
	ASSERT_EQ(0, getsockname(self->fds[0], (struct sockaddr *)&a, &alen));
	EXPECT_EQ(sizeof(a), alen);
	EXPECT_EQ(AF_INET, a.sin_family);
	EXPECT_EQ(htonl(INADDR_ANY), a.sin_addr.s_addr);
	EXPECT_EQ(ports[0], ntohs(a.sin_port));
}

/* The parity is relative to the range's low end: an odd low gives even ports. */
TEST_F(port0, parity_follows_range_low_end)
{
	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40001 40999"));
	for (int i = 0; i < 100; i++) {
		int port = bind0(_metadata, self, variant, "0.0.0.0", 0);

		ASSERT_LT(0, port) TH_LOG("bind #%d: %s", i, errname(-port));
		EXPECT_EQ(0, port & 1) TH_LOG("bind #%d got %d", i, port);
		EXPECT_LE(40002, port);
		EXPECT_GE(40998, port);
	}
}

/* Four ports: the two odd ones, then the two even ones, then EADDRINUSE. */
TEST_F(port0, tiny_range_exhausts)
{
	const int odd[] = { 40001, 40003 }, even[] = { 40000, 40002 };
	int ports[4], fd;

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40000 40003"));
	for (int i = 0; i < 4; i++) {
		ports[i] = bind0(_metadata, self, variant, "0.0.0.0", 0);
		ASSERT_LT(0, ports[i]) TH_LOG("bind #%d: %s", i, errname(-ports[i]));
	}
	EXPECT_TRUE(in_set(ports[0], odd, 2));
	EXPECT_TRUE(in_set(ports[1], odd, 2));
	EXPECT_NE(ports[0], ports[1]);
	EXPECT_TRUE(in_set(ports[2], even, 2));
	EXPECT_TRUE(in_set(ports[3], even, 2));
	EXPECT_NE(ports[2], ports[3]);
	EXPECT_EQ(-EADDRINUSE, bind0(_metadata, self, variant, "0.0.0.0", 0));
	/* A specific address conflicts with the wildcard owners just the same. */
	EXPECT_EQ(-EADDRINUSE, bind0(_metadata, self, variant, "127.0.0.1", 0));
	/* listen() auto-binds through the same search. */
	fd = new_sock(_metadata, self, variant, 0);
	EXPECT_EQ(EADDRINUSE, outcome(listen(fd, 1)));
	/* A port given back is found again. */
	close(self->fds[2]);
	self->fds[2] = -1;
	EXPECT_EQ(ports[2], bind0(_metadata, self, variant, "0.0.0.0", 0));
}

/*
 * An odd-sized range: the scan covers only an even number of ports from
 * the low end ([low, high + 1) rounded down to even), so the top port of
 * "40001 40003" is never chosen: 40002, then 40001, then EADDRINUSE.
 * Binding 40003 explicitly still works.
 */
TEST_F(port0, odd_sized_range_leaves_top_port)
{
	int fd;

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40001 40003"));
	EXPECT_EQ(40002, bind0(_metadata, self, variant, "0.0.0.0", 0));
	EXPECT_EQ(40001, bind0(_metadata, self, variant, "0.0.0.0", 0));
	EXPECT_EQ(-EADDRINUSE, bind0(_metadata, self, variant, "0.0.0.0", 0));
	fd = new_sock(_metadata, self, variant, 0);
	EXPECT_EQ(0, bind_to(fd, "0.0.0.0", 40003));
	/* A one-port range is scanned (offset 1 wraps to the low end). */
	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40010 40010"));
	EXPECT_EQ(40010, bind0(_metadata, self, variant, "0.0.0.0", 0));
	EXPECT_EQ(-EADDRINUSE, bind0(_metadata, self, variant, "0.0.0.0", 0));
}

/* Reserved ports are never chosen, but may be bound explicitly. */
TEST_F(port0, reserved_ports_skipped)
{
	const int rest[] = { 40000, 40002, 40006 };
	int fd, port;

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40000 40007"));
	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_reserved_ports", "40001,40003-40005"));
	/* 40007 is the only odd port left; then the even ones. */
	EXPECT_EQ(40007, bind0(_metadata, self, variant, "0.0.0.0", 0));
	for (int i = 0; i < 3; i++) {
		port = bind0(_metadata, self, variant, "0.0.0.0", 0);
		EXPECT_TRUE(in_set(port, rest, 3)) TH_LOG("bind #%d got %d", i + 1, port);
	}
	EXPECT_EQ(-EADDRINUSE, bind0(_metadata, self, variant, "0.0.0.0", 0));
	fd = new_sock(_metadata, self, variant, 0);
	EXPECT_EQ(0, bind_to(fd, "0.0.0.0", 40004));
	fd = new_sock(_metadata, self, variant, 0);
	EXPECT_EQ(EADDRINUSE, outcome(listen(fd, 1)));
}

/*
 * SO_REUSEADDR: the lower half of the range first (odd, then even), then
 * the upper half (odd, then even). "40000 40007": half = 40004.
 */
TEST_F(port0, reuseaddr_lower_half_first)
{
	const int sets[4][2] = { { 40001, 40003 }, { 40000, 40002 },
				 { 40005, 40007 }, { 40004, 40006 } };
	const int odd[] = { 40001, 40003, 40005, 40007 };

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40000 40007"));
	for (int s = 0; s < 4; s++) {
		int p0 = bind0(_metadata, self, variant, "0.0.0.0", 1);
		int p1 = bind0(_metadata, self, variant, "0.0.0.0", 1);

		EXPECT_TRUE(in_set(p0, sets[s], 2)) TH_LOG("step %d: %d", s, p0);
		EXPECT_TRUE(in_set(p1, sets[s], 2)) TH_LOG("step %d: %d", s, p1);
		EXPECT_NE(p0, p1);
	}
	/* Bound SO_REUSEADDR sockets still count as taken for port 0. */
	EXPECT_EQ(-EADDRINUSE, bind0(_metadata, self, variant, "0.0.0.0", 1));

	/* Without SO_REUSEADDR: all four odd ports, of both halves, first. */
	for (int i = 0; i < self->n; i++)
		close(self->fds[i]);
	self->n = 0;
	for (int i = 0; i < 4; i++) {
		int port = bind0(_metadata, self, variant, "0.0.0.0", 0);

		EXPECT_TRUE(in_set(port, odd, 4)) TH_LOG("bind #%d got %d", i, port);
	}
}

/*
 * ip_autobind_reuse=1: once the range is exhausted an SO_REUSEADDR socket
 * may share a port held by bound (not listening) SO_REUSEADDR sockets.
 */
TEST_F(port0, autobind_reuse)
{
	int port;

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40000 40001"));
	EXPECT_EQ(40001, bind0(_metadata, self, variant, "0.0.0.0", 1));
	EXPECT_EQ(40000, bind0(_metadata, self, variant, "0.0.0.0", 1));
	EXPECT_EQ(-EADDRINUSE, bind0(_metadata, self, variant, "0.0.0.0", 1));
	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_autobind_reuse", "1"));
	port = bind0(_metadata, self, variant, "0.0.0.0", 1);
	EXPECT_TRUE(port == 40000 || port == 40001) TH_LOG("got %d", port);
	/* Not for a socket without SO_REUSEADDR. */
	EXPECT_EQ(-EADDRINUSE, bind0(_metadata, self, variant, "0.0.0.0", 0));
	/* Nor onto a listener. */
	ASSERT_EQ(0, listen(self->fds[0], 1));
	ASSERT_EQ(0, listen(self->fds[1], 1));
	EXPECT_EQ(-EADDRINUSE, bind0(_metadata, self, variant, "0.0.0.0", 1));
}

/*
 * Port 0 on a specific address: a port held on another specific address is
 * free for it, one held on the wildcard is not.
 */
TEST_F(port0, specific_addresses_share_ports)
{
	int fd;

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40000 40001"));
	fd = new_sock(_metadata, self, variant, 0);
	ASSERT_EQ(0, bind_to(fd, "127.0.0.1", 40001));
	/* The wildcard must avoid 40001. */
	EXPECT_EQ(40000, bind0(_metadata, self, variant, "0.0.0.0", 0));
	/* 127.0.0.2 conflicts with the wildcard on 40000, not with 40001. */
	EXPECT_EQ(40001, bind0(_metadata, self, variant, "127.0.0.2", 0));
	EXPECT_EQ(40001, bind0(_metadata, self, variant, "127.0.0.3", 0));
	/* Now the wildcard finds nothing: 40000 and 40001 are both held. */
	EXPECT_EQ(-EADDRINUSE, bind0(_metadata, self, variant, "0.0.0.0", 0));
}

/* listen() on an unbound socket binds the wildcard and a port from the range. */
TEST_F(port0, listen_autobinds)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = new_sock(_metadata, self, variant, 0), port;

	ASSERT_EQ(0, listen(fd, 5));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&a, &alen));
	EXPECT_EQ(AF_INET, a.sin_family);
	EXPECT_EQ(htonl(INADDR_ANY), a.sin_addr.s_addr);
	port = ntohs(a.sin_port);
	EXPECT_LE(32768, port);
	EXPECT_GE(60999, port);
	EXPECT_EQ(1, port & 1);
	/* The port is really held. */
	EXPECT_EQ(EADDRINUSE, bind_to(new_sock(_metadata, self, variant, 0),
				      "127.0.0.1", port));
	/* listen() after bind(port 0) keeps the bound port. */
	port = bind0(_metadata, self, variant, "127.0.0.1", 0);
	fd = self->fds[self->n - 1];
	ASSERT_LT(0, port);
	ASSERT_EQ(0, listen(fd, 5));
	EXPECT_EQ(port, local_port(fd));
	/* A one-port range: listen takes it, the next listen finds none. */
	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_local_port_range", "40010 40010"));
	fd = new_sock(_metadata, self, variant, 0);
	ASSERT_EQ(0, listen(fd, 1));
	EXPECT_EQ(40010, local_port(fd));
	fd = new_sock(_metadata, self, variant, 0);
	EXPECT_EQ(EADDRINUSE, outcome(listen(fd, 1)));
	/* The failed listen() left the socket unbound and not listening. */
	EXPECT_EQ(0, local_port(fd));
	EXPECT_EQ(0, sockopt_get(fd, SOL_SOCKET, SO_ACCEPTCONN));
}

TEST_HARNESS_MAIN
