// SPDX-License-Identifier: GPL-2.0
/*
 * bench: rust_tcp and the kernel's own TCP (AF_INET) side by side, in one
 * boot, on the same paths and with the same code; only the family given
 * to socket() differs. See docs/benchmark.md; scripts/bench.sh (make
 * bench) runs it in the perf kernel.
 *
 * The default table:
 *
 *   bulk   one connection; the client sends -s MiB, the server reads and
 *          discards them: MB/s (10^6 bytes/s) from the client's first
 *          send() to the server's last recv()
 *   conn   -c cycles of socket() + connect() + close() on the client,
 *          accept() + close() on the server: connections per second
 *   rr     -n round trips of a 1-byte request and its 1-byte answer on one
 *          connection (after 100 untimed ones): mean and p99, in µs
 *   bulk4  four bulk connections at once, -s MiB split over them, each end
 *          in a thread of its own, the four pairs spread over both CPUs:
 *          the aggregate MB/s, from their start to the last one's last
 *          recv()
 *   fat    bulk of -f MiB over veth with a 20 ms round trip (netem delay on
 *          the server's egress: the ACKs) and SO_SNDBUF/SO_RCVBUF of 4 MiB
 *          on both ends, so that 4 MiB can be in flight: MB/s
 *
 * bulk, bulk4 and fat (and tax's bulk) also give their CPU cost: the busy
 * time of all CPUs (/proc/stat: user, nice, system, irq, softirq) over
 * the timed part, in ms per MB moved. It tells work from waiting: a rate
 * that falls because the transfer stalls (window, timers, losses) leaves
 * it low, one that falls because each byte costs more raises it. It does
 * not take the host's noise out: the TCG guest has no steal time, so time
 * the host takes from a busy vCPU counts as busy in the guest too.
 *
 * and the connection tables' parts (issue 13):
 *
 *   tax    Linux TCP's bulk, conn and rr (inet>inet) in three states:
 *          "none" before rust_tcp is loaded (-m loads it afterwards),
 *          "idle" loaded, "held" loaded with -H listeners and connections
 *          of rust_tcp open over 127.0.0.1 in every netns the measured
 *          traffic crosses; the ratio to "none"
 *   scale  conn and rr with -N established connections on the measured
 *          listener (one child per series grows them and measures at each
 *          size), rust>rust and inet>inet; each size against the first
 *   cpu2   connection rate with one listener and one accept thread, all
 *          on CPU 0, and with two SO_REUSEPORT listeners and their accept
 *          threads, one client thread and one server thread per CPU
 *
 * Each on two paths: "veth" (client and server in two network namespaces
 * joined by a veth pair: two_hosts_setup_quick() of the selftests) and
 * "lo" (one namespace, 127.0.0.1). Pairings are client>server: inet>inet,
 * rust>rust, and for bulk, rr, bulk4 and fat also rust>inet and inet>rust
 * (fat runs on veth only). Each (test, path, pairing) is measured -r
 * times; the repetitions are interleaved (every pairing once, then every
 * pairing again, in reverse order on odd repetitions), so that drift hits
 * every family alike, and the table shows the median and, beside Linux's
 * (inet>inet), the ratio of each other pairing's median to it.
 *
 * Every measurement runs in a child process, in namespaces of its own,
 * made afresh (none inherits another's TIME_WAIT sockets or the leftovers
 * of a failure; -w ms of pause after each lets the old ones go). A call
 * that fails ends it: "n/a (ERRNO)" (the progress line says which call,
 * at which iteration). A time bound (-t s, SIGALRM) ends one that takes
 * too long: with progress made, the rate over what it did, marked "*";
 * without, "n/a (ETIMEDOUT)". Either way the run goes on. A kernel crash
 * ends the boot, of course: the progress lines printed so far remain.
 * The client runs on CPU 0, the server on CPU 1 (bulk4: connection k's
 * client on CPU k % 2, its server on the other; -U: anywhere).
 *
 * Output: progress lines ("# rep ...") on stderr; on stdout the tables and
 * one line per table cell for machines:
 *   BENCH {"test":"bulk","path":"veth","client":"inet","server":"inet",
 *          "metric":"MB/s","median":...,"runs":[...],"partial":[...],
 *          "errors":[...]}
 * ("metric":"cpu_ms/MB" for the CPU cost; the pairings other than
 * inet>inet add "vs_inet", the ratio; tax, scale and cpu2 cells carry
 * more keys: docs/benchmark.md).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "common.h"

enum { T_BULK, T_CONN, T_RR, T_BULK4, T_FAT, T_TAX, T_SCALE, T_CPU2, NTEST };
#define NGRID 5			/* bulk .. fat: the default table's tests */
#define NTAX 3			/* bulk, conn, rr: what tax measures */
enum { P_VETH, P_LO, NPATH };
enum { F_INET, F_RUST };

/*
 * What one measurement is: K_BULK..K_FAT are T_BULK..T_FAT. K_CPUMB is no
 * measurement: how a "cpu ms/MB" value prints.
 */
enum { K_BULK, K_CONN, K_RR, K_BULK4, K_FAT, K_CPU2, K_GROW, K_CPUMB };
_Static_assert((int)K_FAT == T_FAT && (int)K_BULK4 == T_BULK4,
	       "a grid test is its measurement's kind");

/* tax: the states Linux TCP is measured in. */
enum { S_NONE, S_IDLE, S_HELD, NSTATE };

static const char *const test_name[NTEST] = {
	"bulk", "conn", "rr", "bulk4", "fat", "tax", "scale", "cpu2",
};
static const char *const path_name[NPATH] = { "veth", "lo" };
static const char *const fam_name[2] = { "inet", "rust" };
static const char *const state_name[NSTATE] = { "none", "idle", "held" };

struct pairing {
	int c, s;		/* client and server family: F_INET or F_RUST */
};

/* Mixed pairings come last: conn, scale and cpu2 measure only the first two. */
static const struct pairing pairings[] = {
	{ F_INET, F_INET }, { F_RUST, F_RUST }, { F_RUST, F_INET }, { F_INET, F_RUST },
};
#define NPAIR 4
#define NSAME 2			/* inet>inet, rust>rust */

static int npairs(int test)
{
	return test == T_CONN ? NSAME : NPAIR;
}

#define MAXREP 15
#define MAXSIZES 8
#define MAXHOLDL 64
#define MAXADDR 32
/* Not errnos: */
#define ESKIPPED 100000		/* the pairing was left out (-F) */
#define ELOADED 100001		/* tax "none": rust_tcp was loaded before bench started */
#define EUNREACHED 100002	/* scale: the series ended before this size */
#define ESTOPTIME 100003	/* scale: growing stopped at the time bound (-G) */
#define ESTOPMEM 100004		/* scale: growing stopped at the memory floor */
#define RR_WARMUP 100
#define BULK_CHUNK (128 * 1024)
#define BULK_RBUF (256 * 1024)
#define HOLD_PORT 5001		/* tax: the held listeners' first port */
#define SCALE_PORT 999		/* scale: the listener, outside the widened port range */
#define SCALE_PORT_RANGE "1024 65535"
#define MEM_FLOOR_MIB 192	/* scale: stop growing under this much MemAvailable */
#define NOFILE (1 << 18)	/* RLIMIT_NOFILE: scale holds 2 fds per connection */
#define NFLOW 4			/* bulk4: its connections */
#define FAT_BUF (4 << 20)	/* fat: SO_SNDBUF and SO_RCVBUF of both ends */
#define FAT_DELAY_MS 20		/* fat: netem's delay, on the server's egress */
#define FAT_LIMIT 10000		/* fat: netem's queue, packets */

static struct {
	long bulk_mib, fat_mib;
	int conn_cycles, rr_trips, reps, timeout;
	int test_on[NTEST], path_on[NPATH];
	int pin, settle_ms;
	int fam_on[2];
	const char *module;
	int hold_l, hold_c;
	long sizes[MAXSIZES];
	int nsizes, grow_s;
	int cycle, naddr;
} opt = {
	.bulk_mib = 256, .fat_mib = 64, .conn_cycles = 2000, .rr_trips = 5000, .reps = 3,
	.timeout = 60, .test_on = { 1, 1, 1, 1, 1, 1, 0, 1 }, .path_on = { 1, 1 }, .pin = 1,
	.settle_ms = 300, .fam_on = { 1, 1 }, .hold_l = 4, .hold_c = 100,
	.sizes = { 0, 1000, 10000, 50000 }, .nsizes = 4, .grow_s = 300, .cycle = 1,
	.naddr = 8,
};

static int family_of[2];

/* Whether @test runs on path @p: fat's delay is on the veth, so veth only. */
static int test_on_path(int test, int p)
{
	return opt.path_on[p] && (test != T_FAT || p == P_VETH);
}

/* Whether measurement @kind moves bytes (MB/s and cpu ms/MB). */
static int is_bulk(int kind)
{
	return kind == K_BULK || kind == K_BULK4 || kind == K_FAT;
}

/* USER_HZ: the unit of /proc/stat's times. */
static long clk_tck = 100;

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
 * a failure, the call that failed and at which iteration. A scale series
 * sends several: which one (kind, size index, repetition) and how many
 * connections were held.
 */
struct res {
	int err;
	double v[2];
	int partial;		/* the time bound ended it: values over what was done */
	char what[24];
	long iter;
	int kind, idx, rep;
	long held;
	double secs;		/* K_GROW: the time growing took */
};

/* What one child does. */
struct job {
	int kind, path, port;
	struct pairing pr;
	int held;		/* tax: hold rust_tcp sockets in the path's netns */
	int cpus;		/* cpu2: 1 or 2 */
};

/* ---- the child: one measurement ------------------------------------------- */

static int result_fd = -1;
static int reported;

struct run {
	int kind;
	struct path path;
	int cfam, sfam, port;
	int lfd;
	long long bytes;	/* bulk, bulk4 (all four), fat */
	int buf;		/* fat: SO_SNDBUF and SO_RCVBUF of both ends, or 0 */
	long long cpu0;		/* bulk: the CPUs' busy ticks at t0 */
	int count;		/* conn cycles, rr round trips (warm-up included) */
	pthread_t srv;
	/* Progress, for the deadline: */
	volatile double t0;	/* start of the timed part, 0 before */
	volatile double t_srv_end;
	volatile long long done; /* bulk: bytes received (bulk4: by all four); conn:
				  * cycles; rr: trips timed */
	double *lat, sum;	/* rr: the round trips' times, µs, and their sum */
	int last_fd;		/* conn: the server's last connection; rr: the server's one */
	/* scale: where the series is */
	int idx, rep;
	long held;
	/* scale: growing the held connections */
	int *cfd, *sfd;
	volatile long nc, ns;	/* client connections made, server ones accepted */
	volatile long target;
	volatile int stop, srv_err;
	/* scale: the listener is on 0.0.0.0, held connections go to addr[i % naddr] */
	int bind_any, naddr;
	char addr[MAXADDR][16];
	/* cpu2 */
	int lfd2, cpus;
	volatile long claimed;
};

static struct run *cur;

/* Sends @r to the parent (a scale series sends several). */
static void emit(const struct res *r)
{
	if (write(result_fd, r, sizeof(*r)) != sizeof(*r))
		_exit(3);
}

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

	if (cur) {
		r.kind = cur->kind;
		r.idx = cur->idx;
		r.rep = cur->rep;
		r.held = cur->held;
	}
	for (size_t i = 0; what[i] && i < sizeof(r.what) - 1; i++)
		r.what[i] = what[i];
	if (__atomic_exchange_n(&reported, 1, __ATOMIC_SEQ_CST) == 0) {
		emit(&r);
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

static void pin_thread_always(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);	/* the calling thread */
}

static void pin_thread(int cpu)
{
	if (opt.pin)
		pin_thread_always(cpu);
}

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
static void rr_stats(struct run *r, long n, double v[2])
{
	/* p99: the smallest value at least 99% of the samples are not above. */
	v[1] = kth(r->lat, n, (99 * n + 99) / 100 - 1);
	v[0] = r->sum / n;
}

/*
 * The busy time of all CPUs so far, in USER_HZ ticks: user + nice + system +
 * irq + softirq of /proc/stat's "cpu" line (not idle, iowait, steal), or
 * -1. Parsed by hand: the deadline handler calls it, and sscanf() is not
 * async-signal-safe.
 */
static long long cpu_busy_ticks(void)
{
	long long v[7] = { 0 };
	char buf[256], *p = buf + 4;

	if (read_file("/proc/stat", buf, sizeof(buf)) || strncmp(buf, "cpu ", 4))
		return -1;
	for (int i = 0; i < 7; i++) {
		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			v[i] = v[i] * 10 + *p++ - '0';
	}
	return v[0] + v[1] + v[2] + v[5] + v[6];
}

/*
 * The CPU time all CPUs spent since r->cpu0 per MB (10^6 bytes) of @bytes
 * moved, in ms; 0 when /proc/stat could not be read. Whatever ran counts
 * (both ends, softirqs, the rest of the guest): the same for both families.
 */
static double cpu_ms_per_mb(const struct run *r, long long bytes)
{
	long long t = cpu_busy_ticks();

	if (t < 0 || r->cpu0 < 0 || bytes <= 0)
		return 0;
	return (t - r->cpu0) * 1000.0 / clk_tck / (bytes / 1e6);
}

/*
 * SIGALRM: the time bound (-t). A measurement that made progress reports
 * its rate over what it did, marked partial; one that did not, ETIMEDOUT.
 * Only the client (main) thread takes it: the other threads block it.
 */
static void on_deadline(int sig)
{
	struct run *r = cur;
	long long done = r->done;
	double dt = now_s() - r->t0, v[2];

	if (r->kind == K_GROW) {
		r->held = r->nc;
		report_at(ETIMEDOUT, 0, 0, 0, "grow connect", r->nc);
	}
	if (!r->t0 || done <= 0 || dt <= 0)
		report_at(ETIMEDOUT, 0, 0, 0, "", -1);
	if (is_bulk(r->kind))
		report_at(0, done / dt / 1e6, cpu_ms_per_mb(r, done), 1, "", -1);
	if (r->kind == K_CONN || r->kind == K_CPU2)
		report_at(0, done / dt, dt, 1, "", -1);
	rr_stats(r, done, v);
	report_at(0, v[0], v[1], 1, "", -1);
}

/*
 * fat: both buffers of socket @fd at r->buf, before listen() or connect():
 * the window scale a SYN offers follows the receive buffer, and an
 * accepted socket inherits the listener's. The *FORCE options (root) pass
 * net.core.wmem_max and rmem_max (208 KiB), which are not per netns: no
 * global sysctl to raise and restore. The kernel doubles the value for
 * its overhead: Linux's window is about half of sk_rcvbuf, rust_tcp's
 * send ring half of sk_sndbuf, so both can have r->buf in flight.
 * Reports a failure.
 */
static void bufs_set(struct run *r, int fd)
{
	int err;

	if (!r->buf)
		return;
	err = sockopt_set(fd, SOL_SOCKET, SO_SNDBUFFORCE, r->buf);
	if (err)
		fail("SO_SNDBUFFORCE", err);
	err = sockopt_set(fd, SOL_SOCKET, SO_RCVBUFFORCE, r->buf);
	if (err)
		fail("SO_RCVBUFFORCE", err);
}

/* A listener on the run's port in the server netns. Reports a failure. */
static int listener_on(struct run *r, int backlog, int reuseport)
{
	int fd, err;

	if (netns_enter(r->path.ns_s))
		fail("setns", 0);
	fd = socket(r->sfam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail("server socket", 0);
	sockopt_set(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (reuseport && sockopt_set(fd, SOL_SOCKET, SO_REUSEPORT, 1))
		fail("SO_REUSEPORT", 0);
	bufs_set(r, fd);
	err = bind_to(fd, r->bind_any ? "0.0.0.0" : r->path.saddr, r->port);
	if (err)
		fail("bind", err);
	if (listen(fd, backlog) < 0)
		fail("listen", 0);
	return fd;
}

/* The run's listener, unless it has one already (scale keeps its own). */
static void listener(struct run *r, int backlog)
{
	if (r->lfd < 0)
		r->lfd = listener_on(r, backlog, 0);
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
	bufs_set(r, fd);
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

/* A thread without SIGALRM (only the client main thread takes it). */
static pthread_t thread_start(void *(*fn)(void *), void *arg)
{
	sigset_t alrm, old;
	pthread_t t;
	int err;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, &old);	/* inherited by the thread */
	err = pthread_create(&t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		fail("pthread_create", err);
	return t;
}

/* The server side in a thread of its own, on CPU 1, without SIGALRM. */
static void server_start(struct run *r, void *(*fn)(void *))
{
	r->srv = thread_start(fn, r);
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

/* Clears the progress of the run's last measurement before the next one. */
static void progress_reset(struct run *r, int kind, int count)
{
	r->kind = kind;
	r->count = count;
	r->t0 = 0;
	r->t_srv_end = 0;
	r->done = 0;
	r->sum = 0;
	r->last_fd = -1;
}

static void *srv_bulk(void *arg)
{
	struct run *r = arg;
	char *buf = malloc(BULK_RBUF);
	int a;

	pin_thread(1);
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

/*
 * What the bulk clients send. Written (not left to the zero page, which
 * every page of it would map, always in cache) before any client starts.
 */
static char bulk_buf[BULK_CHUNK];

/* Sends @bytes on @fd in BULK_CHUNK calls. Reports a failure. */
static void send_bulk(int fd, long long bytes)
{
	long long left = bytes;

	while (left) {
		size_t n = left < BULK_CHUNK ? left : BULK_CHUNK;

		xfer(fd, bulk_buf, n, 1, bytes - left);
		left -= n;
	}
}

/* v[0]: MB/s; v[1]: CPU ms per MB (cpu_ms_per_mb()). */
static void measure_bulk(struct run *r, double v[2])
{
	int fd;

	memset(bulk_buf, 'x', sizeof(bulk_buf));
	listener(r, 16);
	server_start(r, srv_bulk);
	fd = client_connected(r, -1);
	r->cpu0 = cpu_busy_ticks();
	r->t0 = now_s();
	send_bulk(fd, r->bytes);
	pthread_join(r->srv, NULL);
	v[1] = cpu_ms_per_mb(r, r->bytes);
	v[0] = r->bytes / (r->t_srv_end - r->t0) / 1e6;
}

/* ---- bulk4 and fat ---------------------------------------------------------- */

/* One of bulk4's connections: its two ends, each a thread. */
struct flow {
	struct run *r;
	int k;			/* its client runs on CPU k % 2, its server on the other */
	int cfd, sfd;
	pthread_t cli, srv;
	pthread_barrier_t *go;	/* the clients start together */
	double t_end;		/* the server's last recv() */
};

/* bulk4's server: receives its share, counting it in r->done with the others'. */
static void *srv_flow(void *arg)
{
	struct flow *f = arg;
	struct run *r = f->r;
	long long got = 0, want = r->bytes / NFLOW;
	char *buf = malloc(BULK_RBUF);

	pin_thread((f->k + 1) % 2);
	if (!buf)
		fail("malloc", ENOMEM);
	while (got < want) {
		ssize_t n = recv(f->sfd, buf, BULK_RBUF, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)	/* @iter: the bytes this connection received so far */
			fail_at("recv", n ? 0 : ENODATA, got);
		got += n;
		__atomic_fetch_add(&r->done, n, __ATOMIC_RELAXED);
	}
	f->t_end = now_s();
	return NULL;
}

/* bulk4's client: sends its share once all four are ready. */
static void *cli_flow(void *arg)
{
	struct flow *f = arg;
	struct run *r = f->r;

	pin_thread(f->k % 2);
	pthread_barrier_wait(f->go);
	if (!f->k) {
		r->cpu0 = cpu_busy_ticks();
		r->t0 = now_s();
	}
	send_bulk(f->cfd, r->bytes / NFLOW);
	return NULL;
}

/*
 * bulk4: NFLOW connections, made and accepted one after the other (so
 * that accept() k returns connect() k's), then sending r->bytes / NFLOW
 * each at once. Connection k's client runs on CPU k % 2 and its server on
 * the other CPU: each CPU runs two senders and two receivers, and the
 * softirq work of the paths (done on the sending CPU) is spread alike.
 * The rate is the aggregate, from the start to the last server's last
 * recv(); v[1] the CPU ms per MB over all of it.
 */
static void measure_bulk4(struct run *r, double v[2])
{
	static struct flow f[NFLOW];
	pthread_barrier_t go;
	double end = 0;

	memset(bulk_buf, 'x', sizeof(bulk_buf));
	listener(r, 16);
	pthread_barrier_init(&go, NULL, NFLOW);
	for (int k = 0; k < NFLOW; k++) {
		f[k] = (struct flow){ .r = r, .k = k, .go = &go };
		f[k].cfd = client_connected(r, k);
		f[k].sfd = accept_one(r->lfd, k);
	}
	for (int k = 0; k < NFLOW; k++) {
		f[k].srv = thread_start(srv_flow, &f[k]);
		if (k)
			f[k].cli = thread_start(cli_flow, &f[k]);
	}
	cli_flow(&f[0]);	/* client 0: this thread, which takes SIGALRM */
	for (int k = 0; k < NFLOW; k++) {
		if (k)
			pthread_join(f[k].cli, NULL);
		pthread_join(f[k].srv, NULL);
		if (f[k].t_end > end)
			end = f[k].t_end;
	}
	v[1] = cpu_ms_per_mb(r, r->bytes);
	v[0] = r->bytes / (end - r->t0) / 1e6;
}

/*
 * fat's delay: netem on the server's veth, so on the ACKs (and the
 * SYN-ACK); the data cross undelayed. Delaying the data instead would
 * hold them in the sender's own qdisc, still charged to its socket, where
 * TCP Small Queues (tcp_limit_output_bytes, 1 MiB) keeps Linux to about
 * 1 MiB in flight whatever the window (the data_netem selftest, 20 ms on
 * both sides, saw at most 744 segments): the round trip is 20 ms either
 * way, and this way the window is what bounds what is in flight.
 * Reports a failure to add it. Off: the netns goes with the child
 * anyway; taken off so that nothing else ever finds it.
 */
static void netem(struct run *r, int on)
{
	int err;

	if (netns_enter(r->path.ns_s))
		fail("setns", 0);
	if (!on) {
		sh("tc qdisc del dev %s root", VETH_S);
		return;
	}
	err = sh("tc qdisc add dev %s root netem delay %dms limit %d", VETH_S, FAT_DELAY_MS,
		 FAT_LIMIT);
	if (err)
		fail("tc qdisc add netem", err == 127 ? ENOENT : EIO);
}

/* fat: bulk over the delayed veth, both ends' buffers at FAT_BUF (r->buf). */
static void measure_fat(struct run *r, double v[2])
{
	netem(r, 1);
	measure_bulk(r, v);
	netem(r, 0);
}

/*
 * The server closes connection i once it has accepted connection i + 1:
 * the client starts connect() i + 1 only after connect() i returned, so
 * no connect() can see its connection closed under it. (A close that
 * resets, as rust_tcp's did until it had FIN, would otherwise make a
 * connect() that the server's accept() and close() overtake fail with
 * ECONNRESET, as Linux's would.) The last one is left to the caller.
 */
static void *srv_conn(void *arg)
{
	struct run *r = arg;
	int prev = -1;

	pin_thread(1);
	for (int i = 0; i < r->count; i++) {
		int a = accept_one(r->lfd, i);

		if (prev >= 0)
			close(prev);
		prev = a;
	}
	r->last_fd = prev;
	r->t_srv_end = now_s();
	return NULL;
}

static void measure_conn(struct run *r, double v[2])
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
	if (r->last_fd >= 0)
		close(r->last_fd);
	if (r->t_srv_end > t1)
		t1 = r->t_srv_end;
	v[0] = r->count / (t1 - r->t0);
	v[1] = t1 - r->t0;
}

static void *srv_rr(void *arg)
{
	struct run *r = arg;
	char c;
	int a;

	pin_thread(1);
	a = accept_one(r->lfd, -1);
	r->last_fd = a;
	for (int i = 0; i < r->count; i++) {
		xfer(a, &c, 1, 0, i);
		xfer(a, &c, 1, 1, i);
	}
	return NULL;
}

static void measure_rr(struct run *r, double v[2])
{
	char c = 'x';
	int fd;

	if (!r->lat)
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
	pthread_join(r->srv, NULL);
	close(fd);
	close(r->last_fd);
	rr_stats(r, r->done, v);
}

/*
 * tax's "held" state: in netns @ns, opt.hold_l rust_tcp listeners on
 * 0.0.0.0:HOLD_PORT and up and opt.hold_c connections to them (in turn)
 * over 127.0.0.1, both ends kept open until the child ends. Every segment
 * of the measured Linux TCP traffic entering @ns passes rust_tcp's
 * receive hook, which then looks through tables that are not empty.
 * Reports a failure.
 */
static void hold_set(int ns)
{
	int lfd[MAXHOLDL], err;

	if (netns_enter(ns))
		fail("setns", 0);
	for (int l = 0; l < opt.hold_l; l++) {
		lfd[l] = socket(family_of[F_RUST], SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (lfd[l] < 0)
			fail_at("hold socket", 0, l);
		sockopt_set(lfd[l], SOL_SOCKET, SO_REUSEADDR, 1);
		err = bind_to(lfd[l], "0.0.0.0", HOLD_PORT + l);
		if (err)
			fail_at("hold bind", err, l);
		if (listen(lfd[l], 128) < 0)
			fail_at("hold listen", 0, l);
	}
	for (int i = 0; i < opt.hold_c; i++) {
		int fd = socket(family_of[F_RUST], SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			fail_at("hold socket", 0, i);
		err = connect_to(fd, "127.0.0.1", HOLD_PORT + i % opt.hold_l);
		if (err)
			fail_at("hold connect", err, i);
		accept_one(lfd[i % opt.hold_l], i);
	}
}

/* ---- cpu2 ----------------------------------------------------------------- */

struct cpu2_thread {
	struct run *r;
	int k;			/* its CPU, and for a server its listener */
	pthread_barrier_t *go;	/* clients: all start together */
};

/* An accept thread: accepts and closes, as srv_conn, until the child ends. */
static void *srv_cpu2(void *arg)
{
	struct cpu2_thread *t = arg;
	int lfd = t->k ? t->r->lfd2 : t->r->lfd, prev = -1;

	pin_thread_always(t->k);
	for (long i = 0;; i++) {
		int a = accept_one(lfd, i);

		if (prev >= 0)
			close(prev);
		prev = a;
	}
	return NULL;
}

/* A client thread: connect() + close() while the cycles last. */
static void *cli_cpu2(void *arg)
{
	struct cpu2_thread *t = arg;
	struct run *r = t->r;
	long i;

	pin_thread_always(t->k);
	if (netns_enter(r->path.ns_c))
		fail("setns", 0);
	pthread_barrier_wait(t->go);
	if (!t->k)
		r->t0 = now_s();
	while ((i = __atomic_fetch_add(&r->claimed, 1, __ATOMIC_RELAXED)) < r->count) {
		close(client_connected(r, i));
		__atomic_fetch_add(&r->done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * cpu2: 2 * -c connections, made by r->cpus client threads (one per CPU)
 * against r->cpus listeners (SO_REUSEPORT when two), each served by an
 * accept thread on its own CPU. With one CPU, client and server share
 * CPU 0 and CPU 1 stays idle; with two, each CPU runs one client and one
 * server thread, so the work can split in two. Always pinned (-U or not).
 */
static void measure_cpu2(struct run *r, double v[2])
{
	struct cpu2_thread t[4];
	pthread_barrier_t go;
	pthread_t cli1 = 0;

	r->lfd = listener_on(r, 1024, r->cpus > 1);
	if (r->cpus > 1)
		r->lfd2 = listener_on(r, 1024, 1);
	pthread_barrier_init(&go, NULL, r->cpus);
	for (int k = 0; k < r->cpus; k++) {
		t[k] = (struct cpu2_thread){ r, k, &go };
		t[2 + k] = (struct cpu2_thread){ r, k, &go };
		thread_start(srv_cpu2, &t[k]);
	}
	if (r->cpus > 1)
		cli1 = thread_start(cli_cpu2, &t[3]);
	cli_cpu2(&t[2]);	/* client 0, on CPU 0: this thread */
	if (cli1)
		pthread_join(cli1, NULL);
	v[1] = now_s() - r->t0;
	v[0] = r->done / v[1];
}

/* ---- scale ---------------------------------------------------------------- */

/* MemAvailable, kB (-1 if unknown). */
static long mem_avail_kb(void)
{
	char buf[4096], *p;

	if (read_file("/proc/meminfo", buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "MemAvailable:");
	return p ? atol(p + 13) : -1;
}

/*
 * The drop and retransmission counters of the current netns: Linux TCP's
 * (/proc/net/snmp, /proc/net/netstat) and rust_tcp's
 * (/proc/net/rust_tcp_stat), as "Tcp.RetransSegs", "rust.ListenDrops", ...
 * Growing prints how they moved, so a stall shows its cause.
 */
#define NCTR 48

struct counters {
	int n;
	char name[NCTR][40];
	long v[NCTR];
};

static const char *const watched[] = {
	"Tcp.RetransSegs", "Tcp.AttemptFails", "Tcp.EstabResets", "Tcp.InErrs",
	"TcpExt.ListenOverflows", "TcpExt.ListenDrops", "TcpExt.TCPReqQFullDrop",
	"TcpExt.TCPReqQFullDoCookies", "TcpExt.SyncookiesSent", "TcpExt.SyncookiesFailed",
	"TcpExt.TCPTimeouts", "TcpExt.TCPSynRetrans", "TcpExt.TCPBacklogDrop",
	"TcpExt.TCPAbortOnMemory", "TcpExt.PAWSEstabRejected", "TcpExt.TCPMemoryPressures",
	"rust.InErrs", "rust.InCsumErrors", "rust.ListenOverflows", "rust.ListenDrops",
	"rust.ReqQFullDrop", "rust.SynRetrans", "rust.ReqTimeouts", "rust.SyncookiesSent",
	"rust.SyncookiesFailed", "rust.ReqQFullDoCookies", "rust.AttemptFails",
};

static void ctr_add(struct counters *c, const char *prefix, const char *key, long v)
{
	char name[40];

	snprintf(name, sizeof(name), "%s.%s", prefix, key);
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++) {
		if (strcmp(name, watched[i]) || c->n == NCTR)
			continue;
		strcpy(c->name[c->n], name);
		c->v[c->n++] = v;
	}
}

/* "Prefix: names..." followed by "Prefix: values..." (snmp, netstat). */
static void ctr_read_pairs(struct counters *c, const char *path)
{
	static char buf[16384];
	char *save = NULL, *line, *names = NULL;

	if (read_file(path, buf, sizeof(buf)))
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *s1, *s2, *k, *v;

		if (!colon)
			continue;
		if (!names || strncmp(names, line, colon - line + 1)) {
			names = line;
			continue;
		}
		*colon = 0;
		*strchr(names, ':') = 0;
		k = strtok_r(strchr(names, 0) + 1, " ", &s1);
		v = strtok_r(colon + 1, " ", &s2);
		for (; k && v; k = strtok_r(NULL, " ", &s1), v = strtok_r(NULL, " ", &s2))
			ctr_add(c, line, k, atol(v));
		names = NULL;
	}
}

static void ctr_snap(struct counters *c, int ns)
{
	char line[128], key[64];
	long v;
	FILE *f;

	c->n = 0;
	if (netns_enter(ns))
		return;
	ctr_read_pairs(c, "/proc/net/snmp");
	ctr_read_pairs(c, "/proc/net/netstat");
	f = fopen("/proc/net/rust_tcp_stat", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &v) == 2)
			ctr_add(c, "rust", key, v);
	if (f)
		fclose(f);
}

/* Prints the counters of @ns that moved since @before (and snaps anew). */
static void ctr_print(struct counters *before, int ns, const char *who)
{
	struct counters now;
	char out[512];
	int l = 0;

	ctr_snap(&now, ns);
	for (int i = 0; i < now.n && l < (int)sizeof(out) - 64; i++) {
		for (int j = 0; j < before->n; j++) {
			if (strcmp(now.name[i], before->name[j]) || now.v[i] == before->v[j])
				continue;
			l += snprintf(out + l, sizeof(out) - l, " %s +%ld", now.name[i],
				      now.v[i] - before->v[j]);
		}
	}
	if (l)
		fprintf(stderr, "#   %s:%s\n", who, out);
	*before = now;
}

/*
 * scale's server while growing: accepts and keeps connections until it has
 * r->target of them, or the client has stopped (r->stop) and nothing came
 * for 5 s. A failure is kept in r->srv_err for the client to see.
 */
static void *srv_hold(void *arg)
{
	struct run *r = arg;
	struct pollfd pf = { .fd = r->lfd, .events = POLLIN };
	double idle = 0;

	pin_thread(1);
	while (r->ns < r->target) {
		int n = poll(&pf, 1, 100), a;

		if (n <= 0) {
			if (n < 0 && errno != EINTR) {
				r->srv_err = errno;
				break;
			}
			if (r->stop && !idle)
				idle = now_s();
			else if (r->stop && now_s() - idle > 5)
				break;
			continue;
		}
		idle = 0;
		a = accept(r->lfd, NULL, NULL);
		if (a < 0) {
			if (errno == EINTR)
				continue;
			r->srv_err = errno;
			break;
		}
		r->sfd[r->ns] = a;
		__atomic_store_n(&r->ns, r->ns + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * Grows the held connections to @target (blocking connect()s from the
 * client netns, accepted by srv_hold on CPU 1): stops early at the series'
 * time bound (-G, from @t_end), the memory floor or a failure. Sends the
 * K_GROW result: how many are held, in what time, the rate of making them
 * (v[0]) and MemAvailable's fall per connection since @mem0 (v[1], kB).
 */
static void grow(struct run *r, long target, double t_end, long mem0)
{
	struct res g = { .kind = K_GROW, .idx = r->idx, .iter = -1 };
	long from = r->nc, mem, next = (r->nc / 5000 + 1) * 5000;
	double t0 = now_s();

	static struct counters cc, cs;

	if (!from) {
		ctr_snap(&cc, r->path.ns_c);
		ctr_snap(&cs, r->path.ns_s);
	}
	progress_reset(r, K_GROW, 0);
	r->target = target;
	r->stop = 0;
	server_start(r, srv_hold);
	if (netns_enter(r->path.ns_c))
		fail("setns", 0);
	while (r->nc < target) {
		int fd, err;

		if ((r->nc - from) % 256 == 0) {
			if (now_s() > t_end) {
				g.err = ESTOPTIME;
				break;
			}
			mem = mem_avail_kb();
			if (mem >= 0 && mem < MEM_FLOOR_MIB * 1024L) {
				g.err = ESTOPMEM;
				break;
			}
		}
		if (r->nc == next) {
			fprintf(stderr, "#   %ld held, %.0f conn/s since %ld\n", r->nc,
				(r->nc - from) / (now_s() - t0), from);
			next += 5000;
		}
		if (r->srv_err) {
			g.err = r->srv_err;
			snprintf(g.what, sizeof(g.what), "accept");
			break;
		}
		fd = socket(r->cfam, SOCK_STREAM | SOCK_CLOEXEC, 0);
		err = fd < 0 ? errno : connect_to(fd, r->addr[r->nc % r->naddr], r->port);
		if (err) {
			if (fd >= 0)
				close(fd);
			g.err = err;
			g.iter = r->nc;
			snprintf(g.what, sizeof(g.what), fd < 0 ? "socket" : "connect");
			break;
		}
		r->cfd[r->nc] = fd;
		r->nc++;
	}
	r->target = r->nc;
	r->stop = 1;
	pthread_join(r->srv, NULL);
	if (r->ns < r->nc && !g.err) {
		g.err = r->srv_err ? r->srv_err : ENOTCONN;
		snprintf(g.what, sizeof(g.what), "accept");
	}
	if (r->nc > from) {
		ctr_print(&cc, r->path.ns_c, r->path.ns_c == r->path.ns_s ? "counters" : "client");
		if (r->path.ns_c != r->path.ns_s)
			ctr_print(&cs, r->path.ns_s, "server");
	}
	g.held = r->held = r->ns < r->nc ? r->ns : r->nc;
	g.secs = now_s() - t0;
	g.v[0] = g.secs > 0 ? (r->nc - from) / g.secs : 0;
	mem = mem_avail_kb();
	g.v[1] = r->held && mem >= 0 && mem0 >= 0 ? (double)(mem0 - mem) / r->held : 0;
	emit(&g);
}

/* One scale measurement at the present size: sends its result. */
static void scale_measure(struct run *r, int kind, int rep)
{
	struct res m = { .kind = kind, .idx = r->idx, .rep = rep, .held = r->held, .iter = -1 };

	progress_reset(r, kind, kind == K_CONN ? opt.conn_cycles : opt.rr_trips + RR_WARMUP);
	r->rep = rep;
	alarm(opt.timeout);
	if (kind == K_CONN)
		measure_conn(r, m.v);
	else
		measure_rr(r, m.v);
	alarm(0);
	emit(&m);
}

/* Adds @addr/@prefix to @ifname in the current netns (RTM_NEWADDR): 0 or errno. */
static int addr_add(const char *ifname, const char *addr, int prefix)
{
	struct { struct nlmsghdr h; char buf[256]; } m = { 0 };
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = prefix };
	struct in_addr a;

	ifa.ifa_index = if_nametoindex(ifname);
	if (!ifa.ifa_index || inet_pton(AF_INET, addr, &a) != 1)
		return ENODEV;
	m.h.nlmsg_len = NLMSG_LENGTH(sizeof(ifa));
	m.h.nlmsg_type = RTM_NEWADDR;
	m.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	memcpy(NLMSG_DATA(&m.h), &ifa, sizeof(ifa));
	nl_put(&m.h, IFA_LOCAL, &a, sizeof(a));
	nl_put(&m.h, IFA_ADDRESS, &a, sizeof(a));
	return nl_request(&m.h);
}

/*
 * scale's server addresses: -A of them, so that the held connections
 * spread over as many 4-tuples per client port and no connect() has to
 * search a nearly full port range. lo: 127.0.0.1 and up (all local
 * already); veth: SERVER_ADDR, then 10.0.1.20 and up on the server's
 * veth, with permanent neighbour entries on the client. The first is the
 * one the measured connections go to. Reports a failure.
 */
static void scale_addrs(struct run *r, int lo)
{
	unsigned char mac[6];
	int err;

	r->naddr = opt.naddr;
	for (int i = 0; i < r->naddr; i++) {
		if (lo)
			snprintf(r->addr[i], sizeof(r->addr[i]), "127.0.0.%d", i % 250 + 1);
		else if (i)
			snprintf(r->addr[i], sizeof(r->addr[i]), "10.0.1.%d", 19 + i % 200);
		else
			snprintf(r->addr[i], sizeof(r->addr[i]), "%s", SERVER_ADDR);
	}
	if (lo)
		return;
	if (netns_enter(r->path.ns_s) || if_mac(VETH_S, mac))
		fail("server mac", EIO);
	for (int i = 1; i < r->naddr; i++) {
		err = addr_add(VETH_S, r->addr[i], 24);
		if (err)
			fail_at("server address", err, i);
	}
	if (netns_enter(r->path.ns_c))
		fail("setns", 0);
	for (int i = 1; i < r->naddr; i++) {
		err = arp_set(VETH_C, r->addr[i], mac);
		if (err)
			fail_at("neighbour", err, i);
	}
}

/*
 * A scale series: one listener; at each size of -N, grows the connections
 * it holds to that size, then measures conn and rr against the same
 * listener -r times, interleaved. A size not reached (time bound, memory
 * floor, failure) is measured at what was reached, and the series ends.
 */
static void __attribute__((noreturn)) scale_series(struct run *r)
{
	long max = opt.sizes[opt.nsizes - 1], mem0;
	double t_end;
	int err;

	/* One client address, one server port: widen the ephemeral range. */
	if (netns_enter(r->path.ns_c))
		fail("setns", 0);
	err = sysctl_set("net/ipv4/ip_local_port_range", SCALE_PORT_RANGE);
	if (err)
		fail("ip_local_port_range", err);
	write_file("/proc/self/oom_score_adj", "1000");	/* if anyone, this one */
	r->cfd = calloc(max + 1, sizeof(int));
	r->sfd = calloc(max + 1, sizeof(int));
	if (!r->cfd || !r->sfd)
		fail("calloc", ENOMEM);
	scale_addrs(r, r->path.ns_c == r->path.ns_s);
	r->bind_any = 1;
	r->lfd = listener_on(r, 4096, 0);
	mem0 = mem_avail_kb();
	t_end = now_s() + opt.grow_s;
	for (int i = 0; i < opt.nsizes; i++) {
		long stopped;

		r->idx = i;
		alarm(opt.grow_s + opt.timeout);	/* a connect() that hangs */
		grow(r, opt.sizes[i], t_end, mem0);
		alarm(0);
		stopped = r->held < opt.sizes[i];
		for (int rep = 0; rep < opt.reps; rep++) {
			scale_measure(r, rep % 2 ? K_RR : K_CONN, rep);
			scale_measure(r, rep % 2 ? K_CONN : K_RR, rep);
		}
		if (stopped)
			break;
	}
	_exit(0);
}

/* ---- the child ------------------------------------------------------------ */

static void __attribute__((noreturn)) child(const struct job *j)
{
	static struct run r;
	struct sigaction sa = { .sa_handler = on_deadline };
	double v[2];
	int err;

	r = (struct run){
		.kind = j->kind, .cfam = family_of[j->pr.c], .sfam = family_of[j->pr.s],
		.port = j->port, .lfd = -1, .lfd2 = -1, .last_fd = -1,
		.bytes = (j->kind == K_FAT ? opt.fat_mib : opt.bulk_mib) << 20,
		.buf = j->kind == K_FAT ? FAT_BUF : 0, .cpu0 = -1, .cpus = j->cpus,
		.count = j->kind == K_CONN ? opt.conn_cycles : j->kind == K_CPU2 ?
			 2 * opt.conn_cycles : opt.rr_trips + RR_WARMUP,
	};
	cur = &r;
	write_file("/proc/self/oom_score_adj", "0");	/* not the parent's -1000 */
	sigaction(SIGALRM, &sa, NULL);
	alarm(j->kind == K_GROW ? opt.grow_s + opt.timeout : opt.timeout);
	signal(SIGPIPE, SIG_IGN);
	err = path_setup(j->path, &r.path);
	if (err)
		fail("netns setup", err);
	if (j->held) {
		hold_set(r.path.ns_s);
		if (r.path.ns_c != r.path.ns_s)
			hold_set(r.path.ns_c);
	}
	if (j->kind == K_CPU2)
		pin_thread_always(0);
	else
		pin_thread(0);
	switch (j->kind) {
	case K_BULK:
		measure_bulk(&r, v);
		break;
	case K_CONN:
		measure_conn(&r, v);
		break;
	case K_RR:
		measure_rr(&r, v);
		break;
	case K_BULK4:
		measure_bulk4(&r, v);
		break;
	case K_FAT:
		measure_fat(&r, v);
		break;
	case K_CPU2:
		measure_cpu2(&r, v);
		break;
	default:
		scale_series(&r);
	}
	report_at(0, v[0], v[1], 0, "", -1);
}

/* ---- the parent ---------------------------------------------------------- */

typedef void (*res_fn)(const struct job *j, const struct res *r, void *ctx);

/*
 * Runs @j in a child; hands each result it sends to @fn. A child that
 * sent nothing, or that died or hung (the backstop: no result for
 * @wait_s), gives one more: its failure, with kind -1 after others.
 */
static void run_child(const struct job *j, int wait_s, res_fn fn, void *ctx)
{
	struct res r;
	struct pollfd pf;
	int pfd[2], st, n, got = 0, hung = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = (struct res){ .err = errno, .iter = -1, .kind = j->kind };
		fn(j, &r, ctx);
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		r = (struct res){ .err = errno, .iter = -1, .kind = j->kind };
		close(pfd[0]);
		close(pfd[1]);
		fn(j, &r, ctx);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		result_fd = pfd[1];
		child(j);
	}
	close(pfd[1]);
	for (;;) {
		pf = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
		n = poll(&pf, 1, wait_s * 1000);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			kill(pid, SIGKILL);
			hung = 1;
			break;
		}
		if (n < 0 || read(pfd[0], &r, sizeof(r)) != sizeof(r))
			break;
		fn(j, &r, ctx);
		got++;
	}
	close(pfd[0]);
	waitpid(pid, &st, 0);
	if (got && !hung && !WIFSIGNALED(st))
		return;
	/* Nothing sent, or the child hung or died after sending something. */
	r = (struct res){ .err = EIO, .iter = -1, .kind = got ? -1 : j->kind };
	if (hung)
		r.err = ETIMEDOUT;
	else if (WIFSIGNALED(st))
		r.err = WTERMSIG(st) == SIGALRM ? ETIMEDOUT : -WTERMSIG(st);
	fn(j, &r, ctx);
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

static struct cell cells[NGRID][NPATH][NPAIR];
static struct cell tax[NTAX][NPATH][NSTATE];
static struct cell cpu2[NPATH][NSAME][2];
static struct {
	struct res grow;
	struct cell conn, rr;
} scale[NPATH][NSAME][MAXSIZES];
static int scale_end[NPATH][NSAME];	/* how a series ended, if abnormally */

static const char *err_name(int err)
{
	static char buf[32];

	switch (err) {
	case ESKIPPED:
		return "skipped";
	case ELOADED:
		return "module loaded";
	case EUNREACHED:
		return "not reached";
	case ESTOPTIME:
		return "time bound";
	case ESTOPMEM:
		return "memory floor";
	}
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

/* Medians @a / @b of metric @m, or 0 when either is missing. */
static double cell_ratio(const struct cell *a, const struct cell *b, int m)
{
	int oka, okb;
	double x = cell_median(a, m, &oka), y = cell_median(b, m, &okb);

	return oka && okb && y > 0 ? x / y : 0;
}

static void fmt_value(char *buf, size_t size, int kind, double v)
{
	snprintf(buf, size, kind == K_CONN || kind == K_CPU2 ? "%.0f" : kind == K_CPUMB ? "%.2f" :
		 "%.1f", v);
}

/* Whether a cell shown had a run the time bound ended (marked "*"). */
static int any_partial;

static void fmt_cell(char *buf, size_t size, int kind, const struct cell *c, int m)
{
	char num[32];
	int ok;
	double med = cell_median(c, m, &ok);

	if (!ok) {
		int err = cell_err(c);

		snprintf(buf, size, err >= ESKIPPED ? "%s" : "n/a (%s)", err_name(err));
		return;
	}
	fmt_value(num, sizeof(num), kind, med);
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

/* @cell, then " ±4%": half the range of its runs over the median. */
static void fmt_cell_spread(char *buf, size_t size, int kind, const struct cell *c, int m)
{
	double lo = 0, hi = 0, med;
	int ok, n = 0;
	size_t l;

	fmt_cell(buf, size, kind, c, m);
	med = cell_median(c, m, &ok);
	for (int i = 0; i < opt.reps; i++) {
		double v = c->run[i].v[m];

		if (c->run[i].err)
			continue;
		lo = n && lo < v ? lo : v;
		hi = n && hi > v ? hi : v;
		n++;
	}
	l = strlen(buf);
	if (n > 1 && med > 0)
		snprintf(buf + l, size - l, " ±%.0f%%", 50 * (hi - lo) / med);
}

/* The ratio of two cells' medians, "x0.97", or "-". */
static void fmt_ratio(char *buf, size_t size, const struct cell *a, const struct cell *b, int m)
{
	double q = cell_ratio(a, b, m);

	snprintf(buf, size, q > 0 ? "x%.3f" : "-", q);
}

/* @cell, then " (x0.97)": its ratio to @ref when both have a value. */
static void fmt_cell_ratio(char *buf, size_t size, int kind, const struct cell *c,
			   const struct cell *ref, int m)
{
	double q = cell_ratio(c, ref, m);
	size_t l;

	fmt_cell(buf, size, kind, c, m);
	l = strlen(buf);
	if (q > 0)
		snprintf(buf + l, size - l, " (x%.2f)", q);
}

struct row {
	int test, metric;	/* metric: which of a result's values */
	const char *label, *unit;
	const char *json;	/* the metric's name in BENCH lines */
};

/* tax shows the rows of its tests (test < NTAX) too. */
static const struct row rows[] = {
	{ T_BULK, 0, "bulk", "MB/s", "MB/s" },
	{ T_BULK, 1, "bulk cpu", "ms/MB", "cpu_ms/MB" },
	{ T_CONN, 0, "conn", "conn/s", "conn/s" },
	{ T_RR, 0, "rr mean", "us", "mean_us" },
	{ T_RR, 1, "rr p99", "us", "p99_us" },
	{ T_BULK4, 0, "bulk4", "MB/s", "MB/s" },
	{ T_BULK4, 1, "bulk4 cpu", "ms/MB", "cpu_ms/MB" },
	{ T_FAT, 0, "fat", "MB/s", "MB/s" },
	{ T_FAT, 1, "fat cpu", "ms/MB", "cpu_ms/MB" },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* How a row's values print: as its test's, or as CPU ms per MB. */
static int row_kind(const struct row *w)
{
	return is_bulk(w->test) && w->metric == 1 ? K_CPUMB : w->test;
}

static void print_table(void)
{
	printf("\n%-16s %-5s", "test", "path");
	for (int k = 0; k < NPAIR; k++) {
		char h[32];

		snprintf(h, sizeof(h), "%s>%s", fam_name[pairings[k].c], fam_name[pairings[k].s]);
		printf(" %-22s", h);
	}
	printf("\n");
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *w = &rows[i];

		if (!opt.test_on[w->test])
			continue;
		for (int p = 0; p < NPATH; p++) {
			const struct cell *c = cells[w->test][p];
			char label[32];

			if (!test_on_path(w->test, p))
				continue;
			snprintf(label, sizeof(label), "%s %s", w->label, w->unit);
			printf("%-16s %-5s", label, path_name[p]);
			for (int k = 0; k < NPAIR; k++) {
				char buf[64] = "-";

				if (k >= npairs(w->test))
					;
				else if (k)
					fmt_cell_ratio(buf, sizeof(buf), row_kind(w), &c[k], &c[0],
						       w->metric);
				else
					fmt_cell(buf, sizeof(buf), row_kind(w), &c[k], w->metric);
				printf(" %-22s", buf);
			}
			printf("\n");
		}
	}
	printf("(xN: the median over inet>inet's on the same path; cpu ms/MB: the busy time of\n"
	       "all CPUs over the timed part (/proc/stat) per 10^6 bytes moved");
	if (opt.test_on[T_BULK4])
		printf(";\nbulk4: %d connections of %g MiB at once, the aggregate", NFLOW,
		       (double)opt.bulk_mib / NFLOW);
	if (opt.test_on[T_FAT])
		printf(";\nfat: %ld MiB over veth, %d ms of delay on the ACKs, "
		       "SO_SNDBUF/SO_RCVBUF %d MiB", opt.fat_mib, FAT_DELAY_MS, FAT_BUF >> 20);
	printf(")\n");
}

static void print_tax(void)
{
	printf("\ntax: Linux TCP (inet>inet) without rust_tcp (none), with it loaded (idle), and\n"
	       "loaded with %d listeners + %d connections of its own in each measured netns (held)\n",
	       opt.hold_l, opt.hold_c);
	printf("%-16s %-5s %-18s %-18s %-18s %-10s %-10s\n", "test", "path", "none", "idle", "held",
	       "idle/none", "held/none");
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *w = &rows[i];

		for (int p = 0; w->test < NTAX && p < NPATH; p++) {
			const struct cell *c = tax[w->test][p];
			char label[32], v[NSTATE][64], qi[16], qh[16];

			if (!opt.path_on[p])
				continue;
			snprintf(label, sizeof(label), "%s %s", w->label, w->unit);
			for (int s = 0; s < NSTATE; s++)
				fmt_cell_spread(v[s], sizeof(v[s]), row_kind(w), &c[s], w->metric);
			fmt_ratio(qi, sizeof(qi), &c[S_IDLE], &c[S_NONE], w->metric);
			fmt_ratio(qh, sizeof(qh), &c[S_HELD], &c[S_NONE], w->metric);
			printf("%-16s %-5s %-18s %-18s %-18s %-10s %-10s\n", label, path_name[p],
			       v[S_NONE], v[S_IDLE], v[S_HELD], qi, qh);
		}
	}
	printf("(medians of %d runs, ± half their range; goal: held/none within 3%%, x0.97 or\n"
	       "more for MB/s and conn/s, x1.03 or less for us and ms/MB)\n", opt.reps);
}

static void print_cpu2(void)
{
	printf("\ncpu2: connection rate (conn/s), one listener + one accept thread with the client\n"
	       "on CPU 0, and two SO_REUSEPORT listeners + two accept threads with one client\n"
	       "and one server thread on each CPU\n");
	printf("%-5s %-10s %-16s %-22s\n", "path", "pairing", "1 CPU", "2 CPUs");
	for (int p = 0; p < NPATH; p++) {
		if (!opt.path_on[p])
			continue;
		for (int k = 0; k < NSAME; k++) {
			char h[32], a[64], b[64];

			snprintf(h, sizeof(h), "%s>%s", fam_name[pairings[k].c], fam_name[pairings[k].s]);
			fmt_cell(a, sizeof(a), K_CPU2, &cpu2[p][k][0], 0);
			fmt_cell_ratio(b, sizeof(b), K_CPU2, &cpu2[p][k][1], &cpu2[p][k][0], 0);
			printf("%-5s %-10s %-16s %-22s\n", path_name[p], h, a, b);
		}
	}
	printf("(xN: 2 CPUs over 1; goal for rust_tcp: x1.6 or more)\n");
}

static void print_scale(void)
{
	static const struct { int kind, m; const char *label; } srows[] = {
		{ K_CONN, 0, "conn conn/s" }, { K_RR, 0, "rr mean us" }, { K_RR, 1, "rr p99 us" },
		{ K_GROW, 0, "held" }, { K_GROW, 1, "setup conn/s" }, { K_GROW, 2, "kB/conn" },
	};

	printf("\nscale: conn and rr against one listener that holds N established connections\n");
	printf("%-13s %-5s %-10s", "row", "path", "pairing");
	for (int i = 0; i < opt.nsizes; i++)
		printf(" N=%-19ld", opt.sizes[i]);
	printf("\n");
	for (int p = 0; p < NPATH; p++) {
		if (!opt.path_on[p])
			continue;
		for (int k = 0; k < NSAME; k++) {
			char h[32];

			if (!opt.fam_on[pairings[k].c])
				continue;
			snprintf(h, sizeof(h), "%s>%s", fam_name[pairings[k].c], fam_name[pairings[k].s]);
			for (size_t q = 0; q < sizeof(srows) / sizeof(srows[0]); q++) {
				printf("%-13s %-5s %-10s", srows[q].label, path_name[p], h);
				for (int i = 0; i < opt.nsizes; i++) {
					const struct res *g = &scale[p][k][i].grow;
					char buf[64];

					if (srows[q].kind == K_GROW) {
						if (g->err == EUNREACHED)
							snprintf(buf, sizeof(buf), "-");
						else if (srows[q].m == 0)
							snprintf(buf, sizeof(buf), g->err ? "%ld (%s)" : "%ld",
								 g->held, err_name(g->err));
						else if (srows[q].m == 1)
							snprintf(buf, sizeof(buf), g->v[0] > 0 ? "%.0f" : "-",
								 g->v[0]);
						else
							snprintf(buf, sizeof(buf), g->held ? "%.1f" : "-",
								 g->v[1]);
					} else {
						const struct cell *c = srows[q].kind == K_CONN ?
							&scale[p][k][i].conn : &scale[p][k][i].rr;
						const struct cell *c0 = srows[q].kind == K_CONN ?
							&scale[p][k][0].conn : &scale[p][k][0].rr;

						if (i)
							fmt_cell_ratio(buf, sizeof(buf), srows[q].kind, c,
								       c0, srows[q].m);
						else
							fmt_cell(buf, sizeof(buf), srows[q].kind, c,
								 srows[q].m);
					}
					printf(" %-21s", buf);
				}
				printf("\n");
			}
			if (scale_end[p][k])
				printf("  (the series ended: %s)\n", err_name(scale_end[p][k]));
		}
	}
	printf("(xN: the ratio to N=%ld; goal: N=50000 within 10%% of N=0. held: the\n"
	       "connections present when measured, with why growing stopped short; setup:\n"
	       "the rate of making them; kB/conn: MemAvailable's fall per connection)\n",
	       opt.sizes[0]);
}

/* "median":...,"runs":[...],"partial":[...],"errors":[...] of metric @m. */
static void print_runs(const struct cell *c, int m)
{
	int ok;
	double med = cell_median(c, m, &ok);

	printf("\"median\":");
	if (ok)
		printf("%.3f", med);
	else
		printf("null");
	printf(",\"runs\":[");
	for (int j = 0; j < opt.reps; j++) {
		if (c->run[j].err)
			printf("%snull", j ? "," : "");
		else
			printf("%s%.3f", j ? "," : "", c->run[j].v[m]);
	}
	printf("],\"partial\":[");
	for (int j = 0; j < opt.reps; j++)
		printf("%s%s", j ? "," : "", !c->run[j].err && c->run[j].partial ? "true" : "false");
	printf("],\"errors\":[");
	for (int j = 0; j < opt.reps; j++)
		printf("%s%s%s%s", j ? "," : "", c->run[j].err ? "\"" : "",
		       c->run[j].err ? err_name(c->run[j].err) : "null", c->run[j].err ? "\"" : "");
	printf("]");
}

/* ,"@key":ratio or null */
static void print_ratio(const char *key, const struct cell *a, const struct cell *b, int m)
{
	double q = cell_ratio(a, b, m);

	if (q > 0)
		printf(",\"%s\":%.4f", key, q);
	else
		printf(",\"%s\":null", key);
}

static void print_machine(void)
{
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *w = &rows[i];

		if (!opt.test_on[w->test])
			continue;
		for (int p = 0; p < NPATH; p++) {
			const struct cell *c = cells[w->test][p];

			if (!test_on_path(w->test, p))
				continue;
			for (int k = 0; k < npairs(w->test); k++) {
				printf("BENCH {\"test\":\"%s\",\"path\":\"%s\",\"client\":\"%s\",\"server\":\"%s\","
				       "\"metric\":\"%s\",",
				       test_name[w->test], path_name[p], fam_name[pairings[k].c],
				       fam_name[pairings[k].s], w->json);
				print_runs(&c[k], w->metric);
				if (k)
					print_ratio("vs_inet", &c[k], &c[0], w->metric);
				printf("}\n");
			}
		}
	}
	for (size_t i = 0; opt.test_on[T_TAX] && i < NROWS; i++) {
		const struct row *w = &rows[i];

		for (int p = 0; w->test < NTAX && p < NPATH; p++) {
			if (!opt.path_on[p])
				continue;
			for (int s = 0; s < NSTATE; s++) {
				const struct cell *c = tax[w->test][p];

				printf("BENCH {\"test\":\"tax\",\"sub\":\"%s\",\"path\":\"%s\",\"client\":\"inet\","
				       "\"server\":\"inet\",\"state\":\"%s\",\"metric\":\"%s\",",
				       test_name[w->test], path_name[p], state_name[s], w->json);
				print_runs(&c[s], w->metric);
				if (s != S_NONE)
					print_ratio("vs_none", &c[s], &c[S_NONE], w->metric);
				printf("}\n");
			}
		}
	}
	for (int p = 0; opt.test_on[T_CPU2] && p < NPATH; p++) {
		if (!opt.path_on[p])
			continue;
		for (int k = 0; k < NSAME; k++) {
			for (int n = 0; n < 2; n++) {
				printf("BENCH {\"test\":\"cpu2\",\"path\":\"%s\",\"client\":\"%s\",\"server\":\"%s\","
				       "\"cpus\":%d,\"listeners\":%d,\"metric\":\"conn/s\",",
				       path_name[p], fam_name[pairings[k].c], fam_name[pairings[k].s],
				       n + 1, n + 1);
				print_runs(&cpu2[p][k][n], 0);
				if (n)
					print_ratio("vs_1cpu", &cpu2[p][k][1], &cpu2[p][k][0], 0);
				printf("}\n");
			}
		}
	}
	for (int p = 0; opt.test_on[T_SCALE] && p < NPATH; p++) {
		if (!opt.path_on[p])
			continue;
		for (int k = 0; k < NSAME; k++) {
			if (!opt.fam_on[pairings[k].c])
				continue;
			for (int i = 0; i < opt.nsizes; i++) {
				const struct res *g = &scale[p][k][i].grow;
				const char *names[] = { "conn/s", "mean_us", "p99_us" };

				printf("BENCH {\"test\":\"scale\",\"sub\":\"setup\",\"path\":\"%s\",\"client\":\"%s\","
				       "\"server\":\"%s\",\"n\":%ld,", path_name[p], fam_name[pairings[k].c],
				       fam_name[pairings[k].s], opt.sizes[i]);
				if (g->err == EUNREACHED)
					printf("\"held\":null,\"stop\":\"not reached\"}\n");
				else
					printf("\"held\":%ld,\"secs\":%.3f,\"setup_conn_s\":%.1f,\"kB_per_conn\":%.2f,"
					       "\"stop\":%s%s%s}\n", g->held, g->secs, g->v[0], g->v[1],
					       g->err ? "\"" : "", g->err ? err_name(g->err) : "null",
					       g->err ? "\"" : "");
				for (int q = 0; q < 3; q++) {
					const struct cell *c = q ? &scale[p][k][i].rr : &scale[p][k][i].conn;
					const struct cell *c0 = q ? &scale[p][k][0].rr : &scale[p][k][0].conn;
					int m = q == 2;

					printf("BENCH {\"test\":\"scale\",\"sub\":\"%s\",\"path\":\"%s\",\"client\":\"%s\","
					       "\"server\":\"%s\",\"n\":%ld,\"held\":%ld,\"metric\":\"%s\",",
					       q ? "rr" : "conn", path_name[p], fam_name[pairings[k].c],
					       fam_name[pairings[k].s], opt.sizes[i],
					       g->err == EUNREACHED ? -1 : g->held, names[q]);
					print_runs(c, m);
					print_ratio("vs_first", c, c0, m);
					printf("}\n");
				}
			}
		}
	}
}

/* ---- running the parts ----------------------------------------------------- */

static int port = 20000;

static void wait_quiet(int max_s);

/* The progress line of one result. */
static void progress(const char *head, const struct res *r, double t0)
{
	char v[96];
	int kind = r->kind < 0 ? K_BULK : r->kind;

	if (r->err) {
		int l = snprintf(v, sizeof(v), "n/a (%s)", err_name(r->err));

		if (r->what[0])
			l += snprintf(v + l, sizeof(v) - l, " in %s", r->what);
		if (r->what[0] && r->iter >= 0)
			snprintf(v + l, sizeof(v) - l, " #%ld", r->iter);
	} else {
		size_t l;

		fmt_value(v, sizeof(v), kind, r->v[0]);
		l = strlen(v);
		if (kind == K_RR) {
			snprintf(v + l, sizeof(v) - l, " / ");
			fmt_value(v + l + 3, sizeof(v) - l - 3, kind, r->v[1]);
			l = strlen(v);
			snprintf(v + l, sizeof(v) - l, " us mean / p99");
		} else if (is_bulk(kind)) {
			snprintf(v + l, sizeof(v) - l, " MB/s, %.2f cpu ms/MB", r->v[1]);
		} else {
			snprintf(v + l, sizeof(v) - l, " conn/s");
		}
	}
	fprintf(stderr, "# %s: %s%s (%.1f s)\n", head, v,
		!r->err && r->partial ? ", partial: time bound" : "", now_s() - t0);
}

struct one_ctx {
	struct res *out;
	const char *head;
	double t0;
};

static void one_result(const struct job *j, const struct res *r, void *ctx)
{
	struct one_ctx *c = ctx;

	*c->out = *r;
	progress(c->head, r, c->t0);
}

/* One measurement: its result into *@out, a progress line, the pause after it. */
static void measure(const struct job *j, struct res *out, const char *head)
{
	struct one_ctx c = { out, head, now_s() };

	run_child(j, opt.timeout + 15, one_result, &c);
	if (!out->err)	/* a failure leaves little to clean up */
		msleep(opt.settle_ms);
}

/* The default table's tests, interleaved; what each took on stderr. */
static void run_grid(void)
{
	double spent[NGRID] = { 0 };

	for (int rep = 0; rep < opt.reps; rep++) {
		for (int t = 0; t < NGRID; t++) {
			double t0 = now_s();

			if (!opt.test_on[t])
				continue;
			for (int p = 0; p < NPATH; p++) {
				if (!test_on_path(t, p))
					continue;
				for (int i = 0; i < npairs(t); i++) {
					int k = rep % 2 ? npairs(t) - 1 - i : i;
					const struct pairing *pr = &pairings[k];
					struct job j = { .kind = t, .path = p, .pr = *pr, .port = port++ };
					char head[64];

					if (!opt.fam_on[pr->c] || !opt.fam_on[pr->s]) {
						cells[t][p][k].run[rep].err = ESKIPPED;
						continue;
					}
					snprintf(head, sizeof(head), "rep %d/%d %-5s %-4s %s>%s", rep + 1,
						 opt.reps, test_name[t], path_name[p], fam_name[pr->c],
						 fam_name[pr->s]);
					measure(&j, &cells[t][p][k].run[rep], head);
				}
			}
			spent[t] += now_s() - t0;
		}
	}
	for (int t = 0; t < NGRID; t++)
		if (opt.test_on[t])
			fprintf(stderr, "# %s: %.0f s\n", test_name[t], spent[t]);
}

/*
 * Untimed: each tax test once on each path, in state @s, so that the
 * measurements that count do not pay for TCG translating the code paths
 * the first time they run (the first measurement after boot is much
 * slower) nor for the module's first use.
 */
static void warm_up(int s)
{
	static const struct pairing ii = { F_INET, F_INET };
	struct res dummy;

	for (int t = 0; t < NTAX; t++) {
		for (int p = 0; p < NPATH; p++) {
			struct job j = { .kind = t, .path = p, .pr = ii, .port = port++,
					 .held = s == S_HELD };
			char head[64];

			if (!opt.path_on[p] || !opt.fam_on[F_INET])
				continue;
			snprintf(head, sizeof(head), "warm-up %-4s %-4s %s", test_name[t], path_name[p],
				 state_name[s]);
			measure(&j, &dummy, head);
		}
	}
}

/* After a reload or an unload: rr on veth and conn on lo, untimed. */
static void warm_up_light(int held)
{
	static const struct pairing ii = { F_INET, F_INET };
	struct job a = { .kind = K_RR, .path = P_VETH, .pr = ii, .port = port++, .held = held };
	struct job b = { .kind = K_CONN, .path = P_LO, .pr = ii, .port = port++, .held = held };
	struct res dummy;

	if (opt.path_on[P_VETH] && opt.fam_on[F_INET])
		measure(&a, &dummy, held ? "warm-up rr   veth held" : "warm-up rr   veth none");
	if (opt.path_on[P_LO] && opt.fam_on[F_INET])
		measure(&b, &dummy, held ? "warm-up conn lo   held" : "warm-up conn lo   none");
}

/*
 * tax, repetition @rep, the states from @s0 to @s1: each (test, path) in
 * each state, the states in turn (reversed on odd repetitions).
 */
static void run_tax_rep(int rep, int s0, int s1, int loaded)
{
	static const struct pairing ii = { F_INET, F_INET };

	for (int t = 0; t < NTAX; t++) {
		for (int p = 0; p < NPATH; p++) {
			if (!opt.path_on[p])
				continue;
			for (int i = s0; i <= s1; i++) {
				int s = rep % 2 ? s1 - (i - s0) : i;
				struct job j = { .kind = t, .path = p, .pr = ii, .port = port++,
						 .held = s == S_HELD };
				char head[64];

				if (!opt.fam_on[F_INET]) {
					tax[t][p][s].run[rep].err = ESKIPPED;
					continue;
				}
				if (s == S_NONE && loaded) {
					tax[t][p][s].run[rep].err = ELOADED;
					continue;
				}
				if (s != S_NONE && !loaded) {
					tax[t][p][s].run[rep].err = EAFNOSUPPORT;
					continue;
				}
				snprintf(head, sizeof(head), "rep %d/%d tax %-4s %-4s %s", rep + 1,
					 opt.reps, test_name[t], path_name[p], state_name[s]);
				measure(&j, &tax[t][p][s].run[rep], head);
			}
		}
	}
}

static void run_cpu2(void)
{
	for (int rep = 0; rep < opt.reps; rep++) {
		for (int p = 0; p < NPATH; p++) {
			if (!opt.path_on[p])
				continue;
			for (int i = 0; i < 2 * NSAME; i++) {
				int x = rep % 2 ? 2 * NSAME - 1 - i : i, k = x / 2, n = x % 2;
				const struct pairing *pr = &pairings[k];
				struct job j = { .kind = K_CPU2, .path = p, .pr = *pr, .port = port++,
						 .cpus = n + 1 };
				char head[64];

				if (!opt.fam_on[pr->c]) {
					cpu2[p][k][n].run[rep].err = ESKIPPED;
					continue;
				}
				snprintf(head, sizeof(head), "rep %d/%d cpu2 %-4s %s>%s %d CPU%s", rep + 1,
					 opt.reps, path_name[p], fam_name[pr->c], fam_name[pr->s], n + 1,
					 n ? "s" : "");
				measure(&j, &cpu2[p][k][n].run[rep], head);
			}
		}
	}
}

struct scale_ctx {
	int p, k;
	double t0;
};

static void scale_result(const struct job *j, const struct res *r, void *ctx)
{
	struct scale_ctx *c = ctx;
	char head[96];
	int idx = r->idx >= 0 && r->idx < opt.nsizes ? r->idx : 0;
	int rep = r->rep >= 0 && r->rep < opt.reps ? r->rep : 0;

	snprintf(head, sizeof(head), "scale %-4s %s>%s N=%ld", path_name[c->p],
		 fam_name[pairings[c->k].c], fam_name[pairings[c->k].s], opt.sizes[idx]);
	switch (r->kind) {
	case K_GROW:
		scale[c->p][c->k][idx].grow = *r;
		if (r->err == ETIMEDOUT) {	/* the backstop: the series ended */
			scale_end[c->p][c->k] = ETIMEDOUT;
			progress(head, r, c->t0);
			break;
		}
		fprintf(stderr, "# %s: %ld held%s%s in %.1f s (%.0f conn/s, %.1f kB/conn)\n", head,
			r->held, r->err ? ", stopped: " : "", r->err ? err_name(r->err) : "", r->secs,
			r->v[0], r->v[1]);
		if (r->err && r->what[0])
			fprintf(stderr, "#   (%s in %s #%ld)\n", err_name(r->err), r->what, r->iter);
		break;
	case K_CONN:
	case K_RR: {
		size_t l = strlen(head);

		(r->kind == K_CONN ? &scale[c->p][c->k][idx].conn : &scale[c->p][c->k][idx].rr)
			->run[rep] = *r;
		snprintf(head + l, sizeof(head) - l, " rep %d/%d %s", rep + 1, opt.reps,
			 r->kind == K_CONN ? "conn" : "rr");
		progress(head, r, c->t0);
		break;
	}
	default:
		scale_end[c->p][c->k] = r->err;
		progress(head, r, c->t0);
	}
	c->t0 = now_s();
}

static void run_scale(void)
{
	for (int p = 0; p < NPATH; p++) {
		if (!opt.path_on[p])
			continue;
		for (int k = 0; k < NSAME; k++) {
			const struct pairing *pr = &pairings[k];
			struct job j = { .kind = K_GROW, .path = p, .pr = *pr, .port = SCALE_PORT };
			struct scale_ctx c = { p, k, now_s() };
			double t0 = now_s();
			long mem = mem_avail_kb(), m;

			for (int i = 0; i < opt.nsizes; i++) {
				scale[p][k][i].grow = (struct res){ .err = EUNREACHED };
				for (int r = 0; r < MAXREP; r++)
					scale[p][k][i].conn.run[r] = scale[p][k][i].rr.run[r] =
						(struct res){ .err = EUNREACHED };
			}
			if (!opt.fam_on[pr->c])
				continue;
			fprintf(stderr, "# scale %s %s>%s: sizes up to %ld, growing bounded to %d s\n",
				path_name[p], fam_name[pr->c], fam_name[pr->s],
				opt.sizes[opt.nsizes - 1], opt.grow_s);
			run_child(&j, opt.grow_s + opt.timeout + 15, scale_result, &c);
			/* Let the held connections and their namespaces go. */
			for (int i = 0; i < 60; i++) {
				m = mem_avail_kb();
				if (m < 0 || mem < 0 || m > mem - 32 * 1024)
					break;
				msleep(500);
			}
			wait_quiet(30);
			fprintf(stderr, "# scale %s %s>%s: %.0f s in all\n", path_name[p],
				fam_name[pr->c], fam_name[pr->s], now_s() - t0);
			msleep(opt.settle_ms);
		}
	}
}

/* Busy and total jiffies of all CPUs so far (/proc/stat). */
static int cpu_times(long long *busy, long long *total)
{
	char buf[512];
	long long v[8] = { 0 };

	if (read_file("/proc/stat", buf, sizeof(buf)) ||
	    sscanf(buf, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) < 4)
		return -1;
	*total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	*busy = *total - v[3] - v[4];
	return 0;
}

/*
 * Waits (up to @max_s) until the CPUs are quiet: busy under 5% over half a
 * second. What a measurement leaves behind (tens of thousands of sockets
 * closing, namespaces going, TIME_WAIT purged) runs in kworkers and
 * softirqs after its process is gone, and would slow the next one.
 */
static void wait_quiet(int max_s)
{
	double end = now_s() + max_s;
	long long b0, t0, b1, t1;

	while (now_s() < end) {
		if (cpu_times(&b0, &t0))
			return;
		msleep(500);
		if (cpu_times(&b1, &t1))
			return;
		if (t1 > t0 && (b1 - b0) * 20 < t1 - t0)
			return;
	}
}

/* ---- main ------------------------------------------------------------------ */

static int parse_list(const char *arg, const char *const *names, int n, int *on)
{
	char *s = strdup(arg), *save = NULL;

	memset(on, 0, n * sizeof(*on));
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int i;

		if (!strcmp(t, "all")) {
			for (i = 0; i < n; i++)
				on[i] = 1;
			continue;
		}
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

/* -N: ascending sizes, "k" for thousands. */
static int parse_sizes(const char *arg)
{
	char *s = strdup(arg), *save = NULL, *end;

	opt.nsizes = 0;
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		long v = strtol(t, &end, 10);

		if (*end == 'k' || *end == 'K') {
			v *= 1000;
			end++;
		}
		if (*end || v < 0 || v > 200000 || opt.nsizes == MAXSIZES ||
		    (opt.nsizes && v <= opt.sizes[opt.nsizes - 1]))
			return -1;
		opt.sizes[opt.nsizes++] = v;
	}
	free(s);
	return opt.nsizes ? 0 : -1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench [-s MiB] [-f MiB] [-c cycles] [-n trips] [-r reps] [-t seconds]\n"
		"             [-w ms] [-T tests] [-P veth,lo] [-F inet,rust] [-U]\n"
		"             [-m rust_tcp.ko] [-L] [-H listeners,conns] [-N sizes] [-G seconds]\n"
		"             [-A addresses]\n"
		"  -s  bulk: MiB sent per connection (default %ld); bulk4 splits them over\n"
		"      its %d connections\n"
		"  -f  fat: MiB sent (default %ld)\n"
		"  -c  conn: connect/accept/close cycles (default %d; cpu2 makes twice as many)\n"
		"  -n  rr: measured 1-byte round trips (default %d, plus %d warm-up)\n"
		"  -r  repetitions, median reported (default %d, at most %d)\n"
		"  -t  time bound of one measurement, seconds (default %d)\n"
		"  -w  pause after each successful measurement, ms, while its namespaces\n"
		"      go (default %d)\n"
		"  -T  tests to run, of bulk,conn,rr,bulk4,fat,tax,scale,cpu2 or all (default\n"
		"      all but scale); -P paths to run on (fat: veth only); -F families: a\n"
		"      pairing runs if both its ends are listed (the others show \"skipped\")\n"
		"  -U  do not pin the client to CPU 0 and the server to CPU 1 (bulk4: clients\n"
		"      and servers of its connections to either CPU; cpu2 always pins)\n"
		"  -m  load this rust_tcp.ko (finit_module) when needed: after tax's first\n"
		"      \"none\" runs; tax unloads and reloads it between its repetitions\n"
		"  -L  tax: all \"none\" runs first, then one insmod (no rmmod)\n"
		"  -H  tax: rust_tcp listeners and connections held (default %d,%d)\n"
		"  -N  scale: held connections at each step, ascending (default 0,1k,10k,50k)\n"
		"  -G  scale: time bound of growing them, per series, seconds (default %d)\n"
		"  -A  scale: server addresses the held connections spread over (default %d)\n",
		opt.bulk_mib, NFLOW, opt.fat_mib, opt.conn_cycles, opt.rr_trips, RR_WARMUP, opt.reps,
		MAXREP, opt.timeout, opt.settle_ms, opt.hold_l, opt.hold_c, opt.grow_s, opt.naddr);
	exit(2);
}

/* Room for scale's sockets: fds for this process and its children. */
static void raise_limits(void)
{
	struct rlimit rl = { NOFILE, NOFILE };
	char buf[64];

	if (!read_file("/proc/sys/fs/file-max", buf, sizeof(buf)) && atol(buf) < 4 * NOFILE) {
		snprintf(buf, sizeof(buf), "%d", 4 * NOFILE);
		write_file("/proc/sys/fs/file-max", buf);
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		fprintf(stderr, "bench: RLIMIT_NOFILE %d: %s (scale may stop short)\n", NOFILE,
			strerror(errno));
		if (!getrlimit(RLIMIT_NOFILE, &rl)) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	write_file("/proc/self/oom_score_adj", "-1000");
}

static int load_module(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return errno;
	err = outcome(syscall(__NR_finit_module, fd, "", 0));
	close(fd);
	return err;
}

static int load_module(const char *path);

/* Whether rust_tcp is loaded, and whether bench loaded it (-m). */
static int loaded, loads, load_err;

/* Loads -m's module if it is not loaded; the first time, warms it up. */
static void ensure_loaded(void)
{
	double t = now_s();
	int err;

	if (loaded || !opt.module)
		return;
	err = load_module(opt.module);
	family_of[F_RUST] = rust_tcp_family();
	loaded = family_available(family_of[F_RUST]);
	fprintf(stderr, "# insmod %s: %s (%.1f s)\n", opt.module, err ? err_name(err) : "ok",
		now_s() - t);
	if (err && err != EEXIST) {
		printf("# bench: loading %s: %s\n", opt.module, err_name(err));
		load_err = err;
	}
	if (!loaded)
		return;
	/*
	 * Loading patches kernel text (netfilter's static key for the hook),
	 * which TCG translates anew: settle, then run the paths once.
	 */
	wait_quiet(5);
	if (!loads++ && opt.test_on[T_TAX])
		warm_up(S_HELD);
	else if (opt.test_on[T_TAX])
		warm_up_light(1);
}

/*
 * Unloads the module bench loaded, for tax's next "none" runs: waits up to
 * 30 s for the sockets of the namespaces that are going away to be freed.
 * If it stays, the rest of tax's "none" runs read "module loaded".
 */
static void ensure_unloaded(void)
{
	double t = now_s();
	int err;

	if (!loaded || !loads)
		return;
	while ((err = module_unload()) == EWOULDBLOCK && now_s() - t < 30)
		msleep(50);
	loaded = family_available(family_of[F_RUST]);
	fprintf(stderr, "# rmmod rust_tcp: %s (%.1f s)\n", err ? err_name(err) : "ok",
		now_s() - t);
	if (!loaded) {
		wait_quiet(5);
		warm_up_light(0);
	}
}

/*
 * tax: "none" before the first insmod, then the states with the module
 * (idle and held, interleaved). By default the module is then unloaded and
 * loaded again so that without and with alternate, ABBA: none, insmod,
 * with | with, rmmod, none | none, insmod, with | ...; drift over the
 * run falls on both alike. -L: all "none" runs first, one insmod, then
 * all the runs with it.
 */
static void run_tax(void)
{
	double t = now_s();

	if (!loaded)
		warm_up(S_NONE);
	for (int rep = 0; opt.cycle && rep < opt.reps; rep++) {
		if (rep % 2 == 0) {
			run_tax_rep(rep, S_NONE, S_NONE, loaded);
			ensure_loaded();
			run_tax_rep(rep, S_IDLE, S_HELD, loaded);
		} else {
			ensure_loaded();
			run_tax_rep(rep, S_IDLE, S_HELD, loaded);
			ensure_unloaded();
			run_tax_rep(rep, S_NONE, S_NONE, loaded);
		}
	}
	for (int rep = 0; !opt.cycle && rep < opt.reps; rep++)
		run_tax_rep(rep, S_NONE, S_NONE, loaded);
	ensure_loaded();
	for (int rep = 0; !opt.cycle && rep < opt.reps; rep++)
		run_tax_rep(rep, S_IDLE, S_HELD, loaded);
	fprintf(stderr, "# tax: %.0f s\n", now_s() - t);
}

int main(int argc, char **argv)
{
	struct utsname u;
	double start = now_s(), t;
	int ch, err;

	while ((ch = getopt(argc, argv, "s:f:c:n:r:t:w:T:P:F:Um:LH:N:G:A:h")) != -1) {
		switch (ch) {
		case 's': opt.bulk_mib = atol(optarg); break;
		case 'f': opt.fat_mib = atol(optarg); break;
		case 'c': opt.conn_cycles = atoi(optarg); break;
		case 'n': opt.rr_trips = atoi(optarg); break;
		case 'r': opt.reps = atoi(optarg); break;
		case 't': opt.timeout = atoi(optarg); break;
		case 'w': opt.settle_ms = atoi(optarg); break;
		case 'T': if (parse_list(optarg, test_name, NTEST, opt.test_on)) usage(); break;
		case 'P': if (parse_list(optarg, path_name, NPATH, opt.path_on)) usage(); break;
		case 'F': if (parse_list(optarg, fam_name, 2, opt.fam_on)) usage(); break;
		case 'U': opt.pin = 0; break;
		case 'm': opt.module = optarg; break;
		case 'L': opt.cycle = 0; break;
		case 'H':
			if (sscanf(optarg, "%d,%d", &opt.hold_l, &opt.hold_c) != 2)
				usage();
			break;
		case 'N': if (parse_sizes(optarg)) usage(); break;
		case 'G': opt.grow_s = atoi(optarg); break;
		case 'A': opt.naddr = atoi(optarg); break;
		default: usage();
		}
	}
	if (opt.bulk_mib < 1 || opt.fat_mib < 1 || opt.conn_cycles < 1 || opt.rr_trips < 1 ||
	    opt.reps < 1 || opt.reps > MAXREP || opt.timeout < 1 || opt.settle_ms < 0 ||
	    opt.hold_l < 1 || opt.hold_l > MAXHOLDL || opt.hold_c < 0 || opt.grow_s < 1 ||
	    opt.naddr < 1 || opt.naddr > MAXADDR || optind != argc)
		usage();

	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_limits();
	if (sysconf(_SC_CLK_TCK) > 0)
		clk_tck = sysconf(_SC_CLK_TCK);
	family_of[F_INET] = AF_INET;
	family_of[F_RUST] = rust_tcp_family();
	err = probe_paths();
	if (err) {
		fprintf(stderr, "bench: cannot set up the network namespaces: %s (root needed)\n",
			err_name(err));
		return 1;
	}
	loaded = family_available(family_of[F_RUST]);
	uname(&u);
	printf("# rust_tcp bench: kernel %s %s, %ld CPUs, %ld MiB available\n", u.release, u.version,
	       sysconf(_SC_NPROCESSORS_ONLN), mem_avail_kb() / 1024);
	printf("# bulk %ld MiB, conn %d cycles, rr %d round trips, bulk4 %d x %g MiB, fat %ld MiB; "
	       "%d repetitions, median; %s; client>server\n", opt.bulk_mib, opt.conn_cycles,
	       opt.rr_trips, NFLOW, (double)opt.bulk_mib / NFLOW, opt.fat_mib, opt.reps,
	       opt.pin ? "client on CPU 0, server on CPU 1" : "not pinned");
	printf("# rust_tcp %s at the start%s\n", loaded ? "loaded" : "not loaded",
	       opt.module && !loaded ? "; -m loads it after tax's \"none\" state" : "");

	if (opt.test_on[T_TAX])
		run_tax();
	ensure_loaded();
	printf("# rust_tcp family %d (%s)\n", family_of[F_RUST], loaded ? "loaded" : "NOT loaded");
	t = now_s();
	run_grid();
	fprintf(stderr, "# the default table's tests: %.0f s\n", now_s() - t);
	if (opt.test_on[T_CPU2]) {
		t = now_s();
		run_cpu2();
		fprintf(stderr, "# cpu2: %.0f s\n", now_s() - t);
	}
	if (opt.test_on[T_SCALE]) {
		t = now_s();
		run_scale();
		fprintf(stderr, "# scale: %.0f s\n", now_s() - t);
	}

	for (int i = 0; i < NGRID; i++) {
		if (opt.test_on[i]) {
			print_table();
			break;
		}
	}
	if (opt.test_on[T_TAX])
		print_tax();
	if (opt.test_on[T_CPU2])
		print_cpu2();
	if (opt.test_on[T_SCALE])
		print_scale();
	if (any_partial)
		printf("* a run the time bound (-t %d s) ended: its rate over what it did\n",
		       opt.timeout);
	printf("\n");
	print_machine();
	printf("# bench took %.0f s\n", now_s() - start);
	return load_err ? 1 : 0;
}
