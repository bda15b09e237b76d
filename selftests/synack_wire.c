// SPDX-License-Identifier: GPL-2.0
/*
 * The three-way handshake on the wire, a Linux client against an AF_INET
 * server and then a rust_tcp server in the same kernel: every property of
 * the SYN-ACK that does not depend on chance (flags, acknowledgment, option
 * layout and values, window, IP header, checksums) and the client's final
 * ACK must be the same, for several client configurations (timestamps,
 * SACK, window scaling, ECN on or off). The AF_INET half also has absolute
 * expectations, so that the comparison cannot pass vacuously.
 *
 * Capture: a packet socket on the server's veth, transmit checksum offload
 * off on both ends (see tx_csum_off() in common.h): with offload on, the
 * TCP checksum of every locally built segment is only partial on the veth,
 * on either side of it.
 */
#include "common.h"
#include "kselftest_harness.h"

#define PORT 6000

struct client_cfg {
	const char *name;
	int ts, sack, ws, ecn;
	int kinds[8];		/* AF_INET's SYN-ACK option kinds, -1 ended */
	int flags;		/* AF_INET's SYN-ACK flags */
};

static const struct client_cfg cfgs[] = {
	{ "default", 1, 1, 1, 0, { 2, 4, 8, 1, 3, -1 }, TH_SYN | TH_ACK },
	{ "no timestamps", 0, 1, 1, 0, { 2, 1, 1, 4, 1, 3, -1 }, TH_SYN | TH_ACK },
	{ "no SACK", 1, 0, 1, 0, { 2, 1, 1, 8, 1, 3, -1 }, TH_SYN | TH_ACK },
	{ "no window scaling", 1, 1, 0, 0, { 2, 4, 8, -1 }, TH_SYN | TH_ACK },
	{ "MSS only", 0, 0, 0, 0, { 2, -1 }, TH_SYN | TH_ACK },
	{ "ECN", 1, 1, 1, 1, { 2, 4, 8, 1, 3, -1 }, TH_SYN | TH_ACK | TH_ECE },
};

/* What one handshake showed, with the values that differ by chance left out. */
struct hs {
	int seen;		/* bit 0 SYN, 1 SYN-ACK, 2 final ACK */
	int accepted;
	/* SYN-ACK */
	int flags, doff, win, urg, paylen, ack_is_isn1;
	int optlen, mss, ws, has_ts, tsecr_echoes;
	unsigned char opt[40];	/* option bytes, timestamp values zeroed */
	int tos, ttl, df, id_zero, ip_len, ip_csum_ok, tcp_csum_ok;
	/* final ACK from the client */
	int ack_seq_ok, ack_ack_ok, ack_flags;
};

static void describe(struct __test_metadata *_metadata, const char *who, const struct hs *h)
{
	char opt[128] = "";

	for (int i = 0; i < h->optlen; i++)
		snprintf(opt + strlen(opt), sizeof(opt) - strlen(opt), "%02x", h->opt[i]);
	TH_LOG("%s: seen %#x accepted %d; SYN-ACK flags %#x doff %d win %d urg %d len %d ack+1 %d"
	       " opts %s mss %d ws %d ts %d echo %d; ip tos %#x ttl %d df %d id0 %d len %d"
	       " csum %d/%d; ACK seq %d ack %d flags %#x", who, h->seen, h->accepted,
	       h->flags, h->doff, h->win, h->urg, h->paylen, h->ack_is_isn1, opt, h->mss,
	       h->ws, h->has_ts, h->tsecr_echoes, h->tos, h->ttl, h->df, h->id_zero,
	       h->ip_len, h->ip_csum_ok, h->tcp_csum_ok, h->ack_seq_ok, h->ack_ack_ok,
	       h->ack_flags);
}

FIXTURE(wire)
{
	struct two_hosts h;
	int cap;
};

FIXTURE_SETUP(wire)
{
	self->cap = self->h.ns_c = self->h.ns_s = -1;
	ASSERT_EQ(0, two_hosts_setup(&self->h));
	self->cap = cap_open(VETH_S);
	ASSERT_LE(0, self->cap);
}

FIXTURE_TEARDOWN(wire)
{
	if (self->cap >= 0)
		close(self->cap);
	two_hosts_teardown(&self->h);
}

static void set_client(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
		       const struct client_cfg *c)
{
	ASSERT_EQ(0, netns_enter(self->h.ns_c));
	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_timestamps", c->ts ? "1" : "0"));
	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_sack", c->sack ? "1" : "0"));
	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_window_scaling", c->ws ? "1" : "0"));
	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_ecn", c->ecn ? "1" : "2"));
	ASSERT_EQ(0, netns_enter(self->h.ns_s));
}

/* One handshake with a @family server on @port: what the wire showed. */
static struct hs handshake(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
			   int family, int port)
{
	struct pkt syn = { 0 }, sa = { 0 }, p;
	struct hs h = { 0 };
	int l, c, a, cport, at, len;
	uint32_t syn_tsval = 0, v, e;
	double end;

	ASSERT_EQ(0, netns_enter(self->h.ns_s));
	l = socket(family, SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind_to(l, SERVER_ADDR, port));
	ASSERT_EQ(0, listen(l, 8));
	cap_drain(self->cap);
	c = socket_in(self->h.ns_c, AF_INET, SOCK_STREAM);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, netns_enter(self->h.ns_s));
	ASSERT_EQ(0, connect_nb(c, SERVER_ADDR, port));
	EXPECT_EQ(0, wait_connected(c, 2000));
	cport = local_port(c);

	end = now_s() + 1.5;
	while (h.seen != 7 && now_s() < end) {
		int got = cap_next(self->cap, &p, 200);

		if (got < 0)
			break;
		if (!got)
			continue;
		if (!p.outgoing && p.dport == port && p.sport == cport &&
		    (p.flags & (TH_SYN | TH_ACK)) == TH_SYN && !(h.seen & 1)) {
			syn = p;
			h.seen |= 1;
			tcp_opt_ts(&syn, &syn_tsval, &e);
		} else if (p.outgoing && p.sport == port && p.dport == cport &&
			   (p.flags & TH_SYN) && (h.seen & 1) && !(h.seen & 2)) {
			sa = p;
			h.seen |= 2;
		} else if (!p.outgoing && p.dport == port && p.sport == cport &&
			   (h.seen & 2) && !(h.seen & 4)) {
			h.seen |= 4;
			h.ack_seq_ok = p.seq == syn.seq + 1;
			h.ack_ack_ok = p.ack == sa.seq + 1;
			h.ack_flags = p.flags;
		}
	}
	a = -1;
	if (poll(&(struct pollfd){ .fd = l, .events = POLLIN }, 1, 1000) == 1)
		a = accept(l, NULL, NULL);
	h.accepted = a >= 0;
	close_rst(c);
	if (a >= 0)
		close(a);
	close(l);
	if (!(h.seen & 2))
		return h;

	h.flags = sa.flags;
	h.doff = sa.doff;
	h.win = sa.win;
	h.urg = sa.urg;
	h.paylen = sa.paylen;
	h.ack_is_isn1 = sa.ack == syn.seq + 1;
	h.optlen = sa.optlen;
	memcpy(h.opt, pkt_opt(&sa), sa.optlen);
	h.mss = tcp_opt_mss(&sa);
	h.ws = tcp_opt_wscale(&sa);
	h.has_ts = !tcp_opt_ts(&sa, &v, &e);
	h.tsecr_echoes = h.has_ts && e == syn_tsval;
	at = tcp_opt_at(&sa, TCPOPT_TIMESTAMP, &len);
	if (at >= 0 && len == 10)
		memset(h.opt + at + 2, 0, 8);	/* TSval and TSecr: by chance */
	h.tos = sa.tos;
	h.ttl = sa.ttl;
	h.df = sa.df;
	h.id_zero = sa.id == 0;
	h.ip_len = sa.len;
	h.ip_csum_ok = sa.ip_csum_ok;
	h.tcp_csum_ok = sa.tcp_csum_ok;
	return h;
}

static void check_inet(struct __test_metadata *_metadata, const struct client_cfg *c,
		       const struct hs *h)
{
	int kinds[20], n = tcp_opt_kinds(h->opt, h->optlen, kinds, 20);

	EXPECT_EQ(7, h->seen);
	EXPECT_EQ(1, h->accepted);
	EXPECT_EQ(c->flags, h->flags);
	EXPECT_EQ(1, h->ack_is_isn1);
	EXPECT_EQ(20 + h->optlen, h->doff);
	EXPECT_EQ(0, h->paylen);
	EXPECT_EQ(0, h->urg);
	EXPECT_GE(65535, h->win);
	EXPECT_LT(1460, h->win);
	EXPECT_EQ(1460, h->mss);
	/* The scale follows tcp_rmem and rmem_max (7 by default; 10 seen on a host). */
	if (c->ws) {
		EXPECT_LE(0, h->ws);
		EXPECT_GE(14, h->ws);
	} else {
		EXPECT_EQ(-1, h->ws);
	}
	EXPECT_EQ(c->ts, h->has_ts);
	EXPECT_EQ(c->ts, h->tsecr_echoes);
	for (int i = 0; i < 8 && c->kinds[i] >= 0; i++) {
		EXPECT_LT(i, n);
		EXPECT_EQ(c->kinds[i], i < n ? kinds[i] : -1) TH_LOG("option %d", i);
	}
	EXPECT_EQ(0, h->optlen % 4);
	EXPECT_EQ(1, h->df);
	EXPECT_EQ(1, h->id_zero);
	EXPECT_EQ(64, h->ttl);
	EXPECT_EQ(0, h->tos);
	EXPECT_EQ(20 + h->doff, h->ip_len);
	EXPECT_EQ(1, h->ip_csum_ok);
	EXPECT_EQ(1, h->tcp_csum_ok);
	EXPECT_EQ(1, h->ack_seq_ok);
	EXPECT_EQ(1, h->ack_ack_ok);
	EXPECT_EQ(TH_ACK, h->ack_flags);
}

TEST_F_TIMEOUT(wire, synack_matches_af_inet, 120)
{
	const int n = sizeof(cfgs) / sizeof(cfgs[0]);
	struct hs inet[8], rust[8];
	int port = PORT;

	for (int i = 0; i < n; i++) {
		set_client(_metadata, self, &cfgs[i]);
		inet[i] = handshake(_metadata, self, AF_INET, port++);
		check_inet(_metadata, &cfgs[i], &inet[i]);
		if (getenv("RUST_TCP_DUMP"))	/* RUST_TCP_DUMP=1: show them */
			describe(_metadata, cfgs[i].name, &inet[i]);
		if (_metadata->exit_code != KSFT_PASS) {
			TH_LOG("client %s", cfgs[i].name);
			describe(_metadata, "AF_INET", &inet[i]);
			return;
		}
	}
	SKIP_WITHOUT_RUST_TCP();
	for (int i = 0; i < n; i++) {
		set_client(_metadata, self, &cfgs[i]);
		rust[i] = handshake(_metadata, self, rust_tcp_family(), port++);
		EXPECT_EQ(0, memcmp(&inet[i], &rust[i], sizeof(inet[i]))) {
			TH_LOG("client %s", cfgs[i].name);
			describe(_metadata, "AF_INET ", &inet[i]);
			describe(_metadata, "rust_tcp", &rust[i]);
		}
	}
}

TEST_HARNESS_MAIN
