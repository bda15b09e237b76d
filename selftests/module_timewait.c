// SPDX-License-Identifier: GPL-2.0
/*
 * Unloading the module with TIME_WAIT entries left. A TIME_WAIT is not a
 * socket: once every socket is closed the module unloads (rmmod succeeds)
 * though TIME_WAITs of the default 60 s are pending, in a network namespace
 * that is still alive or in one already gone, and frees them (the kmemleak
 * scan after the run covers leaks; KASAN and DEBUG_OBJECTS_TIMERS a timer
 * left armed). The module is reloaded after each test, as module_lifetime
 * does; this binary runs right before module_lifetime, and leaves the
 * module loaded with its defaults.
 *
 * rust_tcp only: Linux's TCP is not a module here. Over loopback in a fresh
 * network namespace; a TIME_WAIT is seen as its port being held (a bind()
 * without SO_REUSEADDR: EADDRINUSE).
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "kselftest_harness.h"

#define PORT 9400
#define TW_PARAM "/sys/module/rust_tcp/parameters/tcp_timewait_len_ms"

/*
 * Over loopback in the current netns: two connections to a listener on
 * @port, closed so that the first leaves a TIME_WAIT on the client side and
 * the second one on the server side (the accepted socket closes first).
 * Every socket is closed at the end. 0, or a line number that failed.
 */
static int make_timewaits(int port, int *cport)
{
	int fam = rust_tcp_family(), l, c[2], s[2];
	struct pollfd p;
	char b;

	l = socket(fam, SOCK_STREAM, 0);
	if (l < 0 || bind_to(l, "127.0.0.1", port) || listen(l, 4))
		return __LINE__;
	for (int i = 0; i < 2; i++) {
		c[i] = socket(fam, SOCK_STREAM, 0);
		if (c[i] < 0 || connect_to(c[i], "127.0.0.1", port))
			return __LINE__;
		s[i] = accept(l, NULL, NULL);
		if (s[i] < 0)
			return __LINE__;
	}
	*cport = local_port(c[0]);
	close(l);
	/* Client first: the client's port goes to TIME_WAIT. */
	close(c[0]);
	if (recv(s[0], &b, 1, 0) != 0)
		return __LINE__;
	close(s[0]);
	/* Server first: the server's (the listener's) port goes to TIME_WAIT. */
	close(s[1]);
	if (recv(c[1], &b, 1, 0) != 0)
		return __LINE__;
	close(c[1]);
	/* Let the last ACKs land: the passive sides are gone, the TIME_WAITs remain. */
	p = (struct pollfd){ .fd = -1 };
	poll(&p, 0, 100);
	if (bind_lo(*cport) != EADDRINUSE || bind_lo(port) != EADDRINUSE)
		return __LINE__;
	return 0;
}

TEST(timewait_length_parameter)
{
	char buf[32];

	ASSERT_EQ(0, read_file(TW_PARAM, buf, sizeof(buf)));
	EXPECT_EQ(60000, atoi(buf));
	ASSERT_EQ(0, write_file(TW_PARAM, "1000"));
	ASSERT_EQ(0, read_file(TW_PARAM, buf, sizeof(buf)));
	EXPECT_EQ(1000, atoi(buf));
	ASSERT_EQ(0, write_file(TW_PARAM, "60000"));
}

/* TIME_WAITs (60 s) in a live netns: the module unloads, and comes back clean. */
TEST(unload_with_timewait_in_live_netns)
{
	int cport = 0, line;

	ASSERT_LE(0, netns_new());
	line = make_timewaits(PORT, &cport);
	ASSERT_EQ(0, line) TH_LOG("failed at line %d: %s", line, strerror(errno));
	EXPECT_EQ(0, module_unload());
	EXPECT_FALSE(module_loaded());
	ASSERT_EQ(0, module_load(""));
	/* The TIME_WAITs went with the module. */
	EXPECT_EQ(0, bind_lo(cport));
	EXPECT_EQ(0, bind_lo(PORT));
	/* And it works again in this netns. */
	line = make_timewaits(PORT + 1, &cport);
	EXPECT_EQ(0, line) TH_LOG("failed at line %d: %s", line, strerror(errno));
	EXPECT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load(""));
}

/* TIME_WAITs in a netns that is gone by the time the module unloads. */
TEST(unload_after_netns_with_timewait_is_gone)
{
	int st = -1;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		int cport;

		if (netns_new() < 0)
			_exit(1);
		_exit(make_timewaits(PORT, &cport) ? 2 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_EQ(0, st);
	EXPECT_EQ(0, module_unload());
	EXPECT_FALSE(module_loaded());
	ASSERT_EQ(0, module_load(""));
}

TEST_HARNESS_MAIN
