/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the rust_tcp selftests. */
#ifndef _RUST_TCP_SELFTEST_COMMON_H
#define _RUST_TCP_SELFTEST_COMMON_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include "rust_tcp.h"

/* The outcome of a call: 0 on success, else errno. */
static inline int outcome(int ret)
{
	return ret < 0 ? errno : 0;
}

/* socket() as an outcome, closing what it created. */
static inline int socket_outcome(int family, int type, int protocol)
{
	int fd = socket(family, type, protocol);
	int err = fd < 0 ? errno : 0;

	if (fd >= 0)
		close(fd);
	return err;
}

static inline const char *errname(int err)
{
	return err ? strerrorname_np(err) : "OK";
}

#endif
