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

static int unload(void)
{
	return outcome(syscall(__NR_delete_module, "rust_tcp", O_NONBLOCK));
}

static int load(const char *params)
{
	char path[4096];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/rust_tcp.ko",
		 getenv("RUST_TCP_REPO") ?: ".");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ret = outcome(syscall(__NR_finit_module, fd, params, 0));
	close(fd);
	return ret;
}

static int loaded(void)
{
	return access("/sys/module/rust_tcp", F_OK) == 0;
}

TEST(unload_refused_while_socket_open)
{
	int fd = socket(rust_tcp_family(), SOCK_STREAM, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EWOULDBLOCK, unload());
	EXPECT_TRUE(loaded());
	/* The socket is still fully usable after the refused unload. */
	EXPECT_EQ(0, outcome(fcntl(fd, F_GETFL)));
	close(fd);
	EXPECT_EQ(0, unload());
	EXPECT_FALSE(loaded());
	/* With the module gone the family is gone too. */
	EXPECT_EQ(EAFNOSUPPORT, socket_outcome(AF_RUST_TCP_DEFAULT, SOCK_STREAM, 0));
	ASSERT_EQ(0, load(""));
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
	EXPECT_EQ(EWOULDBLOCK, unload());
	close(pfd[1]);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(0, unload());
	ASSERT_EQ(0, load(""));
}

TEST(family_parameter)
{
	ASSERT_EQ(0, unload());
	ASSERT_EQ(0, load("family=13"));
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
	ASSERT_EQ(0, unload());
	/* Out of range, or a family the kernel already has: refused. */
	EXPECT_EQ(EINVAL, load("family=0"));
	EXPECT_EQ(EINVAL, load("family=46"));
	EXPECT_EQ(EINVAL, load("family=-1"));
	EXPECT_EQ(EEXIST, load("family=2"));
	EXPECT_FALSE(loaded());
	ASSERT_EQ(0, load(""));
	EXPECT_EQ(AF_RUST_TCP_DEFAULT, rust_tcp_family());
}

TEST_HARNESS_MAIN
