// SPDX-License-Identifier: GPL-2.0
/*
 * socket() of the rust_tcp family: which (type, protocol) pairs work and
 * with which errno the others fail, compared with AF_INET in the same
 * kernel; socket flags, identity options, poll of a fresh socket, and
 * EOPNOTSUPP for every operation not implemented yet.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"
#include "kselftest_harness.h"

#ifndef SOCK_DCCP
#define SOCK_DCCP 6
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_RDM,
			     SOCK_SEQPACKET, SOCK_DCCP, SOCK_PACKET, 0, 7, 8, 9,
			     11, -1, 99 };
static const int protos[] = { 0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP,
			      IPPROTO_RAW, IPPROTO_ICMP, IPPROTO_MPTCP, 263,
			      -1, 1000 };

/*
 * AF_INET implements datagram, raw and (as a PF_PACKET alias) packet
 * sockets; a TCP-only family cannot answer like it there. Its answer is what
 * inet_create gives for a type with no protocol: EINVAL for a protocol out
 * of range (checked first), else ESOCKTNOSUPPORT.
 */
static int inet_has_type(int type)
{
	return type == SOCK_DGRAM || type == SOCK_RAW || type == SOCK_PACKET;
}

TEST(create_matrix_matches_af_inet)
{
	int family = rust_tcp_family();
	int mismatches = 0;

	for (int t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		for (int p = 0; p < sizeof(protos) / sizeof(protos[0]); p++) {
			int type = types[t], proto = protos[p];
			int got = socket_outcome(family, type, proto);
			int want;

			if (inet_has_type(type))
				want = (proto < 0 || proto >= 263) ? EINVAL : ESOCKTNOSUPPORT;
			else
				want = socket_outcome(AF_INET, type, proto);
			if (got != want) {
				TH_LOG("socket(%d, %d, %d): %s, AF_INET-equivalent %s",
				       family, type, proto, errname(got), errname(want));
				mismatches++;
			}
		}
	}
	EXPECT_EQ(0, mismatches);
	/* The two that must work, explicitly. */
	EXPECT_EQ(0, socket_outcome(family, SOCK_STREAM, 0));
	EXPECT_EQ(0, socket_outcome(family, SOCK_STREAM, IPPROTO_TCP));
	EXPECT_EQ(EPROTONOSUPPORT, socket_outcome(family, SOCK_STREAM, IPPROTO_UDP));
	EXPECT_EQ(ESOCKTNOSUPPORT, socket_outcome(family, SOCK_DGRAM, 0));
	EXPECT_EQ(EINVAL, socket_outcome(family, SOCK_STREAM, -1));
}

TEST(type_flags)
{
	int family = rust_tcp_family();
	int fd;

	fd = socket(family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(0, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, fcntl(fd, F_GETFL) & O_NONBLOCK);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);

	/* An unknown flag bit is refused before the family sees the call. */
	EXPECT_EQ(EINVAL, socket_outcome(family, SOCK_STREAM | 0x1000, 0));
	EXPECT_EQ(socket_outcome(AF_INET, SOCK_STREAM | 0x1000, 0),
		  socket_outcome(family, SOCK_STREAM | 0x1000, 0));
}

static int getint(int fd, int level, int opt)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, opt, &v, &len) < 0)
		return -errno;
	return v;
}

TEST(identity_options)
{
	int family = rust_tcp_family();

	for (int proto = 0; proto <= IPPROTO_TCP; proto += IPPROTO_TCP) {
		int fd = socket(family, SOCK_STREAM, proto);
		int in = socket(AF_INET, SOCK_STREAM, proto);

		ASSERT_LE(0, fd);
		ASSERT_LE(0, in);
		EXPECT_EQ(family, getint(fd, SOL_SOCKET, SO_DOMAIN));
		EXPECT_EQ(SOCK_STREAM, getint(fd, SOL_SOCKET, SO_TYPE));
		EXPECT_EQ(IPPROTO_TCP, getint(fd, SOL_SOCKET, SO_PROTOCOL));
		EXPECT_EQ(getint(in, SOL_SOCKET, SO_PROTOCOL),
			  getint(fd, SOL_SOCKET, SO_PROTOCOL));
		EXPECT_EQ(0, getint(fd, SOL_SOCKET, SO_ACCEPTCONN));
		EXPECT_EQ(0, getint(fd, SOL_SOCKET, SO_ERROR));
		close(fd);
		close(in);
	}
}

TEST(poll_fresh_socket_matches_af_inet)
{
	struct pollfd p[2] = {
		{ .fd = socket(rust_tcp_family(), SOCK_STREAM, 0),
		  .events = POLLIN | POLLOUT | POLLRDHUP | POLLPRI },
		{ .fd = socket(AF_INET, SOCK_STREAM, 0),
		  .events = POLLIN | POLLOUT | POLLRDHUP | POLLPRI },
	};

	ASSERT_LE(0, p[0].fd);
	ASSERT_LE(0, p[1].fd);
	ASSERT_EQ(2, poll(p, 2, 0));
	/* Linux: a fresh TCP socket is CLOSE: hung up and writable. */
	EXPECT_EQ(POLLOUT | POLLHUP, p[1].revents);
	EXPECT_EQ(p[1].revents, p[0].revents);
	close(p[0].fd);
	close(p[1].fd);
}

/*
 * The data calls on a fresh, unconnected socket answer as AF_INET's do
 * (shutdown ENOTCONN, yet it marks the socket shut down, so the reads that
 * follow return 0; writes EPIPE; FIONREAD 0); mmap is not implemented.
 * None of it changes the socket.
 */
TEST(unconnected_ops_match_af_inet)
{
	int fds[2] = { socket(rust_tcp_family(), SOCK_STREAM, 0), socket(AF_INET, SOCK_STREAM, 0) };
	int err[2][5], one = 1, n, i;
	char buf[8] = "x";

	ASSERT_LE(0, fds[0]);
	ASSERT_LE(0, fds[1]);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < 2; i++) {
		err[i][0] = outcome(shutdown(fds[i], SHUT_RDWR));
		err[i][1] = outcome(send(fds[i], buf, 1, MSG_DONTWAIT));
		err[i][2] = outcome(recv(fds[i], buf, 1, MSG_DONTWAIT));
		err[i][3] = outcome(write(fds[i], buf, 1));
		err[i][4] = outcome(read(fds[i], buf, 1));
	}
	signal(SIGPIPE, SIG_DFL);
	for (i = 0; i < 5; i++) {
		int rust = err[0][i], inet = err[1][i];

		EXPECT_EQ(inet, rust) TH_LOG("call %d: rust_tcp %s, AF_INET %s", i,
					     errname(rust), errname(inet));
	}
	EXPECT_EQ(ENOTCONN, err[0][0]);
	EXPECT_EQ(EPIPE, err[0][1]);
	/* FIONREAD (tcp_ioctl's SIOCINQ): 0 bytes, as AF_INET says. */
	for (i = 0; i < 2; i++) {
		n = -1;
		EXPECT_EQ(0, outcome(ioctl(fds[i], FIONREAD, &n)));
		EXPECT_EQ(0, n);
	}
	EXPECT_EQ(0, outcome(setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))));
	EXPECT_EQ(1, getint(fds[0], IPPROTO_TCP, TCP_NODELAY));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED, fds[0], 0));
	EXPECT_EQ(ENODEV, errno);
	/* None of it changed the socket: still a fresh, closed socket. */
	EXPECT_EQ(0, getint(fds[0], SOL_SOCKET, SO_ERROR));
	close(fds[0]);
	close(fds[1]);
}

/* What a fresh socket answers to the address calls, as AF_INET does. */
TEST(fresh_socket_names_match_af_inet)
{
	int fds[2] = { socket(rust_tcp_family(), SOCK_STREAM, 0),
		       socket(AF_INET, SOCK_STREAM, 0) };
	struct sockaddr_in sin[2];
	int err[2][3];

	for (int i = 0; i < 2; i++) {
		socklen_t len = sizeof(sin[i]);

		ASSERT_LE(0, fds[i]);
		memset(&sin[i], 0xa5, sizeof(sin[i]));
		err[i][0] = outcome(getsockname(fds[i], (void *)&sin[i], &len));
		EXPECT_EQ(sizeof(sin[i]), len);
		len = sizeof(sin[i]);
		err[i][1] = outcome(getpeername(fds[i], (void *)&sin[i], &len));
		err[i][2] = outcome(accept(fds[i], NULL, NULL));
	}
	EXPECT_EQ(0, err[0][0]);
	EXPECT_EQ(ENOTCONN, err[0][1]);
	EXPECT_EQ(EINVAL, err[0][2]);
	EXPECT_EQ(0, memcmp(err[0], err[1], sizeof(err[0])));
	EXPECT_EQ(0, memcmp(&sin[0], &sin[1], sizeof(sin[0])));
	close(fds[0]);
	close(fds[1]);
}

TEST(many_sockets_in_two_netns)
{
	int fds[64];

	for (int i = 0; i < 32; i++)
		ASSERT_LE(0, fds[i] = socket(rust_tcp_family(), SOCK_STREAM, 0));
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	for (int i = 32; i < 64; i++)
		ASSERT_LE(0, fds[i] = socket(rust_tcp_family(), SOCK_STREAM, 0));
	for (int i = 0; i < 64; i++)
		close(fds[i]);
}

TEST_HARNESS_MAIN
