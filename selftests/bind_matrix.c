// SPDX-License-Identifier: GPL-2.0
/*
 * bind() conflicts and errors. The conflict matrix binds a first socket to
 * a port (address, SO_REUSEADDR/SO_REUSEPORT, device; bound, listening, or
 * listening only after the second bind), then a second socket to the same
 * port (address, options, device, same uid or uid 65534) and tries listen()
 * on it: the table of errnos (about 880 rows) must be the same for rust_tcp
 * as for AF_INET in the same kernel, and a few rows are pinned to Linux's
 * answer. The error cases have exact errnos, checked for both families.
 * RUST_TCP_DUMP=1 prints the AF_INET table.
 */
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>

#include "common.h"
#include "kselftest_harness.h"

#define NOBODY 65534
#define PORT 20000
#define VETH "rt_m0"	/* a second device for SO_BINDTODEVICE */

enum { O_NONE, O_ADDR, O_PORT, O_BOTH };
/* The first socket is bound; or listening; or listens after the second binds. */
enum { BOUND, LISTENING, LISTEN_LATER };
static const char *const state_name[] = { "bound", "listening", "bound (listens later)" };
static const char *const opt_name[] = { "-", "REUSEADDR", "REUSEPORT", "ADDR+PORT" };

struct side {
	const char *addr;
	int opts;
	const char *dev;	/* SO_BINDTODEVICE, or NULL */
};

struct combo {
	struct side s1, s2;
	int state;	/* first socket: BOUND, LISTENING, or LISTEN_LATER */
	int other_uid;	/* second socket made and bound by uid 65534 */
};

struct result {
	int first;	/* the first socket's bind/listen: 0 or errno */
	int bind;	/* second socket's bind */
	int late;	/* LISTEN_LATER: the first's listen() after that bind, else -1 */
	int listen;	/* the second's listen() after a successful bind, else -1 */
};

/* A socket with @s's options; then bind(@s->addr:@port). 0 or errno. */
static int make_side(int family, const struct side *s, int port, int *fdp)
{
	int fd = socket(family, SOCK_STREAM, 0), err = 0;

	*fdp = fd;
	if (fd < 0)
		return errno;
	if (s->opts & 1)
		err = err ?: sockopt_set(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (s->opts & 2)
		err = err ?: sockopt_set(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (s->dev)
		err = err ?: outcome(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE,
						s->dev, strlen(s->dev) + 1));
	if (err)
		return 1000 + err;	/* setup failure: never a valid table entry */
	return bind_to(fd, s->addr, port);
}

/* The second socket's part: bind, then listen if bound (@fd1 first if late). */
static void second_side(int family, const struct side *s, int port, int fd1,
			struct result *r)
{
	int fd;

	r->bind = make_side(family, s, port, &fd);
	r->late = r->bind || fd1 < 0 ? -1 : outcome(listen(fd1, 5));
	r->listen = r->bind ? -1 : outcome(listen(fd, 5));
	if (fd >= 0)
		close(fd);
}

/* A process running as uid 65534 that performs second_side() on request. */
struct helper {
	pid_t pid;
	int sock;
};

struct request {
	int family, port;
	char addr[16], dev[16];
	int opts;
};

static int helper_start(struct helper *h)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return errno;
	h->pid = fork();
	if (h->pid < 0)
		return errno;
	if (h->pid == 0) {
		struct request q;
		struct result r;

		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(1);
		while (read(sv[1], &q, sizeof(q)) == sizeof(q)) {
			struct side s = { q.addr, q.opts, q.dev[0] ? q.dev : NULL };

			second_side(q.family, &s, q.port, -1, &r);
			if (write(sv[1], &r, sizeof(r)) != sizeof(r))
				break;
		}
		_exit(0);
	}
	close(sv[1]);
	h->sock = sv[0];
	return 0;
}

static void helper_stop(struct helper *h)
{
	if (h->sock >= 0)
		close(h->sock);
	if (h->pid > 0)
		waitpid(h->pid, NULL, 0);
}

static void helper_call(struct helper *h, int family, const struct side *s,
			int port, struct result *r)
{
	struct request q = { .family = family, .port = port, .opts = s->opts };
	struct result got = { .bind = 9999, .late = 9999, .listen = 9999 };

	snprintf(q.addr, sizeof(q.addr), "%s", s->addr);
	snprintf(q.dev, sizeof(q.dev), "%s", s->dev ?: "");

	if (write(h->sock, &q, sizeof(q)) != sizeof(q) ||
	    read(h->sock, &got, sizeof(got)) != sizeof(got))
		got.bind = 9999;
	r->bind = got.bind;
	r->late = got.late;
	r->listen = got.listen;
}

static struct result run_combo(int family, const struct combo *c, struct helper *h)
{
	struct result r = { 0 };
	int fd;

	r.first = make_side(family, &c->s1, PORT, &fd);
	if (!r.first && c->state == LISTENING)
		r.first = outcome(listen(fd, 5));
	if (c->other_uid)
		helper_call(h, family, &c->s2, PORT, &r);
	else
		second_side(family, &c->s2, PORT, c->state == LISTEN_LATER ? fd : -1, &r);
	if (fd >= 0)
		close(fd);
	return r;
}

/* ---- the combinations ---------------------------------------------------- */

#define MAX_COMBOS 1000
static struct combo combos[MAX_COMBOS];
static int ncombos;

static const char *const addrs3[] = { "0.0.0.0", "127.0.0.1", "127.0.0.2" };
static const char *const devs3[] = { NULL, "lo", VETH };

static void build_combos(void)
{
	ncombos = 0;
	/* Addresses x options x state, same uid. */
	for (int a1 = 0; a1 < 3; a1++)
	for (int o1 = 0; o1 < 4; o1++)
	for (int l = 0; l < 3; l++)
	for (int a2 = 0; a2 < 3; a2++)
	for (int o2 = 0; o2 < 4; o2++)
		combos[ncombos++] = (struct combo){
			{ addrs3[a1], o1, NULL }, { addrs3[a2], o2, NULL }, l, 0 };
	/* The same with the second socket owned by another uid. */
	for (int a1 = 0; a1 < 2; a1++)
	for (int o1 = 0; o1 < 4; o1++)
	for (int l = 0; l < 2; l++)
	for (int a2 = 0; a2 < 2; a2++)
	for (int o2 = 0; o2 < 4; o2++)
		combos[ncombos++] = (struct combo){
			{ addrs3[a1], o1, NULL }, { addrs3[a2], o2, NULL }, l, 1 };
	/* Devices: unbound, lo, a veth; both sockets with the same options. */
	for (int d1 = 0; d1 < 3; d1++)
	for (int d2 = 0; d2 < 3; d2++)
	for (int a1 = 0; a1 < 2; a1++)
	for (int a2 = 0; a2 < 2; a2++)
	for (int o = 0; o < 3; o++)
	for (int l = 0; l < 3; l++)
		combos[ncombos++] = (struct combo){
			{ addrs3[a1], o, devs3[d1] }, { addrs3[a2], o, devs3[d2] }, l, 0 };
}

static const char *describe(const struct combo *c)
{
	static char buf[200];

	snprintf(buf, sizeof(buf), "%s/%s/%s %s, then %s/%s/%s%s",
		 c->s1.addr, opt_name[c->s1.opts], c->s1.dev ?: "-",
		 state_name[c->state], c->s2.addr,
		 opt_name[c->s2.opts], c->s2.dev ?: "-",
		 c->other_uid ? " as uid 65534" : "");
	return buf;
}

static void run_table(int family, struct result *t)
{
	struct helper h = { .pid = -1, .sock = -1 };

	helper_start(&h);
	for (int i = 0; i < ncombos; i++)
		t[i] = run_combo(family, &combos[i], &h);
	helper_stop(&h);
}

static const char *fmt_errno(int err)
{
	return err < 0 ? "-" : errname(err);
}

static const char *fmt_result(const struct result *r)
{
	static char buf[100];

	snprintf(buf, sizeof(buf), "first %s bind %s first-listen %s listen %s",
		 fmt_errno(r->first), fmt_errno(r->bind), fmt_errno(r->late),
		 fmt_errno(r->listen));
	return buf;
}

static int same_dev(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The entry of table @t for a combination, to pin a few rows down absolutely. */
static const struct result *row(const struct result *t, const char *a1, int o1,
				int l, const char *a2, int o2, int uid,
				const char *d1, const char *d2)
{
	for (int i = 0; i < ncombos; i++) {
		const struct combo *c = &combos[i];

		if (same_dev(c->s1.dev, d1) && same_dev(c->s2.dev, d2) && !strcmp(c->s1.addr, a1) &&
		    c->s1.opts == o1 && c->state == l && !strcmp(c->s2.addr, a2) &&
		    c->s2.opts == o2 && c->other_uid == uid)
			return &t[i];
	}
	return NULL;
}

FIXTURE(matrix) {};
FIXTURE_SETUP(matrix)
{
	int ns = netns_new();

	ASSERT_LE(0, ns);
	close(ns);
	ASSERT_EQ(0, sh("ip link add " VETH " type veth peer name rt_m1"));
	build_combos();
}
FIXTURE_TEARDOWN(matrix) {}

TEST_F_TIMEOUT(matrix, conflicts_match_af_inet, 120)
{
	static struct result inet[MAX_COMBOS], rust[MAX_COMBOS];
	/* A few rows pinned down: 0 or errno; -1: not tried. */
	const struct { const char *a1; int o1, l; const char *a2; int o2, uid, bind, late, listen;
		       const char *d1, *d2; } pins[] = {
		{ "0.0.0.0", O_NONE, BOUND, "0.0.0.0", O_NONE, 0, EADDRINUSE, -1, -1, NULL, NULL },
		{ "0.0.0.0", O_NONE, BOUND, "127.0.0.1", O_BOTH, 0, EADDRINUSE, -1, -1, NULL, NULL },
		{ "127.0.0.1", O_NONE, LISTENING, "127.0.0.2", O_NONE, 0, 0, -1, 0, NULL, NULL },
		{ "127.0.0.1", O_NONE, BOUND, "0.0.0.0", O_NONE, 0, EADDRINUSE, -1, -1, NULL, NULL },
		{ "0.0.0.0", O_ADDR, BOUND, "127.0.0.1", O_ADDR, 0, 0, -1, 0, NULL, NULL },
		{ "0.0.0.0", O_ADDR, LISTENING, "0.0.0.0", O_ADDR, 0, EADDRINUSE, -1, -1, NULL, NULL },
		{ "0.0.0.0", O_ADDR, BOUND, "0.0.0.0", O_NONE, 0, EADDRINUSE, -1, -1, NULL, NULL },
		/* Both may bind; the first to listen wins, the other gets EADDRINUSE. */
		{ "0.0.0.0", O_ADDR, LISTEN_LATER, "0.0.0.0", O_ADDR, 0, 0, 0, EADDRINUSE, NULL, NULL },
		{ "0.0.0.0", O_PORT, LISTEN_LATER, "0.0.0.0", O_PORT, 0, 0, 0, 0, NULL, NULL },
		{ "0.0.0.0", O_PORT, LISTENING, "0.0.0.0", O_PORT, 0, 0, -1, 0, NULL, NULL },
		{ "0.0.0.0", O_PORT, LISTENING, "0.0.0.0", O_PORT, 1, EADDRINUSE, -1, -1, NULL, NULL },
		{ "0.0.0.0", O_BOTH, BOUND, "0.0.0.0", O_BOTH, 1, 0, -1, 0, NULL, NULL },
		{ "127.0.0.1", O_PORT, BOUND, "127.0.0.1", O_PORT, 0, 0, -1, 0, NULL, NULL },
		/* Devices: an unbound socket conflicts with all, lo not with the veth. */
		{ "0.0.0.0", O_NONE, LISTENING, "0.0.0.0", O_NONE, 0, EADDRINUSE, -1, -1, NULL, "lo" },
		{ "0.0.0.0", O_NONE, LISTENING, "0.0.0.0", O_NONE, 0, EADDRINUSE, -1, -1, "lo", "lo" },
		{ "0.0.0.0", O_NONE, LISTENING, "0.0.0.0", O_NONE, 0, 0, -1, 0, "lo", VETH },
		{ "127.0.0.1", O_NONE, LISTEN_LATER, "127.0.0.1", O_NONE, 0, 0, 0, 0, VETH, "lo" },
	};
	int mismatches = 0;

	ASSERT_LT(800, ncombos);
	run_table(AF_INET, inet);
	for (int i = 0; i < ncombos; i++) {
		ASSERT_EQ(0, inet[i].first) TH_LOG("%s: first socket %s",
						   describe(&combos[i]), errname(inet[i].first));
	}
	for (int i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		const struct result *r = row(inet, pins[i].a1, pins[i].o1, pins[i].l,
					     pins[i].a2, pins[i].o2, pins[i].uid,
					     pins[i].d1, pins[i].d2);

		ASSERT_NE(NULL, r);
		EXPECT_EQ(pins[i].bind, r->bind) TH_LOG("pin %d", i);
		EXPECT_EQ(pins[i].late, r->late) TH_LOG("pin %d", i);
		EXPECT_EQ(pins[i].listen, r->listen) TH_LOG("pin %d", i);
	}
	/* RUST_TCP_DUMP=1 prints the AF_INET table, for reading. */
	for (int i = 0; getenv("RUST_TCP_DUMP") && i < ncombos; i++)
		fprintf(stderr, "# %-76s %s\n", describe(&combos[i]), fmt_result(&inet[i]));
	SKIP_WITHOUT_RUST_TCP();
	run_table(rust_tcp_family(), rust);
	for (int i = 0; i < ncombos; i++) {
		if (!memcmp(&inet[i], &rust[i], sizeof(inet[i])))
			continue;
		if (mismatches++ < 40) {
			TH_LOG("%s:", describe(&combos[i]));
			TH_LOG("    AF_INET  %s", fmt_result(&inet[i]));
			TH_LOG("    rust_tcp %s", fmt_result(&rust[i]));
		}
	}
	EXPECT_EQ(0, mismatches) TH_LOG("%d of %d combinations differ", mismatches, ncombos);
}

/* ---- the error cases, per family ------------------------------------------ */

FIXTURE(bind)
{
	int family;
};

FIXTURE_VARIANT(bind)
{
	int rust;
};

FIXTURE_VARIANT_ADD(bind, af_inet) { .rust = 0 };
FIXTURE_VARIANT_ADD(bind, rust_tcp) { .rust = 1 };

FIXTURE_SETUP(bind)
{
	int ns = netns_new();

	ASSERT_LE(0, ns);
	close(ns);
	self->family = variant->rust ? rust_tcp_family() : AF_INET;
	if (!family_available(self->family))
		SKIP(return, "rust_tcp is not loaded");
}
FIXTURE_TEARDOWN(bind) {}

/* bind() of a fresh socket with a raw address: 0 or errno. */
static int bind_raw(int family, int sin_family, const char *addr, int port,
		    int addrlen, struct sockaddr_in *bound)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	socklen_t blen = sizeof(*bound);
	int fd = socket(family, SOCK_STREAM, 0), err;

	if (fd < 0)
		return 2000 + errno;
	*a = sin_of(addr, port);
	a->sin_family = sin_family;
	err = outcome(bind(fd, (struct sockaddr *)&ss, addrlen));
	if (bound && getsockname(fd, (struct sockaddr *)bound, &blen) < 0)
		bound->sin_family = 0xdead;
	close(fd);
	return err;
}

TEST_F(bind, address_errors)
{
	const struct { int sin_family; const char *addr; int addrlen, want; } cases[] = {
		{ AF_INET, "127.0.0.1", 15, EINVAL },
		{ AF_INET, "127.0.0.1", 0, EINVAL },
		{ AF_INET, "127.0.0.1", 129, EINVAL },	/* > sockaddr_storage */
		{ AF_INET6, "127.0.0.1", 16, EAFNOSUPPORT },
		{ AF_INET6, "0.0.0.0", 16, EAFNOSUPPORT },
		{ AF_UNSPEC, "0.0.0.0", 16, 0 },
		{ AF_UNSPEC, "127.0.0.1", 16, EAFNOSUPPORT },
		{ AF_UNIX, "0.0.0.0", 16, EAFNOSUPPORT },
		{ AF_INET, "192.0.2.1", 16, EADDRNOTAVAIL },
		{ AF_INET, "10.0.0.1", 16, EADDRNOTAVAIL },
		{ AF_INET, "127.0.0.1", 128, 0 },	/* longer is fine */
		{ AF_INET, "127.1.2.3", 16, 0 },	/* all of 127/8 is local */
		{ AF_INET, "127.255.255.255", 16, 0 },	/* broadcast */
		{ AF_INET, "255.255.255.255", 16, 0 },
		{ AF_INET, "224.0.0.1", 16, 0 },	/* multicast */
		{ AF_INET, "0.1.2.3", 16, EADDRNOTAVAIL },	/* only 0.0.0.0 is "zeronet" */
	};

	for (int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sockaddr_in b;
		int got = bind_raw(self->family, cases[i].sin_family, cases[i].addr,
				   PORT + i, cases[i].addrlen, &b);

		EXPECT_EQ(cases[i].want, got) TH_LOG("family %d addr %s len %d: %s",
			  cases[i].sin_family, cases[i].addr, cases[i].addrlen, errname(got));
		/* Bound: getsockname shows AF_INET, the address and the port. */
		if (!got) {
			struct sockaddr_in w = sin_of(cases[i].addr, PORT + i);

			EXPECT_EQ(AF_INET, b.sin_family);
			EXPECT_EQ(w.sin_addr.s_addr, b.sin_addr.s_addr) TH_LOG("%s", cases[i].addr);
			EXPECT_EQ(PORT + i, ntohs(b.sin_port));
		} else {
			EXPECT_EQ(AF_INET, b.sin_family);
			EXPECT_EQ(0, b.sin_addr.s_addr);
			EXPECT_EQ(0, b.sin_port);
		}
	}
	/* A non-local address is allowed with ip_nonlocal_bind. */
	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_nonlocal_bind", "1"));
	EXPECT_EQ(0, bind_raw(self->family, AF_INET, "192.0.2.1", PORT, 16, NULL));
}

/* Errors on a socket already bound or listening, and which check comes first. */
TEST_F(bind, state_errors)
{
	int fd = socket(self->family, SOCK_STREAM, 0), fd2;
	struct sockaddr_in a = sin_of("127.0.0.1", PORT), b;
	socklen_t blen = sizeof(b);

	ASSERT_LE(0, fd);
	/* Unbound: the wildcard and port 0; no peer. */
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&b, &blen));
	EXPECT_EQ(sizeof(b), blen);
	EXPECT_EQ(AF_INET, b.sin_family);
	EXPECT_EQ(0, b.sin_addr.s_addr);
	EXPECT_EQ(0, b.sin_port);
	EXPECT_EQ(ENOTCONN, outcome(getpeername(fd, (struct sockaddr *)&b, &blen)));

	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	blen = sizeof(b);
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&b, &blen));
	EXPECT_EQ(sizeof(b), blen);
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
	EXPECT_EQ(ENOTCONN, outcome(getpeername(fd, (struct sockaddr *)&b, &blen)));
	/* Bound twice: EINVAL, but the address checks come first. */
	EXPECT_EQ(EINVAL, bind_to(fd, "127.0.0.1", PORT + 1));
	EXPECT_EQ(EINVAL, bind_to(fd, "127.0.0.1", PORT));
	EXPECT_EQ(EINVAL, bind_to(fd, "0.0.0.0", 0));
	EXPECT_EQ(EADDRNOTAVAIL, bind_to(fd, "192.0.2.1", PORT + 1));
	a.sin_family = AF_INET6;
	EXPECT_EQ(EAFNOSUPPORT, outcome(bind(fd, (struct sockaddr *)&a, sizeof(a))));
	EXPECT_EQ(EINVAL, outcome(bind(fd, (struct sockaddr *)&a, 8)));
	EXPECT_EQ(PORT, local_port(fd));
	ASSERT_EQ(0, listen(fd, 1));
	EXPECT_EQ(EINVAL, bind_to(fd, "127.0.0.1", PORT + 1));

	/* A bind that failed leaves the socket unbound and usable. */
	fd2 = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(EADDRINUSE, bind_to(fd2, "127.0.0.1", PORT));
	blen = sizeof(b);
	ASSERT_EQ(0, getsockname(fd2, (struct sockaddr *)&b, &blen));
	EXPECT_EQ(0, b.sin_addr.s_addr);
	EXPECT_EQ(0, b.sin_port);
	EXPECT_EQ(EADDRNOTAVAIL, bind_to(fd2, "192.0.2.1", PORT + 2));
	EXPECT_EQ(0, bind_to(fd2, "127.0.0.1", PORT + 2));
	close(fd2);

	/* Closing a listener (no connections) frees the port at once. */
	close(fd);
	fd = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, bind_to(fd, "127.0.0.1", PORT));
	close(fd);
}

/* Runs bind(@addr:@port) for each port in a child as uid 65534; errnos into @res. */
static void bind_as_nobody(int family, const char *addr, const int *ports, int n, int *res)
{
	int pfd[2];
	pid_t pid;

	for (int i = 0; i < n; i++)
		res[i] = 9999;
	if (pipe(pfd))
		return;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(1);
		for (int i = 0; i < n; i++) {
			int fd = socket(family, SOCK_STREAM, 0);

			res[i] = fd < 0 ? 2000 + errno : bind_to(fd, addr, ports[i]);
			close(fd);
		}
		write(pfd[1], res, n * sizeof(*res));
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], res, n * sizeof(*res)) != n * sizeof(*res))
		res[0] = 9998;
	close(pfd[0]);
	waitpid(pid, NULL, 0);
}

TEST_F(bind, privileged_ports)
{
	const int ports[] = { 1, 79, 80, 1023, 1024, 0 };
	int res[6];

	bind_as_nobody(self->family, "127.0.0.1", ports, 6, res);
	EXPECT_EQ(EACCES, res[0]);
	EXPECT_EQ(EACCES, res[1]);
	EXPECT_EQ(EACCES, res[2]);
	EXPECT_EQ(EACCES, res[3]);
	EXPECT_EQ(0, res[4]);
	EXPECT_EQ(0, res[5]);
	/* The address is checked before the port. */
	bind_as_nobody(self->family, "192.0.2.1", ports + 2, 1, res);
	EXPECT_EQ(EADDRNOTAVAIL, res[0]);

	ASSERT_EQ(0, sysctl_set("net/ipv4/ip_unprivileged_port_start", "80"));
	bind_as_nobody(self->family, "127.0.0.1", ports, 6, res);
	EXPECT_EQ(EACCES, res[0]);
	EXPECT_EQ(EACCES, res[1]);
	EXPECT_EQ(0, res[2]);
	EXPECT_EQ(0, res[3]);
	EXPECT_EQ(0, res[4]);
	/* root (CAP_NET_BIND_SERVICE) binds anything. */
	EXPECT_EQ(0, bind_raw(self->family, AF_INET, "127.0.0.1", 1, 16, NULL));
	EXPECT_EQ(0, bind_raw(self->family, AF_INET, "127.0.0.1", 79, 16, NULL));
}

TEST_F(bind, sockopt_readback)
{
	int fd = socket(self->family, SOCK_STREAM, 0);
	char dev[IFNAMSIZ] = "xx";
	socklen_t len = sizeof(dev);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, sockopt_get(fd, SOL_SOCKET, SO_REUSEADDR));
	EXPECT_EQ(0, sockopt_get(fd, SOL_SOCKET, SO_REUSEPORT));
	EXPECT_EQ(0, sockopt_set(fd, SOL_SOCKET, SO_REUSEADDR, 5));
	EXPECT_EQ(1, sockopt_get(fd, SOL_SOCKET, SO_REUSEADDR));
	EXPECT_EQ(0, sockopt_set(fd, SOL_SOCKET, SO_REUSEPORT, 1));
	EXPECT_EQ(1, sockopt_get(fd, SOL_SOCKET, SO_REUSEPORT));
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &len));
	EXPECT_EQ(0, len);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	len = sizeof(dev);
	ASSERT_EQ(0, getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &len));
	EXPECT_EQ(3, len);
	EXPECT_STREQ("lo", dev);
	EXPECT_EQ(1, sockopt_get(fd, SOL_SOCKET, SO_BINDTOIFINDEX));
	EXPECT_EQ(ENODEV, outcome(setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "nosuch0", 8)));
	EXPECT_EQ(0, bind_to(fd, "127.0.0.1", PORT));
	/* Options stay readable (and settable) after bind and listen. */
	ASSERT_EQ(0, listen(fd, 1));
	EXPECT_EQ(1, sockopt_get(fd, SOL_SOCKET, SO_REUSEADDR));
	EXPECT_EQ(1, sockopt_get(fd, SOL_SOCKET, SO_REUSEPORT));
	EXPECT_EQ(1, sockopt_get(fd, SOL_SOCKET, SO_ACCEPTCONN));
	EXPECT_EQ(0, sockopt_set(fd, SOL_SOCKET, SO_REUSEADDR, 0));
	EXPECT_EQ(0, sockopt_get(fd, SOL_SOCKET, SO_REUSEADDR));
	close(fd);
}

/*
 * The flags count as they are when the second bind looks, not as they were
 * when the first socket bound: SO_REUSEADDR set after bind() lets a second
 * SO_REUSEADDR socket share the port.
 */
TEST_F(bind, reuseaddr_set_after_bind)
{
	int a = socket(self->family, SOCK_STREAM, 0);
	int b = socket(self->family, SOCK_STREAM, 0);
	int c = socket(self->family, SOCK_STREAM, 0);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, bind_to(a, "0.0.0.0", PORT));
	ASSERT_EQ(0, sockopt_set(b, SOL_SOCKET, SO_REUSEADDR, 1));
	EXPECT_EQ(EADDRINUSE, bind_to(b, "0.0.0.0", PORT));
	ASSERT_EQ(0, sockopt_set(a, SOL_SOCKET, SO_REUSEADDR, 1));
	EXPECT_EQ(0, bind_to(b, "0.0.0.0", PORT));
	/* And cleared after bind: conflicts again. */
	ASSERT_EQ(0, sockopt_set(a, SOL_SOCKET, SO_REUSEADDR, 0));
	ASSERT_EQ(0, sockopt_set(c, SOL_SOCKET, SO_REUSEADDR, 1));
	EXPECT_EQ(EADDRINUSE, bind_to(c, "0.0.0.0", PORT));
	close(a);
	close(b);
	close(c);
}

/*
 * SO_REUSEPORT compares the uid that created the socket (the socket
 * inode's owner), not the uid that calls bind().
 */
TEST_F(bind, reuseport_uid_is_the_creators)
{
	int a = socket(self->family, SOCK_STREAM, 0), b;

	ASSERT_LE(0, a);
	ASSERT_EQ(0, sockopt_set(a, SOL_SOCKET, SO_REUSEPORT, 1));
	ASSERT_EQ(0, bind_to(a, "0.0.0.0", PORT));
	ASSERT_EQ(0, listen(a, 1));
	setfsuid(NOBODY);
	b = socket(self->family, SOCK_STREAM, 0);
	setfsuid(0);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, sockopt_set(b, SOL_SOCKET, SO_REUSEPORT, 1));
	EXPECT_EQ(EADDRINUSE, bind_to(b, "0.0.0.0", PORT));
	close(b);
	/* Same creator: shares. */
	b = socket(self->family, SOCK_STREAM, 0);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, sockopt_set(b, SOL_SOCKET, SO_REUSEPORT, 1));
	EXPECT_EQ(0, bind_to(b, "0.0.0.0", PORT));
	EXPECT_EQ(0, listen(b, 1));
	close(a);
	close(b);
}

TEST_HARNESS_MAIN
