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
	printf("  /proc/net/rust_tcp_stat (server netns), non-zero counters:\n");
	while (fgets(line, sizeof(line), f))
		if (!strstr(line, " 0\n"))
			printf("    %s", line);
	fclose(f);
}

/*
 * Two hosts joined by veth: "cli" (10.0.1.1) runs the kernel's TCP,
 * "srv" (10.0.1.2) runs rust_tcp. One process moves between them with
 * setns(); each socket stays in the netns it was created in.
 */
static int handshake_demo(int family)
{
	struct sockaddr_in srv = { .sin_family = AF_INET, .sin_port = htons(8080) };
	struct sockaddr_in a, b, c, d;
	socklen_t len = sizeof(a);
	int lfd, cfd, afd;

	printf("\nA Linux TCP client (netns cli) connects to a rust_tcp server (netns srv):\n");
	if (system("ip netns add srv && ip netns add cli && "
		   "ip link add veth0 netns cli type veth peer name veth0 netns srv && "
		   "ip -n cli addr add 10.0.1.1/24 dev veth0 && ip -n cli link set veth0 up && "
		   "ip -n srv addr add 10.0.1.2/24 dev veth0 && ip -n srv link set veth0 up && "
		   "ip -n cli link set lo up && ip -n srv link set lo up")) {
		printf("  cannot set up the namespaces\n");
		return 1;
	}
	inet_pton(AF_INET, "10.0.1.2", &srv.sin_addr);

	in_netns("srv");
	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (void *)&srv, sizeof(srv)) || listen(lfd, 8)) {
		perror("  server");
		return 1;
	}
	printf("  srv: socket(%d, SOCK_STREAM, 0), bind %s, listen(8)\n", family, name(&srv));

	in_netns("cli");
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(cfd, (void *)&srv, sizeof(srv))) {
		perror("  client connect");
		return 1;
	}
	getsockname(cfd, (void *)&a, &len);
	printf("  cli: AF_INET connect() to %s from %s: connected\n", name(&srv), name(&a));

	in_netns("srv");
	afd = accept(lfd, (void *)&b, &len);
	if (afd < 0) {
		perror("  accept");
		return 1;
	}
	getsockname(afd, (void *)&c, &len);
	getpeername(afd, (void *)&d, &len);
	printf("  srv: accept() -> fd %d, peer %s (accept's address %s), local %s\n",
	       afd, name(&d), name(&b), name(&c));
	show_stat();
	close(afd);
	close(lfd);
	close(cfd);
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
	printf("  connect(fd) -> %s (not implemented yet)\n",
	       connect(fd, (void *)&(struct sockaddr_in){ .sin_family = AF_INET }, 16) < 0 ?
	       strerrorname_np(errno) : "OK");
	close(fd);
	if (handshake_demo(family))
		return 1;
	printf("\nall closed; the module can now be unloaded.\n");
	return 0;
}
