// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD shim, as smc-tools' smc_run does for AF_SMC: socket(AF_INET,
 * SOCK_STREAM, 0 | IPPROTO_TCP) becomes a rust_tcp socket, keeping
 * SOCK_NONBLOCK/SOCK_CLOEXEC. Everything else is passed through, so an
 * unmodified TCP program (or kernel selftest) runs over rust_tcp.
 *
 *   tools/rust_tcp_run ./program args...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "rust_tcp.h"

static int (*real_socket)(int, int, int);
static int family = -1;

int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (!real_socket)
		real_socket = dlsym(RTLD_NEXT, "socket");
	if (family < 0) {
		const char *env = getenv("RUST_TCP_FAMILY");

		family = env ? atoi(env) : rust_tcp_family();
	}
	if (domain == AF_INET && base == SOCK_STREAM &&
	    (protocol == 0 || protocol == IPPROTO_TCP))
		domain = family;
	return real_socket(domain, type, protocol);
}
