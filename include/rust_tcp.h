/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rust_tcp.h - what a C program needs to use rust_tcp.
 *
 * rust_tcp is TCP over IPv4 in its own socket family. Addresses are plain
 * struct sockaddr_in with sin_family = AF_INET, exactly as AF_SMC does, so a
 * program changes only its socket() call:
 *
 *	int fd = socket(rust_tcp_family(), SOCK_STREAM, 0);
 *
 * The family number is the module parameter `family` (default below); read
 * it at run time so a module loaded with family=N just works.
 */
#ifndef _RUST_TCP_H
#define _RUST_TCP_H

#include <stdio.h>
#include <stdlib.h>

/* Unused in 6.12: DECnet's old number, its implementation removed in 6.1. */
#define AF_RUST_TCP_DEFAULT 12
#define RUST_TCP_FAMILY_PARAM "/sys/module/rust_tcp/parameters/family"

/* The family the loaded module registered, or the default if not loaded. */
static inline int rust_tcp_family(void)
{
	FILE *f = fopen(RUST_TCP_FAMILY_PARAM, "r");
	int family = AF_RUST_TCP_DEFAULT;

	if (f) {
		if (fscanf(f, "%d", &family) != 1)
			family = AF_RUST_TCP_DEFAULT;
		fclose(f);
	}
	return family;
}

#endif /* _RUST_TCP_H */
