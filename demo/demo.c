// SPDX-License-Identifier: GPL-2.0
/*
 * make run: what rust_tcp does today, shown from user space.
 * Each step prints what it did and what the kernel answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
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
	printf("  listen(fd)  -> %s (not implemented yet)\n",
	       listen(fd, 1) < 0 ? strerrorname_np(errno) : "OK");
	close(fd);
	printf("\nclosed; the module can now be unloaded.\n");
	return 0;
}
