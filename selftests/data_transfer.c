// SPDX-License-Identifier: GPL-2.0
/*
 * Data transfer, byte for byte: streams of 1 byte, MSS - 1, MSS, MSS + 1
 * (MSS 1448: the payload of a 1500-byte frame with timestamps), 64 KiB and
 * 16 MiB, from the client to the server and from the server to the client,
 * then both ways at once (4 MiB each way on one connection).
 *
 * Two network namespaces joined by veth (two_hosts_setup_quick): the client
 * at 10.0.1.1, the listener at 10.0.1.2. One variant per pair of families:
 * af_inet (Linux to Linux: the reference, it proves the expectations are
 * Linux's), rust_client (rust_tcp client, Linux server), rust_server (Linux
 * client, rust_tcp server), rust_both.
 *
 * The sender writes a pseudo-random stream (a function of a per-test seed
 * and the offset) in varied write sizes and then shutdown(SHUT_WR)s; the
 * receiver, a child process, reads with varied read sizes until recv()
 * returns 0, checks every byte against the pattern, the length, and the
 * checksum (FNV-1a over words) against the sender's, then sends a one-byte ack and
 * closes; the sender must read exactly that byte and then EOF. For the
 * sizes around the MSS the stream goes in one write, and the sender's
 * segments are checked on the wire: ceil(n / 1448) data segments, in order,
 * none longer than 1448, no retransmission.
 *
 * Every blocking call is bounded (SO_RCVTIMEO/SO_SNDTIMEO, STALL seconds),
 * so a stalled transfer fails with EAGAIN instead of running into the
 * harness timeout.
 */
#include <sys/prctl.h>

#include "data_common.h"
#include "kselftest_harness.h"

#define PORT 9000
#define STALL 10	/* seconds without progress that fail a transfer */
#define TIMEOUT 60
#define TIMEOUT_BIG 180	/* 16 MiB in the TCG guest */

FIXTURE(xfer)
{
	struct two_hosts h;
	int cfam, sfam;
};

FIXTURE_VARIANT(xfer)
{
	int rust_client, rust_server;
};

FIXTURE_VARIANT_ADD(xfer, af_inet) { .rust_client = 0, .rust_server = 0 };
FIXTURE_VARIANT_ADD(xfer, rust_client) { .rust_client = 1, .rust_server = 0 };
FIXTURE_VARIANT_ADD(xfer, rust_server) { .rust_client = 0, .rust_server = 1 };
FIXTURE_VARIANT_ADD(xfer, rust_both) { .rust_client = 1, .rust_server = 1 };

FIXTURE_SETUP(xfer)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	self->h.ns_c = self->h.ns_s = -1;
	self->cfam = variant->rust_client ? rust_tcp_family() : AF_INET;
	self->sfam = variant->rust_server ? rust_tcp_family() : AF_INET;
	if ((variant->rust_client || variant->rust_server) &&
	    !family_available(rust_tcp_family()))
		SKIP(return, "rust_tcp is not loaded");
	ASSERT_EQ(0, two_hosts_setup_quick(&self->h));
}

FIXTURE_TEARDOWN(xfer)
{
	two_hosts_teardown(&self->h);
}

/*
 * The sender's segments in capture @cap (on the sender's veth, opened
 * before the connection): its SYN or SYN-ACK gives the ISN; the data
 * segments must be ceil(@n / MSS_TS), each MSS_TS long but the last, with
 * consecutive sequence numbers from ISN + 1.
 */
static void check_wire(struct __test_metadata *_metadata, int cap, int sport, uint64_t n)
{
	int64_t isn = -1;
	uint32_t next = 0;
	int segs = 0, want = (n + MSS_TS - 1) / MSS_TS;
	struct pkt p;

	while (cap_next(cap, &p, 200) == 1) {
		if (!p.outgoing || p.sport != sport)
			continue;
		if (p.flags & TH_SYN) {
			isn = p.seq;
			next = p.seq + 1;
			continue;
		}
		if (!p.paylen)
			continue;
		segs++;
		EXPECT_EQ(next, p.seq) TH_LOG("data segment %d at seq %u, expected %u",
					      segs, p.seq, next);
		EXPECT_EQ(n - (uint64_t)(segs - 1) * MSS_TS > MSS_TS ? MSS_TS :
			  n - (uint64_t)(segs - 1) * MSS_TS, p.paylen)
			TH_LOG("data segment %d", segs);
		EXPECT_TRUE(p.flags & TH_ACK);
		EXPECT_TRUE(p.tcp_csum_ok);
		next = p.seq + p.paylen;
	}
	EXPECT_LE(0, isn) TH_LOG("the sender's SYN or SYN-ACK was not captured");
	EXPECT_EQ(want, segs);
}

/*
 * @n bytes over a fresh connection, from the client if @to_server, else
 * from the server; then the receiver's one-byte ack and both closes.
 */
static void transfer(struct __test_metadata *_metadata, FIXTURE_DATA(xfer) *self,
		     int to_server, uint64_t n)
{
	struct side *snd = side_shared(), *rcv = side_shared();
	uint64_t seed = n * 2 + to_server, rng = seed ^ 0x5deece66dull;
	int c, s, sfd, rfd, cap = -1, st = -1, wire = n <= 2 * MSS_TS;
	char b[2] = { 0, 0 };
	pid_t pid;

	ASSERT_NE(NULL, snd);
	ASSERT_NE(NULL, rcv);
	if (wire) {
		ASSERT_EQ(0, netns_enter(to_server ? self->h.ns_c : self->h.ns_s));
		cap = cap_open(to_server ? VETH_C : VETH_S);
		ASSERT_LE(0, cap);
	}
	ASSERT_EQ(0, pair_connect(self->h.ns_c, self->cfam, self->h.ns_s, self->sfam,
				  SERVER_ADDR, PORT, STALL, &c, &s));
	sfd = to_server ? c : s;
	rfd = to_server ? s : c;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint64_t rrng = seed ^ 0x9e3779b9ull;

		close(sfd);
		recv_stream(rfd, seed, n, &rrng, rcv);
		if (!rcv->err && rcv->eof && send(rfd, "\x06", 1, MSG_NOSIGNAL) != 1) {
			rcv->err = errno;
			rcv->what = "send (the ack)";
		}
		if (rcv->err)
			close_rst(rfd);
		else
			close(rfd);
		_exit(0);
	}
	close(rfd);
	/* Around the MSS: one write, so that the segments are what the MSS makes them. */
	send_stream(sfd, seed, n, wire ? NULL : &rng, snd);
	if (snd->err) {
		kill(pid, SIGKILL);
	} else {
		EXPECT_EQ(0, outcome(shutdown(sfd, SHUT_WR)));
		EXPECT_EQ(1, recv(sfd, b, sizeof(b), 0)) TH_LOG("ack: %s", strerror(errno));
		EXPECT_EQ(6, b[0]);
		EXPECT_EQ(0, recv(sfd, b, sizeof(b), 0)) TH_LOG("EOF: %s", strerror(errno));
	}
	EXPECT_EQ(pid, waitpid(pid, &st, 0));
	if (n > 1000000)
		ksft_print_msg("%s %llu bytes: %.2f s\n", to_server ? "to server" : "to client",
			       (unsigned long long)n, rcv->secs);
	EXPECT_EQ(0, snd->err) side_log("sender", snd);
	EXPECT_EQ(n, snd->bytes);
	EXPECT_EQ(0, rcv->err) side_log("receiver", rcv);
	EXPECT_EQ(1, rcv->eof);
	EXPECT_EQ(n, rcv->bytes);
	EXPECT_EQ(-1, rcv->bad_at);
	EXPECT_EQ(snd->fnv, rcv->fnv);
	EXPECT_EQ(pat_fnv(seed, n), rcv->fnv);
	if (wire && !snd->err)
		check_wire(_metadata, cap, local_port(sfd), n);
	close(sfd);
	if (cap >= 0)
		close(cap);
}

#define SIZE_TESTS(dir, to_server)						\
TEST_F_TIMEOUT(xfer, dir##_1, TIMEOUT) { transfer(_metadata, self, to_server, 1); } \
TEST_F_TIMEOUT(xfer, dir##_mss_minus_1, TIMEOUT)				\
{ transfer(_metadata, self, to_server, MSS_TS - 1); }				\
TEST_F_TIMEOUT(xfer, dir##_mss, TIMEOUT)					\
{ transfer(_metadata, self, to_server, MSS_TS); }				\
TEST_F_TIMEOUT(xfer, dir##_mss_plus_1, TIMEOUT)					\
{ transfer(_metadata, self, to_server, MSS_TS + 1); }				\
TEST_F_TIMEOUT(xfer, dir##_64k, TIMEOUT)					\
{ transfer(_metadata, self, to_server, 65536); }				\
TEST_F_TIMEOUT(xfer, dir##_16m, TIMEOUT_BIG)					\
{ transfer(_metadata, self, to_server, 16 << 20); }

SIZE_TESTS(to_server, 1)
SIZE_TESTS(to_client, 0)

/*
 * Full duplex on one non-blocking socket: send stream @tx_seed (@n bytes,
 * then SHUT_WR) and receive the peer's stream @rx_seed until EOF, in one
 * poll() loop. A poll() that waits STALL seconds fails it.
 */
static void pump(int fd, uint64_t tx_seed, uint64_t rx_seed, uint64_t n, struct side *tx,
		 struct side *rx)
{
	unsigned char *buf = malloc(CHUNK_MAX), *want = malloc(CHUNK_MAX);
	uint64_t rng = tx_seed ^ rx_seed;
	int shut = 0;
	double t0 = now_s();

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while ((!rx->eof || !shut) && !rx->err && !tx->err) {
		struct pollfd p = { .fd = fd,
				    .events = (rx->eof ? 0 : POLLIN) | (shut ? 0 : POLLOUT) };
		int r = poll(&p, 1, STALL * 1000);

		if (r <= 0) {
			tx->err = r < 0 ? errno : ETIMEDOUT;
			tx->what = "poll (no progress)";
			break;
		}
		if ((p.revents & POLLOUT) && !shut) {
			size_t len = write_sizes[xorshift64(&rng) % (sizeof(write_sizes) /
								   sizeof(write_sizes[0]))];
			ssize_t k;

			if (len > n - tx->bytes)
				len = n - tx->bytes;
			pat_fill(tx_seed, tx->bytes, buf, len);
			k = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k > 0)
				side_add(tx, buf, k);
			else if (k < 0 && errno != EAGAIN) {
				tx->err = errno;
				tx->what = "send";
			}
			if (tx->bytes == n) {
				shut = 1;
				if (shutdown(fd, SHUT_WR)) {
					tx->err = errno;
					tx->what = "shutdown";
				}
			}
		}
		if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && !rx->eof) {
			size_t len = read_sizes[xorshift64(&rng) % (sizeof(read_sizes) /
								  sizeof(read_sizes[0]))];
			ssize_t k = recv(fd, buf, len, MSG_DONTWAIT);

			if (k > 0) {
				if (rx->bad_at < 0) {
					pat_fill(rx_seed, rx->bytes, want, k);
					for (ssize_t i = 0; i < k; i++)
						if (buf[i] != want[i]) {
							rx->bad_at = rx->bytes + i;
							break;
						}
				}
				side_add(rx, buf, k);
				if (rx->bytes > n) {
					rx->err = EMSGSIZE;
					rx->what = "recv (more bytes than sent)";
				}
			} else if (k == 0) {
				rx->eof = 1;
			} else if (errno != EAGAIN) {
				rx->err = errno;
				rx->what = "recv";
			}
		}
	}
	tx->secs = rx->secs = now_s() - t0;
	free(buf);
	free(want);
}

TEST_F_TIMEOUT(xfer, full_duplex_4m, TIMEOUT_BIG)
{
	struct side *ctx = side_shared(), *crx = side_shared(), *stx = side_shared(),
		    *srx = side_shared();
	const uint64_t n = 4 << 20, up = 0x1111, down = 0x2222;
	int c, s, st = -1;
	pid_t pid;

	ASSERT_NE(NULL, ctx);
	ASSERT_NE(NULL, crx);
	ASSERT_NE(NULL, stx);
	ASSERT_NE(NULL, srx);
	ASSERT_EQ(0, pair_connect(self->h.ns_c, self->cfam, self->h.ns_s, self->sfam,
				  SERVER_ADDR, PORT, STALL, &c, &s));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(c);
		pump(s, down, up, n, stx, srx);
		if (stx->err || srx->err)
			close_rst(s);
		else
			close(s);
		_exit(0);
	}
	close(s);
	pump(c, up, down, n, ctx, crx);
	if (ctx->err || crx->err)
		close_rst(c);
	else
		close(c);
	EXPECT_EQ(pid, waitpid(pid, &st, 0));
	ksft_print_msg("full duplex 2 x %llu bytes: %.2f s\n", (unsigned long long)n, ctx->secs);
	EXPECT_EQ(0, ctx->err) side_log("client tx", ctx);
	EXPECT_EQ(0, crx->err) side_log("client rx", crx);
	EXPECT_EQ(0, stx->err) side_log("server tx", stx);
	EXPECT_EQ(0, srx->err) side_log("server rx", srx);
	EXPECT_EQ(n, ctx->bytes);
	EXPECT_EQ(n, stx->bytes);
	EXPECT_EQ(1, crx->eof);
	EXPECT_EQ(1, srx->eof);
	EXPECT_EQ(n, srx->bytes);
	EXPECT_EQ(n, crx->bytes);
	EXPECT_EQ(-1, srx->bad_at);
	EXPECT_EQ(-1, crx->bad_at);
	EXPECT_EQ(ctx->fnv, srx->fnv);
	EXPECT_EQ(stx->fnv, crx->fnv);
	EXPECT_EQ(pat_fnv(up, n), srx->fnv);
	EXPECT_EQ(pat_fnv(down, n), crx->fnv);
	/*
	 * Both ends held out-of-order data at times, so data segments carried
	 * SACK blocks: each still fit the MTU (the data shortened for them).
	 */
	EXPECT_EQ(0, ip_frag_fails(self->h.ns_c));
	EXPECT_EQ(0, ip_frag_fails(self->h.ns_s));
}

TEST_HARNESS_MAIN
