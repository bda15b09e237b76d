// SPDX-License-Identifier: GPL-2.0
/*
 * connect() on the wire: the client's SYN and final ACK, compared field by
 * field between an AF_INET client and a rust_tcp client, against an AF_INET
 * and against a rust_tcp listener; SYN retransmission times and the
 * ETIMEDOUT that ends them (TCP_SYNCNT); and what a socket in SYN_SENT does
 * with odd segments (RST without ACK, SYN-ACK or RST with an unacceptable
 * ACK, a crossing SYN: simultaneous open).
 *
 * Client at 10.0.1.1, server netns at 10.0.1.2, veth between, checksum
 * offload off, a packet socket on the server's veth. For the SYN_SENT
 * cases the server is deaf (server_deaf(): the client's frames are
 * captured but the server kernel never sees them) and the server's side is
 * played by segments crafted with raw_seg() in the server netns. Each test
 * runs the AF_INET client first, checks it against absolute expectations
 * (so a comparison cannot pass vacuously), then the rust_tcp client, and
 * requires the same observations.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>

#include "common.h"
#include "kselftest_harness.h"

#define PORT 8000
#define TIMEOUT 60
#define PEER_ISN 0x50000000u	/* sequence number of crafted SYNs and SYN-ACKs */

FIXTURE(wire)
{
	struct two_hosts h;
	int cap, raw;
	int port;	/* the next server port: each connection gets its own */
};

FIXTURE_SETUP(wire)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	self->cap = self->raw = self->h.ns_c = self->h.ns_s = -1;
	self->port = PORT;
	ASSERT_EQ(0, two_hosts_setup_quick(&self->h));
	self->cap = cap_open(VETH_S);
	ASSERT_LE(0, self->cap);
	self->raw = raw_open();
	ASSERT_LE(0, self->raw);
}

FIXTURE_TEARDOWN(wire)
{
	if (self->cap >= 0)
		close(self->cap);
	if (self->raw >= 0)
		close(self->raw);
	two_hosts_teardown(&self->h);
}

static const char *fam_name(int family)
{
	return family == AF_INET ? "AF_INET" : "rust_tcp";
}

/* A socket of @family in the client netns (where we stay). */
static int csock(FIXTURE_DATA(wire) *self, int family, int flags)
{
	return socket_in(self->h.ns_c, family, SOCK_STREAM | flags);
}

/* The timestamp option's offset in @p's options, -1 if none. */
static int ts_at(const struct pkt *p)
{
	int len, at = tcp_opt_at(p, TCPOPT_TIMESTAMP, &len);

	return at >= 0 && len == 10 ? at : -1;
}

/* @p's option bytes into @out with the timestamp values zeroed; their length. */
static int opts_no_ts(const struct pkt *p, unsigned char *out)
{
	int at = ts_at(p);

	memcpy(out, pkt_opt(p), p->optlen);
	if (at >= 0)
		memset(out + at + 2, 0, 8);
	return p->optlen;
}

/* What a segment shows that does not depend on chance (no ISN, port, TS value, IP ID). */
struct seg {
	int present;
	int flags, doff, win, urg, paylen, optlen;
	unsigned char opt[40];
	int tos, ttl, df, ip_len, ip_csum_ok, tcp_csum_ok;
};

static void seg_fill(struct seg *s, const struct pkt *p)
{
	memset(s, 0, sizeof(*s));
	s->present = 1;
	s->flags = p->flags;
	s->doff = p->doff;
	s->win = p->win;
	s->urg = p->urg;
	s->paylen = p->paylen;
	s->optlen = opts_no_ts(p, s->opt);
	s->tos = p->tos;
	s->ttl = p->ttl;
	s->df = p->df;
	s->ip_len = p->len;
	s->ip_csum_ok = p->ip_csum_ok;
	s->tcp_csum_ok = p->tcp_csum_ok;
}

static void seg_log(struct __test_metadata *_metadata, const char *who, const struct seg *s)
{
	char opt[100] = "";

	for (int i = 0; i < s->optlen; i++)
		snprintf(opt + strlen(opt), sizeof(opt) - strlen(opt), "%02x", s->opt[i]);
	TH_LOG("  %s: present %d flags %#x doff %d win %d urg %d len %d opts %s tos %#x ttl %d"
	       " df %d iplen %d csum %d/%d", who, s->present, s->flags, s->doff, s->win, s->urg,
	       s->paylen, opt, s->tos, s->ttl, s->df, s->ip_len, s->ip_csum_ok, s->tcp_csum_ok);
}

/* The options of a default Linux SYN, timestamp values zeroed. */
static const unsigned char linux_syn_opts[20] = {
	2, 4, 0x05, 0xb4,	/* MSS 1460 */
	4, 2,			/* SACK permitted */
	8, 10, 0, 0, 0, 0, 0, 0, 0, 0,	/* timestamps */
	1,			/* NOP */
	3, 3, 7,		/* window scale 7 */
};

/* A default Linux SYN (or SYN-ACK with @flags), absolutely. */
static void expect_linux_syn(struct __test_metadata *_metadata, const struct seg *s, int flags)
{
	EXPECT_EQ(1, s->present);
	EXPECT_EQ(flags, s->flags);
	EXPECT_EQ(40, s->doff);
	EXPECT_EQ(64240, s->win);
	EXPECT_EQ(0, s->urg);
	EXPECT_EQ(0, s->paylen);
	EXPECT_EQ(20, s->optlen);
	EXPECT_EQ(0, memcmp(linux_syn_opts, s->opt, 20));
	EXPECT_EQ(0, s->tos);
	EXPECT_EQ(64, s->ttl);
	EXPECT_EQ(1, s->df);
	EXPECT_EQ(60, s->ip_len);
	EXPECT_EQ(1, s->ip_csum_ok);
	EXPECT_EQ(1, s->tcp_csum_ok);
}

/* A bare segment (@flags, options @optlen bytes), absolutely: IP header as Linux's. */
static void expect_bare(struct __test_metadata *_metadata, const struct seg *s, int flags,
			int optlen)
{
	EXPECT_EQ(1, s->present);
	EXPECT_EQ(flags, s->flags);
	EXPECT_EQ(20 + optlen, s->doff);
	EXPECT_EQ(optlen, s->optlen);
	EXPECT_EQ(0, s->urg);
	EXPECT_EQ(0, s->paylen);
	EXPECT_EQ(0, s->tos);
	EXPECT_EQ(64, s->ttl);
	EXPECT_EQ(1, s->df);
	EXPECT_EQ(40 + optlen, s->ip_len);
	EXPECT_EQ(1, s->ip_csum_ok);
	EXPECT_EQ(1, s->tcp_csum_ok);
}

/*
 * The next segment the client sends from port @cport (seen arriving at the
 * server's veth) within @ms whose flags masked by @mask are @val: 1 (in @p)
 * or 0.
 */
static int from_client(FIXTURE_DATA(wire) *self, struct pkt *p, int ms, int cport, int mask,
		       int val)
{
	double end = now_s() + ms / 1000.0;
	int left;

	while ((left = (int)((end - now_s()) * 1000)) > 0) {
		if (cap_next(self->cap, p, left) != 1)
			return 0;
		if (!p->outgoing && p->sport == cport && (p->flags & mask) == val)
			return 1;
	}
	return 0;
}

/* How many segments the client sends from @cport within @ms (anything). */
static int count_from_client(FIXTURE_DATA(wire) *self, int ms, int cport)
{
	struct pkt p;
	int n = 0;

	while (from_client(self, &p, ms, cport, 0, 0))
		n++;
	return n;
}

/* ---- the handshake on the wire ------------------------------------------ */

struct hs {
	int connected, accepted, names_agree, sport_even, sport_in_range;
	struct seg syn, ack;
	int syn_ack_field_zero, syn_tsecr_zero;
	int ack_seq_ok, ack_ack_ok, ack_tsecr_echoes, ack_tsval_after_syn, ack_id_next;
};

static void hs_log(struct __test_metadata *_metadata, const char *who, const struct hs *h)
{
	TH_LOG("%s: connected %d accepted %d names %d sport even %d in range %d; SYN ack0 %d"
	       " ecr0 %d; ACK seq %d ack %d ecr %d tsval %d id+1 %d", who, h->connected,
	       h->accepted, h->names_agree, h->sport_even, h->sport_in_range,
	       h->syn_ack_field_zero, h->syn_tsecr_zero, h->ack_seq_ok, h->ack_ack_ok,
	       h->ack_tsecr_echoes, h->ack_tsval_after_syn, h->ack_id_next);
	seg_log(_metadata, "SYN", &h->syn);
	seg_log(_metadata, "ACK", &h->ack);
}

/* A @client-family client connects to a @server-family listener: the wire. */
static struct hs handshake(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
			   int client, int server)
{
	struct pkt syn, sa = { 0 }, ack, p;
	struct sockaddr_in cme, cpeer, ame, apeer;
	uint32_t syn_val = 0, syn_ecr = 1, sa_val = 0, v, e;
	int port = self->port++, l, c, a, cport, got;
	struct hs h;

	memset(&h, 0, sizeof(h));
	ASSERT_EQ(0, netns_enter(self->h.ns_s));
	l = socket(server, SOCK_STREAM, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bind_to(l, SERVER_ADDR, port));
	ASSERT_EQ(0, listen(l, 4));
	c = csock(self, client, 0);
	ASSERT_LE(0, c);
	cap_drain(self->cap);
	h.connected = connect_to(c, SERVER_ADDR, port) == 0;
	cport = local_port(c);
	h.sport_even = !(cport & 1);
	h.sport_in_range = cport >= 32768 && cport <= 60999;
	a = -1;
	if (poll(&(struct pollfd){ .fd = l, .events = POLLIN }, 1, 2000) == 1)
		a = accept(l, NULL, NULL);
	h.accepted = a >= 0;
	if (a >= 0)
		h.names_agree = !sock_name(c, &cme) && !peer_name(c, &cpeer) &&
				!sock_name(a, &ame) && !peer_name(a, &apeer) &&
				sin_same(&cme, &apeer) && sin_same(&cpeer, &ame);

	got = from_client(self, &syn, 1000, cport, 0xff, TH_SYN);
	while (got && cap_next(self->cap, &p, 1000) == 1) {
		if (p.outgoing && p.dport == cport && p.flags == (TH_SYN | TH_ACK)) {
			sa = p;
			break;
		}
	}
	if (got && from_client(self, &ack, 1000, cport, 0xff, TH_ACK)) {
		seg_fill(&h.syn, &syn);
		seg_fill(&h.ack, &ack);
		h.syn_ack_field_zero = syn.ack == 0;
		if (!tcp_opt_ts(&syn, &syn_val, &syn_ecr))
			h.syn_tsecr_zero = syn_ecr == 0;
		tcp_opt_ts(&sa, &sa_val, &e);
		h.ack_seq_ok = ack.seq == syn.seq + 1;
		h.ack_ack_ok = ack.ack == sa.seq + 1;
		if (!tcp_opt_ts(&ack, &v, &e)) {
			h.ack_tsecr_echoes = e == sa_val;
			h.ack_tsval_after_syn = v - syn_val < 5000;	/* ms, mod 2^32 */
		}
		h.ack_id_next = ack.id == ((syn.id + 1) & 0xffff);
	}
	close_rst(c);
	close_rst(a);
	close(l);
	return h;
}

static void expect_linux_handshake(struct __test_metadata *_metadata, const struct hs *h)
{
	EXPECT_EQ(1, h->connected);
	EXPECT_EQ(1, h->accepted);
	EXPECT_EQ(1, h->names_agree);
	EXPECT_EQ(1, h->sport_even);
	EXPECT_EQ(1, h->sport_in_range);
	expect_linux_syn(_metadata, &h->syn, TH_SYN);
	EXPECT_EQ(1, h->syn_ack_field_zero);
	EXPECT_EQ(1, h->syn_tsecr_zero);
	expect_bare(_metadata, &h->ack, TH_ACK, 12);
	EXPECT_EQ(0, memcmp("\x01\x01\x08\x0a\0\0\0\0\0\0\0\0", h->ack.opt, 12));
	EXPECT_LT(0, h->ack.win);
	EXPECT_EQ(1, h->ack_seq_ok);
	EXPECT_EQ(1, h->ack_ack_ok);
	EXPECT_EQ(1, h->ack_tsecr_echoes);
	EXPECT_EQ(1, h->ack_tsval_after_syn);
	EXPECT_EQ(1, h->ack_id_next);
}

/*
 * The SYN and the final ACK of a rust_tcp client are an AF_INET client's,
 * against an AF_INET listener and against a rust_tcp listener: SYN window
 * 64240, MSS 1460, SACK_PERM, TS (ecr 0), NOP, WS 7 in that order, DF, TTL
 * 64, TOS 0, valid checksums; the ACK's seq and ack exact, its window the
 * same, TS echoing the SYN-ACK's, IP ID the SYN's + 1. The listener
 * accepts, and both ends agree on the names.
 */
TEST_F_TIMEOUT(wire, handshake_matches_af_inet, TIMEOUT)
{
	struct hs inet[2], rust[2];
	int have_rust = family_available(rust_tcp_family());

	for (int s = 0; s < 1 + have_rust; s++) {
		int server = s ? rust_tcp_family() : AF_INET;

		inet[s] = handshake(_metadata, self, AF_INET, server);
		expect_linux_handshake(_metadata, &inet[s]);
		if (getenv("RUST_TCP_DUMP"))	/* RUST_TCP_DUMP=1: show them */
			hs_log(_metadata, s ? "AF_INET to rust_tcp" : "AF_INET to AF_INET", &inet[s]);
		if (_metadata->exit_code != KSFT_PASS) {
			hs_log(_metadata, s ? "AF_INET to rust_tcp" : "AF_INET to AF_INET", &inet[s]);
			return;
		}
	}
	SKIP_WITHOUT_RUST_TCP();
	for (int s = 0; s < 2; s++) {
		int server = s ? rust_tcp_family() : AF_INET;

		rust[s] = handshake(_metadata, self, rust_tcp_family(), server);
		EXPECT_EQ(0, memcmp(&inet[s], &rust[s], sizeof(inet[s]))) {
			TH_LOG("to a %s listener:", fam_name(server));
			hs_log(_metadata, "AF_INET ", &inet[s]);
			hs_log(_metadata, "rust_tcp", &rust[s]);
		}
	}
}

/* ---- SYN retransmission and ETIMEDOUT ----------------------------------- */

#define MAX_SYNS 10

struct attempt {
	int family, syncnt, blocking, fd, port, cport;
	int by_sysctl;			/* syncnt from tcp_syn_retries, no TCP_SYNCNT */
	/* results */
	int nsyn, err, err_after;	/* err: ETIMEDOUT expected; err_after: SO_ERROR again */
	double syn_at[MAX_SYNS];	/* capture times, from the first SYN */
	double t_first, t_end;		/* CLOCK_REALTIME: first SYN, connect's end */
	int same_segment;		/* every retransmission as the first SYN (but TS) */
	int peer_after;			/* getpeername's errno at the end */
	uint32_t seq0;
	struct seg first;
	volatile int done;		/* a blocking connect has returned */
};

static double absd(double x)
{
	return x < 0 ? -x : x;
}

static double real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *blocking_connect(void *arg)
{
	struct attempt *a = arg;

	a->err = connect_to(a->fd, SERVER_ADDR, a->port);
	a->t_end = real_s();
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Nominal SYN times (s after the first) with tcp_syn_linear_timeouts = 4:
 * the first retransmissions 1 s apart, then doubling; ETIMEDOUT when the
 * time for TCP_SYNCNT exponential retransmissions ((2^(n+1) - 1) s) is up.
 */
static const double syncnt1_syns[] = { 0, 1, 2 }, syncnt1_end = 3;
static const double syncnt2_syns[] = { 0, 1, 2, 3, 4, 5 }, syncnt2_end = 7;

/*
 * SYN retries 1 and 2, a blocking and a non-blocking connect of each, on
 * each family at once, to a deaf server: the SYN count and times, and
 * ETIMEDOUT at the end. The blocking connects with 1 retry take it from
 * the netns's tcp_syn_retries (set to 1), the others from TCP_SYNCNT.
 * AF_INET against the nominal times (250 ms + 5 %), rust_tcp against
 * AF_INET's (150 ms). Every retransmission is the first SYN again (same
 * sequence number and options but for the timestamp).
 */
TEST_F_TIMEOUT(wire, syn_retransmits_and_etimedout, TIMEOUT)
{
	int have_rust = family_available(rust_tcp_family()), n = 0;
	struct attempt at[8];
	pthread_t th[8];
	char buf[16];
	double end;

	ASSERT_EQ(0, netns_enter(self->h.ns_c));
	ASSERT_EQ(0, sysctl_get("net/ipv4/tcp_syn_linear_timeouts", buf, sizeof(buf)));
	ASSERT_EQ(4, atoi(buf));
	ASSERT_EQ(0, sysctl_set("net/ipv4/tcp_syn_retries", "1"));
	ASSERT_EQ(0, server_deaf(&self->h, 1));
	memset(at, 0, sizeof(at));
	for (int f = 0; f < 1 + have_rust; f++)
		for (int k = 0; k < 4; k++) {
			struct attempt *a = &at[n++];

			a->family = f ? rust_tcp_family() : AF_INET;
			a->syncnt = 1 + (k & 1);
			a->blocking = k >= 2;
			a->by_sysctl = a->blocking && a->syncnt == 1;
			a->port = self->port++;
		}
	cap_drain(self->cap);
	for (int i = 0; i < n; i++) {
		struct attempt *a = &at[i];

		a->fd = csock(self, a->family, a->blocking ? 0 : SOCK_NONBLOCK);
		ASSERT_LE(0, a->fd);
		if (!a->by_sysctl)
			ASSERT_EQ(0, sockopt_set(a->fd, IPPROTO_TCP, TCP_SYNCNT, a->syncnt));
		EXPECT_EQ(a->syncnt, sockopt_get(a->fd, IPPROTO_TCP, TCP_SYNCNT));
		if (a->blocking) {
			ASSERT_EQ(0, pthread_create(&th[i], NULL, blocking_connect, a));
		} else {
			ASSERT_EQ(EINPROGRESS, connect_to(a->fd, SERVER_ADDR, a->port));
			a->cport = local_port(a->fd);
		}
	}
	/* Capture until every attempt has ended (10 s at most: the longest is 7 s). */
	end = now_s() + 10;
	for (;;) {
		struct pkt p;
		int open = 0;

		for (int i = 0; i < n; i++) {
			struct attempt *a = &at[i];

			if (a->blocking || a->t_end)
				continue;
			if (revents_now(a->fd, POLLOUT) & POLLOUT) {
				a->t_end = real_s();
				a->err = sockopt_get(a->fd, SOL_SOCKET, SO_ERROR);
			}
			open += !a->t_end;
		}
		for (int i = 0; i < n; i++)
			open += at[i].blocking && !__atomic_load_n(&at[i].done, __ATOMIC_ACQUIRE);
		if (!open || now_s() > end)
			break;
		if (cap_next(self->cap, &p, 20) != 1 || p.outgoing || p.flags != TH_SYN)
			continue;
		for (int i = 0; i < n; i++) {
			struct attempt *a = &at[i];
			struct seg s;

			if (a->blocking && !a->cport)
				a->cport = local_port(a->fd);
			if (p.sport != a->cport || p.dport != a->port || a->nsyn >= MAX_SYNS)
				continue;
			seg_fill(&s, &p);
			if (!a->nsyn) {
				a->t_first = p.ts;
				a->first = s;
				a->seq0 = p.seq;
				a->same_segment = 1;
			} else if (memcmp(&s, &a->first, sizeof(s)) || p.seq != a->seq0) {
				a->same_segment = 0;
			}
			a->syn_at[a->nsyn++] = p.ts - a->t_first;
		}
	}
	for (int i = 0; i < n; i++) {
		struct attempt *a = &at[i];

		if (a->blocking)
			pthread_join(th[i], NULL);
		a->err_after = sockopt_get(a->fd, SOL_SOCKET, SO_ERROR);
		a->peer_after = peer_name(a->fd, &(struct sockaddr_in){ 0 });
		close(a->fd);
	}
	for (int i = 0; i < n; i++) {
		struct attempt *a = &at[i], *ref = &at[i % 4];
		const double *nominal = a->syncnt == 1 ? syncnt1_syns : syncnt2_syns;
		double nominal_end = a->syncnt == 1 ? syncnt1_end : syncnt2_end;
		int want = a->syncnt == 1 ? 3 : 6;

		TH_LOG("%s %s %d %s: %d SYNs at %.2f %.2f %.2f %.2f %.2f %.2f, %s at %.2f",
		       fam_name(a->family), a->by_sysctl ? "tcp_syn_retries" : "TCP_SYNCNT",
		       a->syncnt, a->blocking ? "blocking" : "non-blocking",
		       a->nsyn, a->syn_at[0], a->syn_at[1], a->syn_at[2], a->syn_at[3],
		       a->syn_at[4], a->syn_at[5], errname(a->err), a->t_end - a->t_first);
		EXPECT_EQ(want, a->nsyn);
		EXPECT_EQ(ETIMEDOUT, a->err);
		EXPECT_EQ(0, a->err_after);
		EXPECT_EQ(ENOTCONN, a->peer_after);
		EXPECT_EQ(1, a->same_segment);
		expect_linux_syn(_metadata, &a->first, TH_SYN);
		if (a->family == AF_INET) {
			/* Timer slack adds some 20 ms a retransmission: 250 ms + 5 %. */
			for (int k = 0; k < want && k < a->nsyn; k++) {
				EXPECT_GT(0.25 + nominal[k] / 20, absd(a->syn_at[k] - nominal[k]))
					TH_LOG("SYN %d", k);
			}
			EXPECT_GT(0.25 + nominal_end / 20, absd(a->t_end - a->t_first - nominal_end));
		} else {
			EXPECT_EQ(ref->nsyn, a->nsyn);
			for (int k = 0; k < ref->nsyn && k < a->nsyn; k++) {
				EXPECT_GT(0.15, absd(a->syn_at[k] - ref->syn_at[k])) TH_LOG("SYN %d", k);
			}
			EXPECT_GT(0.15, absd((a->t_end - a->t_first) - (ref->t_end - ref->t_first)));
		}
	}
	SKIP_WITHOUT_RUST_TCP();
}

/* ---- odd segments in SYN_SENT -------------------------------------------- */

/* A client in SYN_SENT to a deaf server: its fd, local port and ISN. */
struct pending {
	int fd, port, cport;
	uint32_t isn;
	double t_syn;
};

static int pending_connect(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
			   int family, struct pending *c)
{
	struct pkt p;

	c->port = self->port++;
	c->fd = csock(self, family, SOCK_NONBLOCK);
	if (c->fd < 0)
		return errno;
	cap_drain(self->cap);
	if (connect_to(c->fd, SERVER_ADDR, c->port) != EINPROGRESS)
		return EIO;
	c->cport = local_port(c->fd);
	if (!from_client(self, &p, 1000, c->cport, 0xff, TH_SYN))
		return ETIMEDOUT;
	c->isn = p.seq;
	c->t_syn = p.ts;
	return 0;
}

/* The server's side, crafted: a segment from SERVER_ADDR:port to the client. */
static int inject(FIXTURE_DATA(wire) *self, const struct pending *c, uint32_t seq, uint32_t ack,
		  int flags, const unsigned char *opt, int optlen)
{
	return raw_seg(self->raw, SERVER_ADDR, c->port, CLIENT_ADDR, c->cport, seq, ack, flags,
		       65535, opt, optlen);
}

/* What the socket says about itself: in SYN_SENT, revents 0, no error, no peer. */
struct state {
	int revents, so_error, peer_err, connect_err;
};

static struct state state_of(const struct pending *c, int try_connect)
{
	struct state s;

	s.revents = revents_now(c->fd, POLLIN | POLLOUT | POLLRDHUP);
	s.so_error = sockopt_get(c->fd, SOL_SOCKET, SO_ERROR);
	s.peer_err = peer_name(c->fd, &(struct sockaddr_in){ 0 });
	s.connect_err = try_connect ? connect_to(c->fd, SERVER_ADDR, c->port) : -1;
	return s;
}

struct odd {
	/* RST without ACK: ignored */
	int rst_replies;
	struct state after_rst;
	/* SYN-ACK acking one past snd_nxt: RST seq = that ack */
	struct seg rst1;
	int rst1_seq_ok, rst1_ack_zero, quick_resyn;
	struct state after_bad1;
	/* SYN-ACK acking the ISN itself (= snd_una): RST seq = ISN */
	struct seg rst2;
	int rst2_seq_ok;
	/* RST+ACK with an unacceptable ACK: dropped */
	int rstack_replies;
	struct state after_rstack;
	/* the good SYN-ACK at last */
	struct state established;
	struct seg ack;
	int ack_seq_ok, ack_ack_ok;
	struct state connected;
};

static void state_log(struct __test_metadata *_metadata, const char *what, const struct state *s)
{
	TH_LOG("  %s: revents %#x SO_ERROR %s peer %s connect %s", what, s->revents,
	       errname(s->so_error), errname(s->peer_err), s->connect_err < 0 ? "-" :
	       errname(s->connect_err));
}

static void odd_log(struct __test_metadata *_metadata, const char *who, const struct odd *o)
{
	TH_LOG("%s: replies to RST %d, to RST+bad ACK %d; RST seq %d/%d ack0 %d; quick SYN %d;"
	       " ACK seq %d ack %d", who, o->rst_replies, o->rstack_replies, o->rst1_seq_ok,
	       o->rst2_seq_ok, o->rst1_ack_zero, o->quick_resyn, o->ack_seq_ok, o->ack_ack_ok);
	state_log(_metadata, "after RST", &o->after_rst);
	state_log(_metadata, "after bad SYN-ACK", &o->after_bad1);
	state_log(_metadata, "after RST+bad ACK", &o->after_rstack);
	state_log(_metadata, "after SYN-ACK", &o->established);
	state_log(_metadata, "then", &o->connected);
	seg_log(_metadata, "RST 1", &o->rst1);
	seg_log(_metadata, "RST 2", &o->rst2);
	seg_log(_metadata, "ACK", &o->ack);
}

static struct odd odd_segments(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
			       int family)
{
	struct pending c;
	struct odd o;
	struct pkt p;
	double t;

	memset(&o, 0, sizeof(o));
	ASSERT_EQ(0, pending_connect(_metadata, self, family, &c));
	/* An RST without ACK: dropped, no answer, nothing changes. */
	ASSERT_EQ(0, inject(self, &c, 12345, 0, TH_RST, NULL, 0));
	o.rst_replies = count_from_client(self, 150, c.cport);
	o.after_rst = state_of(&c, 1);

	/* A SYN-ACK acking beyond what was sent: RST, seq = its ACK, no ACK flag. */
	t = real_s();
	ASSERT_EQ(0, inject(self, &c, PEER_ISN, c.isn + 2, TH_SYN | TH_ACK, syn_opts_nots, 12));
	if (from_client(self, &p, 500, c.cport, TH_RST, TH_RST)) {
		seg_fill(&o.rst1, &p);
		o.rst1_seq_ok = p.seq == c.isn + 2;
		o.rst1_ack_zero = p.ack == 0;
	}
	/* No SYN retransmitted yet: Linux re-arms the timer to TCP_TIMEOUT_MIN. */
	if (from_client(self, &p, 600, c.cport, 0xff, TH_SYN))
		o.quick_resyn = p.ts - t < 0.5 && p.seq == c.isn;
	o.after_bad1 = state_of(&c, 1);

	/* A SYN-ACK acking only the ISN (not after snd_una): RST, seq = ISN. */
	ASSERT_EQ(0, inject(self, &c, PEER_ISN, c.isn, TH_SYN | TH_ACK, syn_opts_nots, 12));
	if (from_client(self, &p, 500, c.cport, TH_RST, TH_RST)) {
		seg_fill(&o.rst2, &p);
		o.rst2_seq_ok = p.seq == c.isn;
	}
	/* An RST whose ACK is unacceptable: dropped without an answer. */
	ASSERT_EQ(0, inject(self, &c, PEER_ISN, c.isn + 7, TH_RST | TH_ACK, NULL, 0));
	o.rstack_replies = 0;
	while (from_client(self, &p, 150, c.cport, 0, 0))
		o.rstack_replies += p.flags != TH_SYN;	/* (a due SYN retransmission may pass) */
	o.after_rstack = state_of(&c, 0);

	/* The right SYN-ACK: established, the final ACK. */
	cap_drain(self->cap);
	ASSERT_EQ(0, inject(self, &c, PEER_ISN, c.isn + 1, TH_SYN | TH_ACK, syn_opts_nots, 12));
	if (from_client(self, &p, 500, c.cport, 0xff, TH_ACK)) {
		seg_fill(&o.ack, &p);
		o.ack_seq_ok = p.seq == c.isn + 1;
		o.ack_ack_ok = p.ack == PEER_ISN + 1;
	}
	o.established = state_of(&c, 1);
	o.connected = state_of(&c, 1);
	close_rst(c.fd);
	return o;
}

static void expect_synsent(struct __test_metadata *_metadata, const struct state *s, int conn)
{
	EXPECT_EQ(0, s->revents);
	EXPECT_EQ(0, s->so_error);
	EXPECT_EQ(ENOTCONN, s->peer_err);
	EXPECT_EQ(conn, s->connect_err);
}

/*
 * In SYN_SENT (tcp_rcv_synsent_state_process): an RST without ACK is
 * ignored; a SYN-ACK whose ACK is not in (snd_una, snd_nxt] gets an RST
 * with seq = that ACK (and, before any retransmission, makes the SYN go
 * again at once); an RST with an unacceptable ACK is dropped silently; none
 * of them changes the state. A good SYN-ACK then completes the connection.
 */
TEST_F_TIMEOUT(wire, synsent_odd_segments, TIMEOUT)
{
	struct odd inet, rust;

	ASSERT_EQ(0, server_deaf(&self->h, 1));
	inet = odd_segments(_metadata, self, AF_INET);
	EXPECT_EQ(0, inet.rst_replies);
	expect_synsent(_metadata, &inet.after_rst, EALREADY);
	expect_bare(_metadata, &inet.rst1, TH_RST, 0);
	EXPECT_EQ(0, inet.rst1.win);
	EXPECT_EQ(1, inet.rst1_seq_ok);
	EXPECT_EQ(1, inet.rst1_ack_zero);
	EXPECT_EQ(1, inet.quick_resyn);
	expect_synsent(_metadata, &inet.after_bad1, EALREADY);
	expect_bare(_metadata, &inet.rst2, TH_RST, 0);
	EXPECT_EQ(1, inet.rst2_seq_ok);
	EXPECT_EQ(0, inet.rstack_replies);
	expect_synsent(_metadata, &inet.after_rstack, -1);
	/* The SYN-ACK had no timestamps: a bare ACK. */
	expect_bare(_metadata, &inet.ack, TH_ACK, 0);
	EXPECT_EQ(1, inet.ack_seq_ok);
	EXPECT_EQ(1, inet.ack_ack_ok);
	EXPECT_EQ(POLLOUT, inet.established.revents);
	EXPECT_EQ(0, inet.established.so_error);
	EXPECT_EQ(0, inet.established.peer_err);
	EXPECT_EQ(0, inet.established.connect_err);
	EXPECT_EQ(EISCONN, inet.connected.connect_err);
	if (_metadata->exit_code != KSFT_PASS || getenv("RUST_TCP_DUMP"))
		odd_log(_metadata, "AF_INET", &inet);
	if (_metadata->exit_code != KSFT_PASS)
		return;
	SKIP_WITHOUT_RUST_TCP();
	rust = odd_segments(_metadata, self, rust_tcp_family());
	EXPECT_EQ(0, memcmp(&inet, &rust, sizeof(inet))) {
		odd_log(_metadata, "AF_INET ", &inet);
		odd_log(_metadata, "rust_tcp", &rust);
	}
}

struct simul {
	struct seg synack;
	int synack_seq_ok, synack_ack_ok, synack_tsecr;
	struct state syn_recv;		/* after the crossing SYN */
	int replies_to_ack;		/* segments answering the final ACK */
	struct state established, connected;
	int peer_ok;
};

static void simul_log(struct __test_metadata *_metadata, const char *who, const struct simul *s)
{
	TH_LOG("%s: SYN-ACK seq %d ack %d ecr %d; replies to ACK %d; peer %d", who,
	       s->synack_seq_ok, s->synack_ack_ok, s->synack_tsecr, s->replies_to_ack, s->peer_ok);
	seg_log(_metadata, "SYN-ACK", &s->synack);
	state_log(_metadata, "SYN_RECV", &s->syn_recv);
	state_log(_metadata, "after ACK", &s->established);
	state_log(_metadata, "then", &s->connected);
}

static struct simul simultaneous_open(struct __test_metadata *_metadata,
				      FIXTURE_DATA(wire) *self, int family)
{
	struct sockaddr_in peer, want;
	struct pending c;
	struct simul s;
	struct pkt p;
	uint32_t v, e;

	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, pending_connect(_metadata, self, family, &c));
	want = sin_of(SERVER_ADDR, c.port);
	/* A SYN crossing ours: SYN_RECV, and a SYN-ACK with our ISN. */
	ASSERT_EQ(0, inject(self, &c, PEER_ISN, 0, TH_SYN, syn_opts_nots, 12));
	if (from_client(self, &p, 500, c.cport, 0xff, TH_SYN | TH_ACK)) {
		seg_fill(&s.synack, &p);
		s.synack_seq_ok = p.seq == c.isn;
		s.synack_ack_ok = p.ack == PEER_ISN + 1;
		s.synack_tsecr = tcp_opt_ts(&p, &v, &e) ? -1 : (int)e;
	}
	/* SYN_RECV has a peer; still not writable; connect() says EALREADY. */
	s.syn_recv = state_of(&c, 1);
	/* The ACK of our SYN completes it. */
	cap_drain(self->cap);
	ASSERT_EQ(0, inject(self, &c, PEER_ISN + 1, c.isn + 1, TH_ACK, NULL, 0));
	msleep(100);
	s.established = state_of(&c, 1);
	s.connected = state_of(&c, 1);
	s.peer_ok = !peer_name(c.fd, &peer) && sin_same(&peer, &want);
	s.replies_to_ack = count_from_client(self, 100, c.cport);
	close_rst(c.fd);
	return s;
}

/*
 * Simultaneous open: a SYN without ACK in SYN_SENT moves the client to
 * SYN_RECV; it answers SYN-ACK (seq = its ISN, ack = the SYN's seq + 1, its
 * SYN's options); the peer's ACK then establishes the connection, with no
 * segment in reply.
 */
TEST_F_TIMEOUT(wire, simultaneous_open, TIMEOUT)
{
	struct simul inet, rust;

	ASSERT_EQ(0, server_deaf(&self->h, 1));
	inet = simultaneous_open(_metadata, self, AF_INET);
	expect_linux_syn(_metadata, &inet.synack, TH_SYN | TH_ACK);
	EXPECT_EQ(1, inet.synack_seq_ok);
	EXPECT_EQ(1, inet.synack_ack_ok);
	EXPECT_EQ(0, inet.synack_tsecr);
	EXPECT_EQ(0, inet.syn_recv.revents);
	EXPECT_EQ(0, inet.syn_recv.so_error);
	EXPECT_EQ(0, inet.syn_recv.peer_err);
	EXPECT_EQ(EALREADY, inet.syn_recv.connect_err);
	EXPECT_EQ(POLLOUT, inet.established.revents);
	EXPECT_EQ(0, inet.established.so_error);
	EXPECT_EQ(0, inet.established.connect_err);
	EXPECT_EQ(EISCONN, inet.connected.connect_err);
	EXPECT_EQ(1, inet.peer_ok);
	EXPECT_EQ(0, inet.replies_to_ack);
	if (_metadata->exit_code != KSFT_PASS || getenv("RUST_TCP_DUMP"))
		simul_log(_metadata, "AF_INET", &inet);
	if (_metadata->exit_code != KSFT_PASS)
		return;
	SKIP_WITHOUT_RUST_TCP();
	rust = simultaneous_open(_metadata, self, rust_tcp_family());
	EXPECT_EQ(0, memcmp(&inet, &rust, sizeof(inet))) {
		simul_log(_metadata, "AF_INET ", &inet);
		simul_log(_metadata, "rust_tcp", &rust);
	}
}

/* ---- ICMP errors in SYN_SENT ------------------------------------------- */

/*
 * An ICMP error (@type, @code, 4 bytes @info) from the server's address to
 * the client, quoting the IP header and the first 8 TCP bytes of @syn with
 * its sequence number moved by @seq_delta.
 */
static int inject_icmp(FIXTURE_DATA(wire) *self, const struct pkt *syn, int type, int code,
		       uint32_t info, uint32_t seq_delta)
{
	unsigned char b[20 + 8 + 20 + 8] = { 0x45, 0xc0 };
	struct sockaddr_in to = sin_of(CLIENT_ADDR, 0), from = sin_of(SERVER_ADDR, 0);
	unsigned char *icmp = b + 20, *q = b + 28;
	uint32_t seq = syn->seq + seq_delta;
	uint16_t ck;

	b[2] = sizeof(b) >> 8;
	b[3] = sizeof(b) & 0xff;
	b[8] = 64;
	b[9] = IPPROTO_ICMP;
	memcpy(b + 12, &from.sin_addr, 4);
	memcpy(b + 16, &to.sin_addr, 4);
	icmp[0] = type;
	icmp[1] = code;
	icmp[4] = info >> 24; icmp[5] = info >> 16; icmp[6] = info >> 8; icmp[7] = info;
	memcpy(q, syn->raw, 28);	/* its IP header (20 bytes) and 8 TCP bytes */
	q[24] = seq >> 24; q[25] = seq >> 16; q[26] = seq >> 8; q[27] = seq;
	ck = inet_csum(icmp, 8 + 28, 0);
	icmp[2] = ck >> 8;
	icmp[3] = ck & 0xff;
	if (sendto(self->raw, b, sizeof(b), 0, (struct sockaddr *)&to, sizeof(to)) != sizeof(b))
		return errno;
	return 0;
}

static const struct icmp_case {
	const char *what;
	int type, code, seq_delta, err;	/* err: what AF_INET reports */
} icmp_cases[] = {
	{ "port unreachable", 3, 3, 0, ECONNREFUSED },
	{ "host unreachable", 3, 1, 0, EHOSTUNREACH },
	{ "net unreachable", 3, 0, 0, ENETUNREACH },
	{ "protocol unreachable", 3, 2, 0, ENOPROTOOPT },
	{ "administratively prohibited", 3, 13, 0, EHOSTUNREACH },
	{ "TTL exceeded", 11, 0, 0, EHOSTUNREACH },
	{ "parameter problem", 12, 0, 0, EPROTO },
	{ "source quench", 4, 0, 0, 0 },
	{ "port unreachable, seq after snd_nxt", 3, 3, 5, 0 },
	{ "port unreachable, seq before the ISN", 3, 3, -1, 0 },
	{ "unreachable code 16", 3, 16, 0, 0 },
};

#define N_ICMP (int)(sizeof(icmp_cases) / sizeof(icmp_cases[0]))

struct icmp_seen {
	int revents, so_error, so_error2, peer_err;
};

static void icmp_errors(struct __test_metadata *_metadata, FIXTURE_DATA(wire) *self,
			int family, struct icmp_seen *seen)
{
	struct pending c[N_ICMP];
	struct pkt syn;

	for (int i = 0; i < N_ICMP; i++) {
		c[i].port = self->port++;
		c[i].fd = csock(self, family, SOCK_NONBLOCK);
		ASSERT_LE(0, c[i].fd);
		cap_drain(self->cap);
		ASSERT_EQ(EINPROGRESS, connect_to(c[i].fd, SERVER_ADDR, c[i].port));
		c[i].cport = local_port(c[i].fd);
		ASSERT_EQ(1, from_client(self, &syn, 1000, c[i].cport, 0xff, TH_SYN));
		ASSERT_EQ(0, inject_icmp(self, &syn, icmp_cases[i].type, icmp_cases[i].code, 0,
					 icmp_cases[i].seq_delta));
	}
	msleep(200);
	for (int i = 0; i < N_ICMP; i++) {
		seen[i].revents = revents_now(c[i].fd, POLLIN | POLLOUT);
		seen[i].so_error = sockopt_get(c[i].fd, SOL_SOCKET, SO_ERROR);
		seen[i].so_error2 = sockopt_get(c[i].fd, SOL_SOCKET, SO_ERROR);
		seen[i].peer_err = peer_name(c[i].fd, &(struct sockaddr_in){ 0 });
		close(c[i].fd);
	}
}

/*
 * ICMP errors quoting a connect's SYN (tcp_v4_err): in SYN_SENT every
 * destination-unreachable code up to 15 (but fragmentation needed), time
 * exceeded and parameter problem end the connect with the error
 * icmp_err_convert gives; source quench, unknown codes and a quoted
 * sequence number outside [snd_una, snd_nxt] are ignored.
 */
TEST_F_TIMEOUT(wire, icmp_errors_in_synsent, TIMEOUT)
{
	struct icmp_seen inet[N_ICMP], rust[N_ICMP];

	ASSERT_EQ(0, server_deaf(&self->h, 1));
	icmp_errors(_metadata, self, AF_INET, inet);
	for (int i = 0; i < N_ICMP; i++) {
		const struct icmp_case *k = &icmp_cases[i];

		EXPECT_EQ(k->err, inet[i].so_error) TH_LOG("AF_INET, %s", k->what);
		EXPECT_EQ(0, inet[i].so_error2);
		EXPECT_EQ(ENOTCONN, inet[i].peer_err);
		EXPECT_EQ(k->err ? POLLIN | POLLOUT | POLLERR | POLLHUP : 0, inet[i].revents)
			TH_LOG("AF_INET, %s: revents %#x", k->what, inet[i].revents);
	}
	if (_metadata->exit_code != KSFT_PASS)
		return;
	SKIP_WITHOUT_RUST_TCP();
	icmp_errors(_metadata, self, rust_tcp_family(), rust);
	for (int i = 0; i < N_ICMP; i++) {
		EXPECT_EQ(0, memcmp(&inet[i], &rust[i], sizeof(inet[i])))
			TH_LOG("%s: AF_INET revents %#x SO_ERROR %s/%s; rust_tcp %#x %s/%s",
			       icmp_cases[i].what, inet[i].revents, errname(inet[i].so_error),
			       errname(inet[i].so_error2), rust[i].revents,
			       errname(rust[i].so_error), errname(rust[i].so_error2));
	}
}

TEST_HARNESS_MAIN
