// SPDX-License-Identifier: GPL-2.0
/*
 * The module's lifetime: unload is refused while any socket of the family
 * exists and succeeds after the last close; the `family` parameter picks
 * the number and bad numbers are refused. Reloads the module, so it runs
 * alone and last; it leaves the module loaded with the default family.
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "kselftest_harness.h"

TEST(unload_refused_while_socket_open)
{
	int fd = socket(rust_tcp_family(), SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EWOULDBLOCK, module_unload());
	EXPECT_TRUE(module_loaded());
	/* The socket is still fully usable after the refused unload. */
	EXPECT_EQ(0, outcome(fcntl(fd, F_GETFL)));
	close(fd);
	EXPECT_EQ(0, module_unload());
	EXPECT_FALSE(module_loaded());
	/* With the module gone the family is gone too. */
	EXPECT_EQ(EAFNOSUPPORT, socket_outcome(AF_RUST_TCP_DEFAULT, SOCK_STREAM, 0));
	ASSERT_EQ(0, module_load(""));
}

TEST(unload_refused_while_child_holds_socket)
{
	int fd = socket(rust_tcp_family(), SOCK_STREAM, 0);
	int pfd[2];
	pid_t pid;
	char c;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The child keeps the inherited socket until told to go. */
		close(pfd[1]);
		read(pfd[0], &c, 1);
		_exit(0);
	}
	close(pfd[0]);
	close(fd);
	EXPECT_EQ(EWOULDBLOCK, module_unload());
	close(pfd[1]);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load(""));
}

TEST(family_parameter)
{
	ASSERT_EQ(0, module_unload());
	ASSERT_EQ(0, module_load("family=13"));
	EXPECT_EQ(13, rust_tcp_family());
	EXPECT_EQ(EAFNOSUPPORT, socket_outcome(AF_RUST_TCP_DEFAULT, SOCK_STREAM, 0));
	{
		int fd = socket(13, SOCK_STREAM, 0);
		int v = 0;
		socklen_t len = sizeof(v);

		ASSERT_LE(0, fd);
		EXPECT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len));
		EXPECT_EQ(13, v);
		close(fd);
	}
	ASSERT_EQ(0, module_unload());
	/* Out of range, or a family the kernel already has: refused. */
	EXPECT_EQ(EINVAL, module_load("family=0"));
	EXPECT_EQ(EINVAL, module_load("family=46"));
	EXPECT_EQ(EINVAL, module_load("family=-1"));
	EXPECT_EQ(EEXIST, module_load("family=2"));
	EXPECT_FALSE(module_loaded());
	ASSERT_EQ(0, module_load(""));
	EXPECT_EQ(AF_RUST_TCP_DEFAULT, rust_tcp_family());
}

TEST_HARNESS_MAIN
