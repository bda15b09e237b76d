// SPDX-License-Identifier: GPL-2.0
/*
 * bench: rust_tcp and the kernel's own TCP (AF_INET) side by side, in one
 * boot, on the same paths and with the same code; only the family given
 * to socket() differs. See docs/benchmark.md; scripts/bench.sh (make
 * bench) runs it in the perf kernel.
 *
 *   bulk   one connection; the client sends -s MiB, the server reads and
 *          discards them: MB/s (10^6 bytes/s) from the client's first
 *          send() to the server's last recv()
 *   conn   -c cycles of socket() + connect() + close() on the client,
 *          accept() + close() on the server: connections per second
 *   rr     -n round trips of a 1-byte request and its 1-byte answer on one
 *          connection (after 100 untimed ones): mean and p99, in µs
 *
 * Each on two paths: "veth" (client and server in two network namespaces
 * joined by a veth pair: two_hosts_setup_quick() of the selftests) and
 * "lo" (one namespace, 127.0.0.1). Pairings are client>server: inet>inet,
 * rust>rust, and for bulk and rr also rust>inet and inet>rust. Each
 * (test, path, pairing) is measured -r times; the repetitions are
 * interleaved (every pairing once, then every pairing again, in reverse
 * order on odd repetitions), so that drift hits every family alike, and
 * the table shows the median.
 *
 * Every measurement runs in a child process, in namespaces of its own,
 * made afresh (none inherits another's TIME_WAIT sockets or the leftovers
 * of a failure; -w ms of pause after each lets the old ones go). A call
 * that fails ends it: "n/a (ERRNO)" (the progress line says which call,
 * at which iteration). A time bound (-t s, SIGALRM) ends one that takes
 * too long: with progress made, the rate over what it did, marked "*";
 * without, "n/a (ETIMEDOUT)". Either way the run goes on. A kernel crash
 * ends the boot, of course: the progress lines printed so far remain.
 * The client runs on CPU 0, the server on CPU 1 (-U: anywhere).
 *
 * Output: progress lines ("# rep ...") on stderr; on stdout the table and
 * one line per table cell for machines:
 *   BENCH {"test":"bulk","path":"veth","client":"inet","server":"inet",
 *          "metric":"MB/s","median":...,"runs":[...],"partial":[...],
 *          "errors":[...]}
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>

#include "common.h"

enum { T_BULK, T_CONN, T_RR, NTEST };
enum { P_VETH, P_LO, NPATH };
enum { F_INET, F_RUST };

static const char *const test_name[NTEST] = { "bulk", "conn", "rr" };
static const char *const path_name[NPATH] = { "veth", "lo" };
static const char *const fam_name[2] = { "inet", "rust" };

struct pairing {
	int c, s;		/* client and server family: F_INET or F_RUST */
};

/* Mixed pairings come last: conn measures only the first two. */
static const struct pairing pairings[] = {
	{ F_INET, F_INET }, { F_RUST, F_RUST }, { F_RUST, F_INET }, { F_INET, F_RUST },
};
#define NPAIR 4

static int npairs(int test)
{
	return test == T_CONN ? 2 : NPAIR;
}

#define MAXREP 15
#define ESKIPPED 100000		/* not an errno: the pairing was left out (-F) */
#define RR_WARMUP 100
#define BULK_CHUNK (128 * 1024)
#define BULK_RBUF (256 * 1024)

static struct {
	long bulk_mib;
	int conn_cycles, rr_trips, reps, timeout;
	int test_on[NTEST], path_on[NPATH];
	int pin, settle_ms;
	int fam_on[2];
} opt = {
	.bulk_mib = 256, .conn_cycles = 2000, .rr_trips = 5000, .reps = 3, .timeout = 60,
	.test_on = { 1, 1, 1 }, .path_on = { 1, 1 }, .pin = 1, .settle_ms = 300,
	.fam_on = { 1, 1 },
};

static int family_of[2];

/* Where a measurement runs: client and server netns, server address. */
struct path {
	int ns_c, ns_s;
	const char *saddr;
};

/*
 * Fresh namespaces for path @p, owned by the calling process (they go
 * with it): 0 or errno. Every measurement gets its own, so none inherits
 * another's TIME_WAIT sockets, port bindings or leftovers of a failure.
 * On veth both hosts get permanent neighbour entries for each other: no
 * measurement includes ARP (nor a first SYN lost to it).
 */
static int path_setup(int p, struct path *out)
{
	unsigned char mac_c[6], mac_s[6];
	struct two_hosts h;
	int err, ns;

	if (p == P_VETH) {
		err = two_hosts_setup_quick(&h);
		*out = (struct path){ h.ns_c, h.ns_s, SERVER_ADDR };
		if (!err)
			err = netns_enter(h.ns_c) || if_mac(VETH_C, mac_c) ||
			      netns_enter(h.ns_s) || if_mac(VETH_S, mac_s) ||
			      arp_set(VETH_S, CLIENT_ADDR, mac_c) || netns_enter(h.ns_c) ||
			      arp_set(VETH_C, SERVER_ADDR, mac_s) ? EIO : 0;
		return err;
	}
	ns = netns_new();
	*out = (struct path){ ns, ns, "127.0.0.1" };
	return ns < 0 ? -ns : 0;
}

/*
 * One measurement's outcome: err 0 and values, errno > 0, or -signal; for
 * a failure, the call that failed and at which iteration.
 */
struct res {
	int err;
	double v[2];
	int partial;		/* the time bound ended it: values over what was done */
	char what[24];
	long iter;
};

/* ---- the child: one measurement ------------------------------------------- */

static int result_fd = -1;
static int reported;

/*
 * Hands the outcome to the parent and ends the child, threads and sockets
 * with it. The first caller wins; a later one (the other side seeing the
 * first one's failure) waits for the exit. Async-signal-safe: the
 * deadline handler calls it.
 */
static void __attribute__((noreturn)) report_at(int err, double v0, double v1, int partial,
						 const char *what, long iter)
{
	struct res r = { .err = err, .v = { v0, v1 }, .partial = partial, .iter = iter };

	for (size_t i = 0; what[i] && i < sizeof(r.what) - 1; i++)
		r.what[i] = what[i];
	if (__atomic_exchange_n(&reported, 1, __ATOMIC_SEQ_CST) == 0) {
		if (write(result_fd, &r, sizeof(r)) != sizeof(r))
			_exit(3);
		_exit(0);
	}
	for (;;)
		pause();
}

/* A failure of call @what (at iteration @i, or -1): @err, or errno if 0. */
static void __attribute__((noreturn)) fail_at(const char *what, int err, long i)
{
	report_at(err ? err : errno, 0, 0, 0, what, i);
}

static void __attribute__((noreturn)) fail(const char *what, int err)
{
	fail_at(what, err, -1);
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (!opt.pin || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);	/* the calling thread */
}

struct run {
	int test;
	struct path path;
	int cfam, sfam, port;
	int lfd;
	long long bytes;	/* bulk */
	int count;		/* conn cycles, rr round trips (warm-up included) */
	pthread_t srv;
	/* Progress, for the deadline: */
	volatile double t0;	/* start of the timed part, 0 before */
	volatile double t_srv_end;
	volatile long long done; /* bulk: bytes received; conn: cycles; rr: trips timed */
	double *lat, sum;	/* rr: the round trips' times, µs, and their sum */
};

static struct run *cur;

static void swap(double *a, double *b)
{
	double t = *a;

	*a = *b;
	*b = t;
}

/* The @k-th smallest (from 0) of @a[0..@n), reordering @a (quickselect). */
static double kth(double *a, long n, long k)
{
	long lo = 0, hi = n - 1;

	while (lo < hi) {
		double pivot = a[(lo + hi) / 2];
		long i = lo, j = hi;

		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j)
				swap(&a[i++], &a[j--]);
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			break;
	}
	return a[k];
}

/* Mean and p99 of the first @n round trips. */
static void __attribute__((noreturn)) report_rr(struct run *r, long n, int partial)
{
	/* p99: the smallest value at least 99% of the samples are not above. */
	double p99 = kth(r->lat, n, (99 * n + 99) / 100 - 1);

	report_at(0, r->sum / n, p99, partial, "", -1);
}

/*
 * SIGALRM: the time bound (-t). A measurement that made progress reports
 * its rate over what it did, marked partial; one that did not, ETIMEDOUT.
 * Only the client (main) thread takes it: the server thread blocks it.
 */
static void on_deadline(int sig)
{
	struct run *r = cur;
	long long done = r->done;
	double dt = now_s() - r->t0;

	if (!r->t0 || done <= 0 || dt <= 0)
		report_at(ETIMEDOUT, 0, 0, 0, "", -1);
	if (r->test == T_BULK)
		report_at(0, done / dt / 1e6, dt, 1, "", -1);
	if (r->test == T_CONN)
		report_at(0, done / dt, dt, 1, "", -1);
	report_rr(r, done, 1);
}

/* The listener, in the server netns. Reports a failure. */
static void listener(struct run *r, int backlog)
{
	int err;

	if (netns_enter(r->path.ns_s))
		fail("setns", 0);
	r->lfd = socket(r->sfam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->lfd < 0)
		fail("server socket", 0);
	sockopt_set(r->lfd, SOL_SOCKET, SO_REUSEADDR, 1);
	err = bind_to(r->lfd, r->path.saddr, r->port);
	if (err)
		fail("bind", err);
	if (listen(r->lfd, backlog) < 0)
		fail("listen", 0);
}

/* A client socket connected to the server (the caller stays in the client netns). */
static int client_connected(struct run *r, long i)
{
	int fd, err;

	if (netns_enter(r->path.ns_c))
		fail("setns", 0);
	fd = socket(r->cfam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail_at("client socket", 0, i);
	err = connect_to(fd, r->path.saddr, r->port);
	if (err)
		fail_at("connect", err, i);
	return fd;
}

static int accept_one(int lfd, long i)
{
	int a;

	while ((a = accept(lfd, NULL, NULL)) < 0 && errno == EINTR)
		;
	if (a < 0)
		fail_at("accept", 0, i);
	return a;
}

/* The server side in a thread of its own, on CPU 1, without SIGALRM. */
static void server_start(struct run *r, void *(*fn)(void *))
{
	sigset_t alrm, old;
	int err;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, &old);	/* inherited by the thread */
	err = pthread_create(&r->srv, NULL, fn, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		fail("pthread_create", err);
}

/*
 * Sends or receives exactly @len bytes; reports a failure (ENODATA: the
 * peer closed). @i: the round trip, for the report.
 */
static void xfer(int fd, char *buf, size_t len, int sending, long i)
{
	while (len) {
		ssize_t n = sending ? send(fd, buf, len, MSG_NOSIGNAL) : recv(fd, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail_at(sending ? "send" : "recv", n ? 0 : ENODATA, i);
		buf += n;
		len -= n;
	}
}

static void *srv_bulk(void *arg)
{
	struct run *r = arg;
	char *buf = malloc(BULK_RBUF);
	int a;

	pin_cpu(1);
	a = accept_one(r->lfd, -1);
	while (r->done < r->bytes) {
		ssize_t n = recv(a, buf, BULK_RBUF, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)	/* @iter: the bytes received so far */
			fail_at("recv", n ? 0 : ENODATA, r->done);
		r->done += n;
	}
	r->t_srv_end = now_s();
	return NULL;
}

static void __attribute__((noreturn)) bulk(struct run *r)
{
	static char buf[BULK_CHUNK];
	long long left = r->bytes;
	int fd;

	memset(buf, 'x', sizeof(buf));
	listener(r, 16);
	server_start(r, srv_bulk);
	fd = client_connected(r, -1);
	r->t0 = now_s();
	while (left) {
		size_t n = left < BULK_CHUNK ? left : BULK_CHUNK;

		xfer(fd, buf, n, 1, r->bytes - left);
		left -= n;
	}
	pthread_join(r->srv, NULL);
	report_at(0, r->bytes / (r->t_srv_end - r->t0) / 1e6, r->t_srv_end - r->t0, 0, "", -1);
}

/*
 * The server closes connection i once it has accepted connection i + 1:
 * the client starts connect() i + 1 only after connect() i returned, so
 * no connect() can see its connection closed under it. (A close that
 * resets, as rust_tcp's does until it has FIN, would otherwise make a
 * connect() that the server's accept() and close() overtake fail with
 * ECONNRESET, as Linux's would.) The last one is closed at exit.
 */
static void *srv_conn(void *arg)
{
	struct run *r = arg;
	int prev = -1;

	pin_cpu(1);
	for (int i = 0; i < r->count; i++) {
		int a = accept_one(r->lfd, i);

		if (prev >= 0)
			close(prev);
		prev = a;
	}
	r->t_srv_end = now_s();
	return NULL;
}

static void __attribute__((noreturn)) conn(struct run *r)
{
	double t1;

	listener(r, 1024);
	server_start(r, srv_conn);
	r->t0 = now_s();
	for (int i = 0; i < r->count; i++) {
		close(client_connected(r, i));
		r->done++;
	}
	t1 = now_s();
	pthread_join(r->srv, NULL);
	if (r->t_srv_end > t1)
		t1 = r->t_srv_end;
	report_at(0, r->count / (t1 - r->t0), t1 - r->t0, 0, "", -1);
}

static void *srv_rr(void *arg)
{
	struct run *r = arg;
	char c;
	int a;

	pin_cpu(1);
	a = accept_one(r->lfd, -1);
	for (int i = 0; i < r->count; i++) {
		xfer(a, &c, 1, 0, i);
		xfer(a, &c, 1, 1, i);
	}
	return NULL;
}

static void __attribute__((noreturn)) rr(struct run *r)
{
	char c = 'x';
	int fd;

	r->lat = calloc(r->count, sizeof(*r->lat));
	listener(r, 16);
	server_start(r, srv_rr);
	fd = client_connected(r, -1);
	for (int i = 0; i < r->count; i++) {
		double t = now_s(), us;

		xfer(fd, &c, 1, 1, i);
		xfer(fd, &c, 1, 0, i);
		if (i < RR_WARMUP)
			continue;
		us = (now_s() - t) * 1e6;
		if (!r->t0)
			r->t0 = t;
		r->lat[r->done] = us;
		r->sum += us;
		r->done++;	/* last: the deadline reads lat[0..done) */
	}
	report_rr(r, r->done, 0);
}

static void __attribute__((noreturn)) child(int test, int path, const struct pairing *p, int port)
{
	static struct run r;
	struct sigaction sa = { .sa_handler = on_deadline };
	int err;

	r = (struct run){
		.test = test, .cfam = family_of[p->c], .sfam = family_of[p->s],
		.port = port, .lfd = -1, .bytes = opt.bulk_mib << 20,
		.count = test == T_CONN ? opt.conn_cycles : opt.rr_trips + RR_WARMUP,
	};
	cur = &r;
	sigaction(SIGALRM, &sa, NULL);
	alarm(opt.timeout);
	signal(SIGPIPE, SIG_IGN);
	err = path_setup(path, &r.path);
	if (err)
		fail("netns setup", err);
	pin_cpu(0);
	switch (test) {
	case T_BULK:
		bulk(&r);
	case T_CONN:
		conn(&r);
	default:
		rr(&r);
	}
}

/* ---- the parent ---------------------------------------------------------- */

static struct res run_one(int test, int path, const struct pairing *p, int port)
{
	struct res r = { .err = EIO, .iter = -1 };
	struct pollfd pf;
	int pfd[2], st, n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r.err = errno;
		return r;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		r.err = errno;
		close(pfd[0]);
		close(pfd[1]);
		return r;
	}
	if (pid == 0) {
		close(pfd[0]);
		result_fd = pfd[1];
		child(test, path, p, port);
	}
	close(pfd[1]);
	/* A backstop for a child the alarm did not end. */
	pf = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
	n = poll(&pf, 1, (opt.timeout + 15) * 1000);
	if (n == 0) {
		kill(pid, SIGKILL);
		r.err = ETIMEDOUT;
	} else if (read(pfd[0], &r, sizeof(r)) != sizeof(r)) {
		r.err = EIO;
		n = -1;
	}
	close(pfd[0]);
	waitpid(pid, &st, 0);
	if (n < 0 && WIFSIGNALED(st))
		r.err = WTERMSIG(st) == SIGALRM ? ETIMEDOUT : -WTERMSIG(st);
	return r;
}

/* Whether namespaces can be made here (root): 0 or errno, from a child. */
static int probe_paths(void)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return errno;
	if (pid == 0) {
		struct path p;

		for (int i = 0; i < NPATH; i++) {
			int err = path_setup(i, &p);

			if (err)
				_exit(err);
		}
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0)
		return errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EIO;
}

struct cell {
	struct res run[MAXREP];
};

static struct cell cells[NTEST][NPATH][NPAIR];

static const char *err_name(int err)
{
	static char buf[32];

	if (err == ESKIPPED)
		return "skipped";
	if (err < 0) {
		const char *s = sigabbrev_np(-err);

		snprintf(buf, sizeof(buf), "SIG%s", s ? s : "?");
		return buf;
	}
	return strerrorname_np(err) ? strerrorname_np(err) : "E?";
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of metric @m over the successful runs; their number in *ok. */
static double cell_median(const struct cell *c, int m, int *ok)
{
	double v[MAXREP];
	int n = 0;

	for (int i = 0; i < opt.reps; i++)
		if (!c->run[i].err)
			v[n++] = c->run[i].v[m];
	*ok = n;
	if (!n)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The first failure of @c (the reason shown when no run succeeded). */
static int cell_err(const struct cell *c)
{
	for (int i = 0; i < opt.reps; i++)
		if (c->run[i].err)
			return c->run[i].err;
	return 0;
}

static void fmt_value(char *buf, size_t size, int test, double v)
{
	snprintf(buf, size, test == T_CONN ? "%.0f" : "%.1f", v);
}

/* Whether a cell shown had a run the time bound ended (marked "*"). */
static int any_partial;

static void fmt_cell(char *buf, size_t size, int test, const struct cell *c, int m)
{
	char num[32];
	int ok;
	double med = cell_median(c, m, &ok);

	if (!ok) {
		int err = cell_err(c);

		snprintf(buf, size, err == ESKIPPED ? "%s" : "n/a (%s)", err_name(err));
		return;
	}
	fmt_value(num, sizeof(num), test, med);
	for (int i = 0; i < opt.reps; i++)
		if (!c->run[i].err && c->run[i].partial) {
			strcat(num, "*");
			any_partial = 1;
			break;
		}
	if (ok < opt.reps)
		snprintf(buf, size, "%s (%d/%d ok)", num, ok, opt.reps);
	else
		snprintf(buf, size, "%s", num);
}

struct row {
	int test, metric;
	const char *label, *unit;
};

static const struct row rows[] = {
	{ T_BULK, 0, "bulk", "MB/s" },
	{ T_CONN, 0, "conn", "conn/s" },
	{ T_RR, 0, "rr mean", "us" },
	{ T_RR, 1, "rr p99", "us" },
};

static void print_table(void)
{
	printf("\n%-16s %-5s", "test", "path");
	for (int k = 0; k < NPAIR; k++) {
		char h[32];

		snprintf(h, sizeof(h), "%s>%s", fam_name[pairings[k].c], fam_name[pairings[k].s]);
		printf(" %-22s", h);
	}
	printf("\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];

		if (!opt.test_on[w->test])
			continue;
		for (int p = 0; p < NPATH; p++) {
			char label[32];

			if (!opt.path_on[p])
				continue;
			snprintf(label, sizeof(label), "%s %s", w->label, w->unit);
			printf("%-16s %-5s", label, path_name[p]);
			for (int k = 0; k < NPAIR; k++) {
				char buf[64] = "-";

				if (k < npairs(w->test))
					fmt_cell(buf, sizeof(buf), w->test, &cells[w->test][p][k], w->metric);
				printf(" %-22s", buf);
			}
			printf("\n");
		}
	}
	if (any_partial)
		printf("* a run the time bound (-t %d s) ended: its rate over what it did\n",
		       opt.timeout);
}

static void print_machine(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];

		if (!opt.test_on[w->test])
			continue;
		for (int p = 0; p < NPATH; p++) {
			if (!opt.path_on[p])
				continue;
			for (int k = 0; k < npairs(w->test); k++) {
				const struct cell *c = &cells[w->test][p][k];
				int ok;
				double med = cell_median(c, w->metric, &ok);
				char metric[32];

				snprintf(metric, sizeof(metric), "%s%s%s", w->test == T_RR ? w->label + 3 : "",
					 w->test == T_RR ? "_" : "", w->unit);
				printf("BENCH {\"test\":\"%s\",\"path\":\"%s\",\"client\":\"%s\",\"server\":\"%s\","
				       "\"metric\":\"%s\",\"median\":",
				       test_name[w->test], path_name[p], fam_name[pairings[k].c],
				       fam_name[pairings[k].s], metric);
				if (ok)
					printf("%.3f", med);
				else
					printf("null");
				printf(",\"runs\":[");
				for (int j = 0; j < opt.reps; j++) {
					if (c->run[j].err)
						printf("%snull", j ? "," : "");
					else
						printf("%s%.3f", j ? "," : "", c->run[j].v[w->metric]);
				}
				printf("],\"partial\":[");
				for (int j = 0; j < opt.reps; j++)
					printf("%s%s", j ? "," : "",
					       !c->run[j].err && c->run[j].partial ? "true" : "false");
				printf("],\"errors\":[");
				for (int j = 0; j < opt.reps; j++)
					printf("%s%s%s%s", j ? "," : "", c->run[j].err ? "\"" : "",
					       c->run[j].err ? err_name(c->run[j].err) : "null",
					       c->run[j].err ? "\"" : "");
				printf("]}\n");
			}
		}
	}
}

static int parse_list(const char *arg, const char *const *names, int n, int *on)
{
	char *s = strdup(arg), *save = NULL;

	memset(on, 0, n * sizeof(*on));
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int i;

		for (i = 0; i < n && strcmp(t, names[i]); i++)
			;
		if (i == n) {
			fprintf(stderr, "bench: unknown name '%s'\n", t);
			return -1;
		}
		on[i] = 1;
	}
	free(s);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench [-s MiB] [-c cycles] [-n trips] [-r reps] [-t seconds]\n"
		"             [-w ms] [-T bulk,conn,rr] [-P veth,lo] [-F inet,rust] [-U]\n"
		"  -s  bulk: MiB sent per connection (default %ld)\n"
		"  -c  conn: connect/accept/close cycles (default %d)\n"
		"  -n  rr: measured 1-byte round trips (default %d, plus %d warm-up)\n"
		"  -r  repetitions, median reported (default %d, at most %d)\n"
		"  -t  time bound of one measurement, seconds (default %d)\n"
		"  -w  pause after each successful measurement, ms, while its namespaces\n"
		"      go (default %d)\n"
		"  -T  tests to run; -P paths to run on; -F families: a pairing runs if\n"
		"      both its ends are listed (the others show \"skipped\")\n"
		"  -U  do not pin the client to CPU 0 and the server to CPU 1\n",
		opt.bulk_mib, opt.conn_cycles, opt.rr_trips, RR_WARMUP, opt.reps, MAXREP, opt.timeout,
		opt.settle_ms);
	exit(2);
}

int main(int argc, char **argv)
{
	struct utsname u;
	double start = now_s();
	int ch, err, port = 20000;

	while ((ch = getopt(argc, argv, "s:c:n:r:t:w:T:P:F:Uh")) != -1) {
		switch (ch) {
		case 's': opt.bulk_mib = atol(optarg); break;
		case 'c': opt.conn_cycles = atoi(optarg); break;
		case 'n': opt.rr_trips = atoi(optarg); break;
		case 'r': opt.reps = atoi(optarg); break;
		case 't': opt.timeout = atoi(optarg); break;
		case 'w': opt.settle_ms = atoi(optarg); break;
		case 'T': if (parse_list(optarg, test_name, NTEST, opt.test_on)) usage(); break;
		case 'P': if (parse_list(optarg, path_name, NPATH, opt.path_on)) usage(); break;
		case 'F': if (parse_list(optarg, fam_name, 2, opt.fam_on)) usage(); break;
		case 'U': opt.pin = 0; break;
		default: usage();
		}
	}
	if (opt.bulk_mib < 1 || opt.conn_cycles < 1 || opt.rr_trips < 1 || opt.reps < 1 ||
	    opt.reps > MAXREP || opt.timeout < 1 || opt.settle_ms < 0 || optind != argc)
		usage();

	setvbuf(stdout, NULL, _IOLBF, 0);
	family_of[F_INET] = AF_INET;
	family_of[F_RUST] = rust_tcp_family();
	err = probe_paths();
	if (err) {
		fprintf(stderr, "bench: cannot set up the network namespaces: %s (root needed)\n",
			err_name(err));
		return 1;
	}
	uname(&u);
	printf("# rust_tcp bench: kernel %s %s, %ld CPUs, rust_tcp family %d (%s)\n",
	       u.release, u.version, sysconf(_SC_NPROCESSORS_ONLN), family_of[F_RUST],
	       family_available(family_of[F_RUST]) ? "loaded" : "NOT loaded");
	printf("# bulk %ld MiB, conn %d cycles, rr %d round trips; %d repetitions, median; "
	       "%s; client>server\n", opt.bulk_mib, opt.conn_cycles, opt.rr_trips, opt.reps,
	       opt.pin ? "client on CPU 0, server on CPU 1" : "not pinned");

	for (int rep = 0; rep < opt.reps; rep++) {
		for (int t = 0; t < NTEST; t++) {
			if (!opt.test_on[t])
				continue;
			for (int p = 0; p < NPATH; p++) {
				if (!opt.path_on[p])
					continue;
				for (int i = 0; i < npairs(t); i++) {
					int k = rep % 2 ? npairs(t) - 1 - i : i;
					const struct pairing *pr = &pairings[k];
					double t0 = now_s();
					struct res r;
					char v[96];

					if (!opt.fam_on[pr->c] || !opt.fam_on[pr->s]) {
						cells[t][p][k].run[rep].err = ESKIPPED;
						continue;
					}
					r = run_one(t, p, pr, port++);
					cells[t][p][k].run[rep] = r;
					if (r.err) {
						int l = snprintf(v, sizeof(v), "n/a (%s)", err_name(r.err));

						if (r.what[0])
							l += snprintf(v + l, sizeof(v) - l, " in %s", r.what);
						if (r.what[0] && r.iter >= 0)
							snprintf(v + l, sizeof(v) - l, " #%ld", r.iter);
					} else {
						fmt_value(v, sizeof(v), t, r.v[0]);
						if (t == T_RR) {
							size_t l = strlen(v);

							snprintf(v + l, sizeof(v) - l, " / ");
							fmt_value(v + l + 3, sizeof(v) - l - 3, t, r.v[1]);
						}
					}
					fprintf(stderr, "# rep %d/%d %-4s %-4s %s>%s: %s%s%s (%.1f s)\n",
						rep + 1, opt.reps, test_name[t], path_name[p],
						fam_name[pr->c], fam_name[pr->s], v,
						r.err ? "" : t == T_BULK ? " MB/s" : t == T_CONN ? " conn/s" :
						" us mean / p99", !r.err && r.partial ? ", partial: time bound" : "",
						now_s() - t0);
					if (!r.err)	/* a failure leaves little to clean up */
						msleep(opt.settle_ms);
				}
			}
		}
	}
	print_table();
	printf("\n");
	print_machine();
	printf("# bench took %.0f s\n", now_s() - start);
	return 0;
}
