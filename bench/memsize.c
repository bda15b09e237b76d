// SPDX-License-Identifier: GPL-2.0
/*
 * memsize: what one connection costs the kernel, rust_tcp next to Linux
 * TCP, in one boot (docs/benchmark.md, "Issue 13 results").
 *
 *   1. The slab object sizes (/proc/slabinfo objsize) of a sock, a request
 *      sock and a timewait sock: Linux's TCP, request_sock_TCP and
 *      tw_sock_TCP against rust_tcp's RUST_TCP, rust_tcp_request_sock and
 *      rust_tcp_tw_sock.
 *   2. An idle established connection, whole: -n connection pairs over
 *      loopback in a fresh netns (connected, accepted, no data), and the
 *      kernel memory they took (MemAvailable before and after, and the
 *      Slab part of it), divided by the 2n sockets. Both families pay the
 *      same socket, file and inode (the VFS side of a socket); what
 *      differs is the protocol's own state.
 *
 * Output: a table on stdout and one "MEM {json}" line per figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "common.h"

static long meminfo_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':') {
			v = strtol(line + strlen(key) + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* objsize of slab cache @name, or -1. */
static long slab_objsize(const char *name)
{
	char line[512], n[128];
	long active, num, objsize = -1;
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %ld %ld %ld", n, &active, &num, &objsize) == 4 && !strcmp(n, name))
			break;
		objsize = -1;
	}
	fclose(f);
	return objsize;
}

/* Sum of /proc/sys/vm/drop_caches-free figures: settle, then read. */
static void settle(void)
{
	FILE *f;

	sync();
	usleep(300 * 1000);
	f = fopen("/proc/sys/vm/drop_caches", "w");
	if (f) {
		fputs("3\n", f);
		fclose(f);
	}
	usleep(300 * 1000);
}

/*
 * In a child, in a fresh netns: @n pairs of @family, their memory per
 * socket written to @out[0] (MemAvailable delta, bytes) and @out[1] (Slab
 * delta, bytes). Returns 0 or an errno.
 */
static int measure(int family, int n, long out[2])
{
	int p[2], status;
	pid_t pid;

	if (pipe(p))
		return errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (!pid) {
		struct rlimit rl = { 2 * n + 64, 2 * n + 64 };
		long res[2] = { -1, -1 }, avail0, slab0;
		int l, *fds = calloc(2 * n, sizeof(int)), i, port = 5001;

		close(p[0]);
		setrlimit(RLIMIT_NOFILE, &rl);
		if (netns_new() < 0 || !fds)
			_exit(1);
		sh("sysctl -qw net.ipv4.ip_local_port_range='10000 65000'");
		l = socket(family, SOCK_STREAM, 0);
		if (l < 0 || bind_to(l, "127.0.0.1", port) || listen(l, 4096))
			_exit(2);
		settle();
		avail0 = meminfo_kb("MemAvailable");
		slab0 = meminfo_kb("Slab");
		for (i = 0; i < n; i++) {
			fds[2 * i] = socket(family, SOCK_STREAM, 0);
			if (fds[2 * i] < 0 || connect_to(fds[2 * i], "127.0.0.1", port))
				_exit(3);
			fds[2 * i + 1] = accept(l, NULL, NULL);
			if (fds[2 * i + 1] < 0)
				_exit(4);
		}
		settle();
		res[0] = (avail0 - meminfo_kb("MemAvailable")) * 1024 / (2 * n);
		res[1] = (meminfo_kb("Slab") - slab0) * 1024 / (2 * n);
		if (write(p[1], res, sizeof(res)) != sizeof(res))
			_exit(5);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], out, 2 * sizeof(long)) != 2 * sizeof(long))
		out[0] = out[1] = -1;
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : EIO;
}

int main(int argc, char **argv)
{
	static const char *const caches[3][2] = {
		{ "TCP", "RUST_TCP" },
		{ "request_sock_TCP", "rust_tcp_request_sock" },
		{ "tw_sock_TCP", "rust_tcp_tw_sock" },
	};
	static const char *const what[3] = { "sock", "request sock", "timewait sock" };
	long inet[2], rust[2];
	int n = 2000, opt, i, ri, rr;

	while ((opt = getopt(argc, argv, "n:")) != -1)
		n = opt == 'n' ? atoi(optarg) : n;
	printf("%-28s %12s %12s\n", "slab object (bytes)", "Linux", "rust_tcp");
	for (i = 0; i < 3; i++) {
		long a = slab_objsize(caches[i][0]), b = slab_objsize(caches[i][1]);

		printf("%-28s %12ld %12ld   (%s / %s)\n", what[i], a, b, caches[i][0], caches[i][1]);
		printf("MEM {\"what\":\"%s\",\"linux\":%ld,\"rust\":%ld}\n", what[i], a, b);
	}
	ri = measure(AF_INET, n, inet);
	rr = family_available(rust_tcp_family()) ? measure(rust_tcp_family(), n, rust) : EAFNOSUPPORT;
	if (ri)
		inet[0] = inet[1] = -1;
	if (rr)
		rust[0] = rust[1] = -1;
	printf("%-28s %12ld %12ld   (%d pairs, MemAvailable)\n", "idle connection, all", inet[0], rust[0], n);
	printf("%-28s %12ld %12ld   (of which Slab)\n", "idle connection, slab", inet[1], rust[1]);
	printf("MEM {\"what\":\"idle connection\",\"linux\":%ld,\"rust\":%ld,\"linux_slab\":%ld,\"rust_slab\":%ld,\"pairs\":%d}\n",
	       inet[0], rust[0], inet[1], rust[1], n);
	return ri || rr ? 1 : 0;
}
