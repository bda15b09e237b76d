/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the data selftests (data_transfer, data_netem): a
 * deterministic byte stream that the receiver can check at every offset,
 * its FNV-1a checksum, and a sender and a receiver that move such a stream
 * over a connected socket in varied write and read sizes.
 */
#ifndef _RUST_TCP_SELFTEST_DATA_COMMON_H
#define _RUST_TCP_SELFTEST_DATA_COMMON_H

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "common.h"

/* The payload of a full segment on the veth path: MTU 1500 - 20 - 20 - 12 (timestamps). */
#define MSS_TS 1448

/* ---- the pattern ------------------------------------------------------------ */

static inline uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* xorshift64: the varied write and read sizes. */
static inline uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Word @i (bytes 8i .. 8i + 7, little-endian) of stream @seed. */
static inline uint64_t pat_word(uint64_t seed, uint64_t i)
{
	return splitmix64(seed * 0x2545f4914f6cdd1dull + i);
}

/*
 * Bytes @off .. @off + @len - 1 of stream @seed into @buf: pseudo-random,
 * a function of the seed and the offset only (so any slice can be checked).
 * Whole words at once (the guest is x86, little-endian).
 */
static inline void pat_fill(uint64_t seed, uint64_t off, unsigned char *buf, size_t len)
{
	size_t i = 0;

	for (; i < len && ((off + i) & 7); i++)
		buf[i] = pat_word(seed, (off + i) >> 3) >> (((off + i) & 7) * 8);
	for (; i + 8 <= len; i += 8) {
		uint64_t w = pat_word(seed, (off + i) >> 3);

		memcpy(buf + i, &w, 8);
	}
	for (; i < len; i++)
		buf[i] = pat_word(seed, (off + i) >> 3) >> (((off + i) & 7) * 8);
}

/*
 * The stream's checksum: FNV-1a over its 64-bit little-endian words (the
 * last one zero-padded), fed in pieces of any size. Word-wise rather than
 * byte-wise: eight times fewer multiplications, which counts in the TCG
 * guest. The length is compared separately.
 */
#define FNV_INIT 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

struct fnv64 {
	uint64_t h, w;		/* the hash; the word being filled */
	int k;			/* bytes in w */
};

static inline void fnv_init(struct fnv64 *f)
{
	f->h = FNV_INIT;
	f->w = 0;
	f->k = 0;
}

static inline void fnv_add(struct fnv64 *f, const unsigned char *p, size_t len)
{
	for (; len && f->k; len--) {
		f->w |= (uint64_t)*p++ << (8 * f->k);
		if (++f->k == 8) {
			f->h = (f->h ^ f->w) * FNV_PRIME;
			f->w = 0;
			f->k = 0;
		}
	}
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t x;

		memcpy(&x, p, 8);
		f->h = (f->h ^ x) * FNV_PRIME;
	}
	for (; len; len--)
		f->w |= (uint64_t)*p++ << (8 * f->k++);
}

static inline uint64_t fnv_value(const struct fnv64 *f)
{
	return f->k ? (f->h ^ f->w) * FNV_PRIME : f->h;
}

/* ---- one side of a stream ---------------------------------------------------- */

/* What one side did; lives in shared memory when a child process is that side. */
struct side {
	uint64_t bytes;		/* sent, or received before EOF */
	struct fnv64 sum;	/* their checksum, running */
	uint64_t fnv;		/* their checksum, final (side_done()) */
	int64_t bad_at;		/* receiver: first offset not matching the pattern, or -1 */
	int err;		/* errno of the call that failed, 0 if none */
	const char *what;	/* which call failed */
	int eof;		/* receiver: recv() returned 0 */
	int calls;		/* send or recv calls that moved data */
	double secs;		/* from the first call to the last */
};

static inline struct side *side_shared(void)
{
	struct side *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->bad_at = -1;
	fnv_init(&s->sum);
	return s;
}

/* A side in local memory. */
static inline void side_init(struct side *s)
{
	memset(s, 0, sizeof(*s));
	s->bad_at = -1;
	fnv_init(&s->sum);
}

/* Counts @n bytes at @buf as moved by @s. */
static inline void side_add(struct side *s, const unsigned char *buf, size_t n)
{
	fnv_add(&s->sum, buf, n);
	s->fnv = fnv_value(&s->sum);
	s->bytes += n;
	s->calls++;
}

#define CHUNK_MAX (256 * 1024)

static const size_t write_sizes[] = { 1, 2, 3, 100, 536, 1000, 1447, 1448, 1449, 2896,
				      4000, 8192, 16384, 65536, 100000, 262144 };
static const size_t read_sizes[] = { 1, 7, 512, 1447, 1448, 1449, 4096, 10000, 65536,
				     131072, 262144 };

/*
 * Sends bytes @from .. @total - 1 of stream @seed on blocking socket @fd in
 * write sizes drawn by @rng (all in one call if @rng is NULL), counting
 * into @s. Stops at the first error (recorded in @s).
 */
static inline void send_stream(int fd, uint64_t seed, uint64_t total, uint64_t *rng,
			       struct side *s)
{
	unsigned char *buf = malloc(CHUNK_MAX > total ? total + 1 : CHUNK_MAX);
	double t0 = now_s();

	while (s->bytes < total) {
		size_t want = total - s->bytes;
		ssize_t n;

		if (rng) {
			size_t pick = write_sizes[xorshift64(rng) % (sizeof(write_sizes) /
								   sizeof(write_sizes[0]))];
			if (pick < want)
				want = pick;
		} else if (want > CHUNK_MAX) {
			want = CHUNK_MAX;
		}
		pat_fill(seed, s->bytes, buf, want);
		n = send(fd, buf, want, MSG_NOSIGNAL);
		if (n <= 0) {
			s->err = n < 0 ? errno : EIO;
			s->what = "send";
			break;
		}
		side_add(s, buf, n);
	}
	s->secs += now_s() - t0;
	free(buf);
}

/*
 * Receives stream @seed on blocking socket @fd until EOF in read sizes
 * drawn by @rng, checking every byte against the pattern and counting into
 * @s; gives up past @limit bytes (a stream longer than sent).
 */
static inline void recv_stream(int fd, uint64_t seed, uint64_t limit, uint64_t *rng,
			       struct side *s)
{
	unsigned char *buf = malloc(CHUNK_MAX), *want = malloc(CHUNK_MAX);
	double t0 = now_s();

	for (;;) {
		size_t len = read_sizes[xorshift64(rng) % (sizeof(read_sizes) /
							   sizeof(read_sizes[0]))];
		ssize_t n = recv(fd, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			s->err = errno;
			s->what = "recv";
			break;
		}
		if (n == 0) {
			s->eof = 1;
			break;
		}
		if (s->bad_at < 0) {
			pat_fill(seed, s->bytes, want, n);
			if (memcmp(buf, want, n))
				for (ssize_t i = 0; i < n; i++)
					if (buf[i] != want[i]) {
						s->bad_at = s->bytes + i;
						break;
					}
		}
		side_add(s, buf, n);
		if (s->bytes > limit) {
			s->err = EMSGSIZE;
			s->what = "recv (more bytes than sent)";
			break;
		}
	}
	s->secs += now_s() - t0;
	free(buf);
	free(want);
}

/* The checksum of bytes 0 .. @total - 1 of stream @seed. */
static inline uint64_t pat_fnv(uint64_t seed, uint64_t total)
{
	unsigned char *buf = malloc(CHUNK_MAX);
	struct fnv64 f;
	uint64_t off = 0;

	fnv_init(&f);
	while (off < total) {
		size_t n = total - off > CHUNK_MAX ? CHUNK_MAX : total - off;

		pat_fill(seed, off, buf, n);
		fnv_add(&f, buf, n);
		off += n;
	}
	free(buf);
	return fnv_value(&f);
}

/*
 * Bounds every blocking send and recv on @fd to @secs: a stalled transfer
 * fails with EAGAIN instead of hanging.
 */
static inline int stall_bound(int fd, int secs)
{
	struct timeval tv = { secs, 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return errno;
	return 0;
}

/*
 * A connection from a @cfam socket in netns @ns_c to a @sfam listener on
 * @saddr:@port in netns @ns_s: the client and the accepted socket in *@c
 * and *@s (blocking, each with stall_bound(@stall)). 0 or an errno.
 */
static inline int pair_connect(int ns_c, int cfam, int ns_s, int sfam, const char *saddr,
			       int port, int stall, int *c, int *s)
{
	struct timeval tv = { 5, 0 };
	int l, err;

	*c = *s = -1;
	l = socket_in(ns_s, sfam, SOCK_STREAM);
	if (l < 0)
		return errno;
	if (setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind_to(l, saddr, port) || listen(l, 8)) {
		err = errno ? errno : EIO;
		close(l);
		return err;
	}
	*c = socket_in(ns_c, cfam, SOCK_STREAM);
	if (*c < 0 || (err = stall_bound(*c, stall)) || (err = connect_to(*c, saddr, port))) {
		err = *c < 0 ? errno : err;
		goto fail;
	}
	*s = accept(l, NULL, NULL);
	if (*s < 0 || (err = stall_bound(*s, stall))) {
		err = *s < 0 ? errno : err;
		goto fail;
	}
	close(l);
	return 0;
fail:
	close(l);
	if (*c >= 0)
		close_rst(*c);
	if (*s >= 0)
		close_rst(*s);
	*c = *s = -1;
	return err;
}

static inline void side_log(const char *who, const struct side *s)
{
	fprintf(stderr, "# %s: %llu bytes in %d calls, fnv %016llx, %.2f s, eof %d, bad_at %lld,"
		" error %s%s%s\n", who, (unsigned long long)s->bytes, s->calls,
		(unsigned long long)s->fnv, s->secs, s->eof, (long long)s->bad_at,
		s->err ? strerrorname_np(s->err) : "none", s->what ? " in " : "",
		s->what ?: "");
}

/*
 * The Ip FragFails counter of netns @ns (/proc/net/snmp): datagrams IP
 * dropped because they needed fragmenting and had DF set. A TCP segment
 * larger than the path MTU (say, full-sized data plus SACK blocks) counts
 * here and never reaches the peer. -1 if it cannot be read. Leaves the
 * caller in @ns.
 */
static inline long ip_frag_fails(int ns)
{
	char hdr[1024], val[1024], *hs, *vs, *h, *v;
	long n = -1;
	FILE *f;

	if (netns_enter(ns))
		return -1;
	f = fopen("/proc/net/snmp", "r");
	if (!f)
		return -1;
	while (fgets(hdr, sizeof(hdr), f) && fgets(val, sizeof(val), f)) {
		if (strncmp(hdr, "Ip: ", 4))
			continue;
		h = strtok_r(hdr, " \n", &hs);
		v = strtok_r(val, " \n", &vs);
		while (h && v) {
			if (!strcmp(h, "FragFails")) {
				n = atol(v);
				break;
			}
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(f);
	return n;
}

#endif
