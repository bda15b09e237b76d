// SPDX-License-Identifier: GPL-2.0
/*
 * make run: what rust_tcp does today, shown from user space.
 * Each step prints what it did and what the kernel answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rust_tcp.h"

static void show_socket(const char *what, int family, int type, int proto)
{
	int fd = socket(family, type, proto);

	if (fd < 0) {
		printf("  %-44s -> %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("  %-44s -> fd %d\n", what, fd);
	close(fd);
}

static int in_netns(const char *name)
{
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

static const char *name(const struct sockaddr_in *sin)
{
	static char buf[4][32];
	static int i;
	char *b = buf[i++ % 4];

	snprintf(b, sizeof(buf[0]), "%s:%u", inet_ntoa(sin->sin_addr), ntohs(sin->sin_port));
	return b;
}

static void show_stat(void)
{
	char line[128];
	FILE *f = fopen("/proc/net/rust_tcp_stat", "r");

	if (!f)
		return;
	printf("  /proc/net/rust_tcp_stat of this netns, non-zero counters:\n");
	while (fgets(line, sizeof(line), f))
		if (!strstr(line, " 0\n"))
			printf("    %s", line);
	fclose(f);
}

static const char *fam_name(int family)
{
	return family == AF_INET ? "Linux TCP (AF_INET)" : "rust_tcp";
}

/*
 * Two hosts joined by veth: "cli" (10.0.1.1) and "srv" (10.0.1.2). One
 * process moves between them with setns(); each socket stays in the netns
 * it was created in. The client of @cfam connects to a listener of @sfam.
 */
/*
 * Data both ways, then an orderly close: the client sends 1 MiB and shuts
 * down its side, the server answers with a checksum of what it read and
 * closes; the client sees EOF and closes.
 */
static void exchange(int cfd, int afd)
{
	static char buf[1 << 20], in[65536];
	unsigned int sum = 0, rsum = 0;
	size_t i, got = 0, sent = 0;
	ssize_t n;
	char reply[32];
	double t0;
	struct timespec ts;

	for (i = 0; i < sizeof(buf); i++) {
		buf[i] = (char)(i * 7 + (i >> 11));
		sum = sum * 31 + (unsigned char)buf[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec + ts.tv_nsec / 1e9;
	if (fork() == 0) {
		while (sent < sizeof(buf) && (n = write(cfd, buf + sent, sizeof(buf) - sent)) > 0)
			sent += n;
		shutdown(cfd, SHUT_WR);
		_exit(sent == sizeof(buf) ? 0 : 1);
	}
	while ((n = read(afd, in, sizeof(in))) > 0) {
		for (i = 0; i < (size_t)n; i++)
			rsum = rsum * 31 + (unsigned char)in[i];
		got += n;
	}
	wait(NULL);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("  data: cli wrote %zu bytes and shut down; srv read %zu bytes then EOF in %.2f s,"
	       " checksum %s\n", sizeof(buf), got, ts.tv_sec + ts.tv_nsec / 1e9 - t0,
	       sum == rsum && got == sizeof(buf) ? "matches" : "DIFFERS");
	n = snprintf(reply, sizeof(reply), "%08x", rsum);
	write(afd, reply, n);
	close(afd);
	n = read(cfd, reply, sizeof(reply) - 1);
	reply[n > 0 ? n : 0] = 0;
	printf("  data: srv replied \"%s\" and closed; cli read it, then read() -> %zd (EOF),"
	       " closed\n", reply, read(cfd, in, 1));
	close(cfd);
}

static int handshake(int cfam, int sfam, int port)
{
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in a, b, c, d;
	socklen_t len = sizeof(a);
	int lfd, cfd, afd;

	printf("\nA %s client (netns cli) connects to a %s server (netns srv):\n",
	       fam_name(cfam), fam_name(sfam));
	inet_pton(AF_INET, "10.0.1.2", &srv.sin_addr);

	in_netns("srv");
	lfd = socket(sfam, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (void *)&srv, sizeof(srv)) || listen(lfd, 8)) {
		perror("  server");
		return 1;
	}
	printf("  srv: socket(%d, SOCK_STREAM, 0), bind %s, listen(8)\n", sfam, name(&srv));

	in_netns("cli");
	cfd = socket(cfam, SOCK_STREAM, 0);
	if (cfd < 0 || connect(cfd, (void *)&srv, sizeof(srv))) {
		perror("  client connect");
		return 1;
	}
	len = sizeof(a);
	getsockname(cfd, (void *)&a, &len);
	len = sizeof(d);
	getpeername(cfd, (void *)&d, &len);
	printf("  cli: socket(%d, ...), connect() to %s: connected, local %s, peer %s\n",
	       cfam, name(&srv), name(&a), name(&d));

	in_netns("srv");
	len = sizeof(b);
	afd = accept(lfd, (void *)&b, &len);
	if (afd < 0) {
		perror("  accept");
		return 1;
	}
	len = sizeof(c);
	getsockname(afd, (void *)&c, &len);
	len = sizeof(d);
	getpeername(afd, (void *)&d, &len);
	printf("  srv: accept() -> fd %d, peer %s (accept's address %s), local %s\n",
	       afd, name(&d), name(&b), name(&c));
	exchange(cfd, afd);
	close(lfd);
	return 0;
}

static int connect_demo(int family)
{
	struct sockaddr_in closed = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd;

	if (system("ip netns add srv && ip netns add cli && "
		   "ip link add veth0 netns cli type veth peer name veth0 netns srv && "
		   "ip -n cli addr add 10.0.1.1/24 dev veth0 && ip -n cli link set veth0 up && "
		   "ip -n srv addr add 10.0.1.2/24 dev veth0 && ip -n srv link set veth0 up && "
		   "ip -n cli link set lo up && ip -n srv link set lo up")) {
		printf("  cannot set up the namespaces\n");
		return 1;
	}
	if (handshake(AF_INET, family, 8080) || handshake(family, AF_INET, 8081) ||
	    handshake(family, family, 8082))
		return 1;

	printf("\nA rust_tcp client connects to a port nobody listens on:\n");
	inet_pton(AF_INET, "10.0.1.2", &closed.sin_addr);
	in_netns("cli");
	fd = socket(family, SOCK_STREAM, 0);
	printf("  cli: connect() to %s -> %s (the peer's kernel answered RST)\n", name(&closed),
	       connect(fd, (void *)&closed, sizeof(closed)) < 0 ? strerrorname_np(errno) : "OK?");
	close(fd);
	printf("\n");
	show_stat();
	in_netns("srv");
	printf("\n");
	show_stat();
	system("ip netns del cli; ip netns del srv");
	return 0;
}

int main(void)
{
	int family = rust_tcp_family();
	int fd, v;
	socklen_t len = sizeof(v);
	struct pollfd p;

	printf("rust_tcp demo: TCP over IPv4 in socket family %d\n", family);
	printf("(read from %s)\n\n", RUST_TCP_FAMILY_PARAM);

	printf("socket() answers, as AF_INET would for a TCP-only family:\n");
	show_socket("socket(family, SOCK_STREAM, 0)", family, SOCK_STREAM, 0);
	show_socket("socket(family, SOCK_STREAM, IPPROTO_TCP)", family, SOCK_STREAM, IPPROTO_TCP);
	show_socket("socket(family, SOCK_STREAM, IPPROTO_UDP)", family, SOCK_STREAM, IPPROTO_UDP);
	show_socket("socket(family, SOCK_DGRAM, 0)", family, SOCK_DGRAM, 0);
	show_socket("socket(family, SOCK_STREAM, -1)", family, SOCK_STREAM, -1);

	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	printf("\na SOCK_NONBLOCK|SOCK_CLOEXEC socket, fd %d:\n", fd);
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len);
	printf("  SO_DOMAIN   = %d\n", v);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len);
	printf("  SO_TYPE     = %d (SOCK_STREAM)\n", v);
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len);
	printf("  SO_PROTOCOL = %d (IPPROTO_TCP)\n", v);
	printf("  O_NONBLOCK  = %s, FD_CLOEXEC = %s\n",
	       fcntl(fd, F_GETFL) & O_NONBLOCK ? "set" : "clear",
	       fcntl(fd, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
	p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	poll(&p, 1, 0);
	printf("  poll        = %s%s (a closed TCP socket, as tcp_poll says)\n",
	       p.revents & POLLOUT ? "POLLOUT " : "", p.revents & POLLHUP ? "POLLHUP" : "");
	printf("  connect(fd, 224.0.0.1) -> %s (multicast, as AF_INET)\n",
	       connect(fd, (void *)&(struct sockaddr_in){ .sin_family = AF_INET,
			.sin_addr.s_addr = htonl(0xe0000001) }, 16) < 0 ?
	       strerrorname_np(errno) : "OK");
	close(fd);
	if (connect_demo(family))
		return 1;
	printf("\nall closed; the module can now be unloaded.\n");
	return 0;
}
