// SPDX-License-Identifier: GPL-2.0
/*
 * The connection tables under load from both CPUs at once (issue 13).
 *
 * In a fresh network namespace (and a second one), over loopback,
 * processes pinned to CPU 0 and CPU 1 run for STRESS_S seconds, all at the
 * same time:
 *
 * - two clients (one per CPU) in a loop of sessions with
 *   - listener A (127.0.0.1:PA, served by two acceptors, one per CPU,
 *     which share the listener): echo with the client closing first
 *     (TIME_WAIT on the client's port), echo with the server closing first
 *     (TIME_WAIT on the listener's port), a client abort and a server
 *     abort (SO_LINGER 0: RST), 64 KiB each way;
 *   - a SO_REUSEPORT group of four listeners on PB (two per CPU, each CPU's
 *     pair served by one process);
 *   - a port nobody listens on (PR): blocking connect (twice on one
 *     socket) and non-blocking connect (EINPROGRESS, then ECONNREFUSED in
 *     SO_ERROR);
 * - on CPU 0 a listener on PC that is closed and reopened (SO_REUSEADDR)
 *   over and over, with random lifetimes and gaps, accepting and echoing
 *   meanwhile; on CPU 1 a client connecting to it;
 * - on CPU 1 a client that binds each of RECYCLE_PORTS ports in turn
 *   (SO_REUSEADDR) and connects to listener A, closing first with
 *   shutdown(): from the second round on each connect must take over the
 *   TIME_WAIT the port's previous connection left (which bind() without
 *   SO_REUSEADDR shows is there: EADDRINUSE), as Linux lets a bound port
 *   do when timestamps were on (tcp_twsk_unique());
 * - in a second netns, a client on CPU 0 and its listener's acceptor on
 *   CPU 1, with ip_local_port_range narrowed to EPH_PORTS ports: each
 *   connection closed first by the client (TIME_WAIT), at most
 *   EPH_PORTS / 4 a second, so that once the range has gone round every
 *   connect() must take over a TIME_WAIT from an earlier second
 *   (net.ipv4.tcp_tw_reuse at its default 2: loopback), and always can;
 *   counted from the ports connect() picks.
 *
 * Every call's result must be one of the outcomes allowed for it (the
 * WANT() lists: on listener A and the group, only success; on the
 * flapping listener, ECONNREFUSED when it is closed and ECONNRESET when it
 * closes with the connection in its accept queue, from connect() itself if
 * that comes first), every byte is checked both ways (a pattern seeded per
 * session), and each kind of event must have happened (a minimum count
 * each). A call that waits longer than WAIT_MS is a failure; a connect to
 * listener A or the group must not take a SYN retransmission (1 s), and a
 * connection to the flapping listener must get its echo or its reset
 * within 1 s. The first failure stops the run and is reported with its
 * line.
 *
 * The same run on AF_INET comes first, INET_S seconds, to hold the allowed
 * outcomes to Linux's. For rust_tcp, once every fd is closed the module's
 * reference count is back at its baseline while both netns and their
 * TIME_WAITs are still there (a TIME_WAIT holds no reference); once every
 * process has exited (the netns go with the last one, their TIME_WAITs
 * purged) it still is, the module unloads and loads again (this binary
 * runs among the module_* tests at the end of run.sh), and no netns exit
 * logged "socks left". The harness checks the rest of the kernel log
 * (KASAN, lockdep, ...).
 *
 * Runtime in the debug guest (TCG, KASAN, 2 CPUs): about 35 s (AF_INET
 * 10 s, rust_tcp 20 s, the rest the module reload and the netns exits).
 * Some 900 sessions on AF_INET and 1,200 on rust_tcp, 500-750 incarnations
 * of the flapping listener.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "common.h"
#include "data_common.h"
#include "kselftest_harness.h"

#define STRESS_S 20		/* rust_tcp's run */
#define INET_S 10		/* AF_INET's */
#define WAIT_MS 10000		/* the longest any one call may wait */

#define PA 9800			/* listener A: two acceptors */
#define PB 9801			/* the SO_REUSEPORT group */
#define PC 9802			/* the listener closed and reopened */
#define PR 9803			/* nobody listens */
#define RECYCLE_PORT 9810	/* the recycling client's bound ports */
#define RECYCLE_PORTS 8
#define RP_N 4			/* listeners in the SO_REUSEPORT group */
#define PE 9804			/* the second netns's listener */
#define EPH_LOW 40000		/* the second netns's ip_local_port_range */
#define EPH_PORTS 16
#define BIG_LEN (64 * 1024)
#define SMALL_MAX 16000		/* echo sizes: 1 .. SMALL_MAX */
#define MAGIC 0x52535453

enum kind {
	K_ECHO_CC,		/* echo, the client closes first */
	K_ECHO_SC,		/* echo, the server closes first */
	K_CLIENT_ABORT,		/* the server acknowledges the bytes; the client resets */
	K_SERVER_ABORT,		/* the server reads the bytes and resets */
	K_BIG,			/* echo of BIG_LEN, the client closes first */
	K_HALF,			/* echo, the client shuts down first and waits for EOF */
	K_REFUSED,		/* blocking connect to PR, twice */
	K_REFUSED_NB,		/* non-blocking connect to PR */
};

/* A client's sessions, in turn. */
static const struct { int port, kind; } plan[] = {
	{ PA, K_ECHO_CC }, { PA, K_ECHO_SC }, { PB, K_ECHO_CC }, { PA, K_CLIENT_ABORT },
	{ PR, K_REFUSED }, { PA, K_SERVER_ABORT }, { PB, K_ECHO_SC }, { PA, K_ECHO_CC },
	{ PR, K_REFUSED_NB }, { PA, K_BIG }, { PB, K_CLIENT_ABORT }, { PA, K_ECHO_SC },
};

/* What a client sends first. */
struct hdr {
	uint32_t magic, kind, len, seed;
};

/* Counted events. */
enum ev {
	S_SESSIONS,		/* client sessions completed */
	S_ACCEPTS,		/* connections accepted on listener A */
	S_ECHO,			/* echo sessions served */
	S_BIG,
	S_CLIENT_ABORT,
	S_SERVER_ABORT,
	S_REFUSED,		/* connects refused at PR */
	S_RP,			/* accepted in the reuseport group; per listener after */
	S_RP_LAST = S_RP + RP_N - 1,
	S_FLAP_CYCLES,		/* the flapping listener's incarnations */
	S_FLAP_ACCEPTS,
	S_FLAP_OK,		/* flap client: echoed */
	S_FLAP_REFUSED,		/* ... refused (no listener) */
	S_FLAP_RESET,		/* ... reset (the listener closed before accepting) */
	S_RECYCLE,		/* bound-port connects over a TIME_WAIT */
	S_EPH_CONNS,		/* ephemeral connects in the second netns */
	S_EPH_RECYCLE,		/* ... that took a port whose TIME_WAIT was there */
	S_EPH_ACCEPTS,
	S_SLOW,			/* connects to listener A or the group that took >= 1 s */
	S_FLAP_SLOW,		/* flap client: connects that took >= 1 s */
	S_FLAP_MS,		/* ... the time all its connects took, ms */
	S_FLAP_WAIT_MS,		/* ... the time from connect to echo or reset, ms */
	S_FLAP_STALLS,		/* ... that took >= 1 s */
	S_COUNT,
};

static const char *const stat_names[S_COUNT] = {
	"sessions", "accepts", "echo", "big", "client_abort", "server_abort", "refused",
	"rp0", "rp1", "rp2", "rp3", "flap_cycles", "flap_accepts", "flap_ok",
	"flap_refused", "flap_reset", "recycle", "eph_conns", "eph_recycle", "eph_accepts",
	"slow", "flap_slow", "flap_ms", "flap_wait_ms", "flap_stalls",
};

/* Shared by every process of a run (MAP_SHARED). */
struct shared {
	int fam;
	double end;
	long baseline;			/* the module's reference count before (-1: AF_INET) */
	long refs_live;			/* ... growth once all is closed, the netns still there */
	volatile int stop;		/* a failure: everyone ends */
	volatile int clients_left;	/* the servers serve until it is 0 */
	volatile int flap_clients_left;
	volatile int eph_clients_left;
	long stat[S_COUNT];
	/* The first failure. */
	volatile int fail_line;
	long fail_got;
	int fail_pid;
	char fail_what[96];
	/* The first flap client stalls: how they ended, after how long (ms). */
	long stall_got[8], stall_ms[8];
	int stall_at[8];
	/* /proc/net/rust_tcp_stat of the main netns at the end. */
	char mib[1024];
	/* The second netns's ports whose last connection left a TIME_WAIT on them. */
	unsigned char tw_on[EPH_PORTS];
};

static struct shared *shm;

static void count(enum ev s)
{
	__atomic_fetch_add(&shm->stat[s], 1, __ATOMIC_RELAXED);
}

static void fail(int line, long got, const char *what)
{
	if (__sync_bool_compare_and_swap(&shm->fail_line, 0, line)) {
		shm->fail_got = got;
		shm->fail_pid = getpid();
		snprintf(shm->fail_what, sizeof(shm->fail_what), "%s", what);
	}
	shm->stop = 1;
}

static int one_of(long got, const long *ok, int n)
{
	for (int i = 0; i < n; i++)
		if (got == ok[i])
			return 1;
	return 0;
}

/* A call's result must be one of the listed values (-errno for errors), or the run fails. */
#define WANT(got, ...) do {							\
	long _g = (got);							\
	const long _ok[] = { __VA_ARGS__ };					\
	if (!one_of(_g, _ok, sizeof(_ok) / sizeof(_ok[0]))) {			\
		fail(__LINE__, _g, #got);					\
		return -1;							\
	}									\
} while (0)

/* A system call's result: its value, or -errno. */
static long rc(long ret)
{
	return ret < 0 ? -errno : ret;
}

static int running(void)
{
	return !shm->stop && now_s() < shm->end;
}

static int sock_new(int flags)
{
	struct timeval tv = { WAIT_MS / 1000, 0 };
	int fd = socket(shm->fam, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	/* A connect that hangs ends (EINPROGRESS: not an allowed outcome). */
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd < 0 ? -errno : fd;
}

static long connect_lo(int fd, int port)
{
	struct sockaddr_in a = sin_of("127.0.0.1", port);

	return rc(connect(fd, (struct sockaddr *)&a, sizeof(a)));
}

static long recv1(int fd)
{
	char b;

	return recv_full(fd, &b, 1, WAIT_MS);
}

/* Bytes of @buf (@len) that are not stream @seed's. */
static long pat_bad(uint32_t seed, const unsigned char *buf, size_t len)
{
	static unsigned char want[BIG_LEN];
	long bad = 0;

	pat_fill(seed, 0, want, len);
	for (size_t i = 0; i < len; i++)
		bad += buf[i] != want[i];
	return bad;
}

static unsigned char buf[BIG_LEN + sizeof(struct hdr)];

/* ---- the server side ---------------------------------------------------- */

/* Serves one accepted connection to its end, as its header says. 0 or -1. */
static int serve(int fd)
{
	struct hdr h;

	WANT(recv_full(fd, &h, sizeof(h), WAIT_MS), sizeof(h));
	WANT(h.magic, MAGIC);
	WANT(h.len <= BIG_LEN, 1);
	WANT(recv_full(fd, buf, h.len, WAIT_MS), h.len);
	WANT(pat_bad(h.seed, buf, h.len), 0);
	switch (h.kind) {
	case K_ECHO_CC:
	case K_BIG:
	case K_HALF:
		pat_fill(h.seed + 1, 0, buf, h.len);
		WANT(send_full(fd, buf, h.len), h.len);
		/* The client closes first: EOF, nothing more. */
		WANT(recv1(fd), 0);
		WANT(rc(close(fd)), 0);
		count(h.kind == K_BIG ? S_BIG : S_ECHO);
		break;
	case K_ECHO_SC:
		pat_fill(h.seed + 1, 0, buf, h.len);
		WANT(send_full(fd, buf, h.len), h.len);
		WANT(rc(close(fd)), 0);
		count(S_ECHO);
		break;
	case K_CLIENT_ABORT:
		WANT(send_full(fd, "K", 1), 1);
		/* The client resets once it has the K: ECONNRESET once, then EOF. */
		WANT(recv1(fd), -ECONNRESET);
		WANT(recv1(fd), 0);
		WANT(rc(close(fd)), 0);
		count(S_CLIENT_ABORT);
		break;
	case K_SERVER_ABORT:
		close_rst(fd);
		count(S_SERVER_ABORT);
		break;
	default:
		WANT(h.kind, -1);
	}
	return 0;
}

/*
 * Accepts from the listeners @l[0..@n) until the clients are done (or a
 * failure), serving each connection; per-listener counts from stat @first.
 */
static int server(const int *l, int n, enum ev first, volatile int *left)
{
	struct pollfd p[RP_N];

	for (;;) {
		int ready;

		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){ .fd = l[i], .events = POLLIN };
		ready = rc(poll(p, n, 20));
		WANT(ready < 0 ? ready : 0, 0);
		if (shm->stop || (!ready && !*left))
			return 0;
		for (int i = 0; i < n; i++) {
			int fd;

			if (!p[i].revents)
				continue;
			WANT(p[i].revents, POLLIN);
			/* The other acceptor of a shared listener may have taken it. */
			fd = rc(accept4(l[i], NULL, NULL, SOCK_CLOEXEC));
			WANT(fd >= 0 ? 0 : fd, 0, -EAGAIN);
			if (fd < 0)
				continue;
			count(first + i);
			if (serve(fd))
				return -1;
		}
	}
}

/* ---- the client side ---------------------------------------------------- */

/* One session of @kind with @port over connected @fd; closes @fd. 0 or -1. */
static int session(int fd, int port, int kind, uint32_t seed)
{
	struct hdr *h = (struct hdr *)buf;
	size_t len = kind == K_BIG ? BIG_LEN :
		     kind == K_CLIENT_ABORT || kind == K_SERVER_ABORT ? 1 + seed % 1000 :
		     1 + seed % SMALL_MAX;

	*h = (struct hdr){ MAGIC, kind, len, seed };
	pat_fill(seed, 0, buf + sizeof(*h), len);
	WANT(send_full(fd, buf, sizeof(*h) + len), sizeof(*h) + len);
	switch (kind) {
	case K_ECHO_CC:
	case K_ECHO_SC:
	case K_BIG:
	case K_HALF:
		WANT(recv_full(fd, buf, len, WAIT_MS), len);
		WANT(pat_bad(seed + 1, buf, len), 0);
		if (kind == K_ECHO_SC) {
			WANT(recv1(fd), 0);
		} else if (kind == K_HALF) {
			/* FIN, then the server's FIN: TIME_WAIT before close(). */
			WANT(rc(shutdown(fd, SHUT_WR)), 0);
			WANT(recv1(fd), 0);
		}
		WANT(rc(close(fd)), 0);
		break;
	case K_CLIENT_ABORT:
		WANT(recv1(fd), 1);
		close_rst(fd);
		break;
	case K_SERVER_ABORT:
		WANT(recv1(fd), -ECONNRESET);
		WANT(recv1(fd), 0);
		WANT(rc(close(fd)), 0);
		break;
	}
	return 0;
}

/* The refused connects to PR, blocking (twice on one socket) or not. */
static int refused(int kind)
{
	int fd = sock_new(kind == K_REFUSED_NB ? SOCK_NONBLOCK : 0);
	struct pollfd p;

	WANT(fd < 0 ? fd : 0, 0);
	if (kind == K_REFUSED) {
		WANT(connect_lo(fd, PR), -ECONNREFUSED);
		/* A failed connect leaves the socket ready for another. */
		WANT(connect_lo(fd, PR), -ECONNREFUSED);
	} else {
		WANT(connect_lo(fd, PR), -EINPROGRESS);
		p = (struct pollfd){ .fd = fd, .events = POLLOUT };
		WANT(rc(poll(&p, 1, WAIT_MS)), 1);
		WANT(sockopt_get(fd, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
		WANT(sockopt_get(fd, SOL_SOCKET, SO_ERROR), 0);
	}
	WANT(rc(close(fd)), 0);
	count(S_REFUSED);
	return 0;
}

/* A client on CPU @cpu: the plan's sessions in turn until the end. */
static int client(int cpu)
{
	for (uint32_t i = cpu; running(); i++) {
		int port = plan[i % ARRAY_SIZE(plan)].port, kind = plan[i % ARRAY_SIZE(plan)].kind;
		uint32_t seed = splitmix64((uint64_t)cpu << 32 | i);
		double t;
		int fd;

		if (port == PR) {
			if (refused(kind))
				return -1;
			continue;
		}
		fd = sock_new(0);
		WANT(fd < 0 ? fd : 0, 0);
		t = now_s();
		WANT(connect_lo(fd, port), 0);
		/* A SYN was lost (1 s: its retransmission): the listener dropped it. */
		if (now_s() - t >= 1.0)
			count(S_SLOW);
		if (session(fd, port, kind, seed))
			return -1;
		count(S_SESSIONS);
	}
	return 0;
}

/*
 * The recycling client: RECYCLE_PORTS bound ports in turn, each connection
 * closed first by the client (K_HALF: TIME_WAIT once it returns), and the
 * next one on the port made over that TIME_WAIT.
 */
static int recycler(void)
{
	for (int i = 0; running(); i++) {
		int port = RECYCLE_PORT + i % RECYCLE_PORTS, fd, probe;

		/* From the second round on, the port's TIME_WAIT holds it. */
		probe = sock_new(0);
		WANT(probe < 0 ? probe : 0, 0);
		WANT(-bind_to(probe, "127.0.0.1", port), i < RECYCLE_PORTS ? 0 : -EADDRINUSE);
		WANT(rc(close(probe)), 0);
		fd = sock_new(0);
		WANT(fd < 0 ? fd : 0, 0);
		WANT(-sockopt_set(fd, SOL_SOCKET, SO_REUSEADDR, 1), 0);
		WANT(-bind_to(fd, "127.0.0.1", port), 0);
		WANT(connect_lo(fd, PA), 0);
		if (i >= RECYCLE_PORTS)
			count(S_RECYCLE);
		if (session(fd, PA, K_HALF, splitmix64(0x7777 + i)))
			return -1;
		count(S_SESSIONS);
	}
	return 0;
}

/*
 * The client of the second netns: ephemeral ports from a range of
 * EPH_PORTS, each connection closed first by the client (K_HALF), so that
 * once the range has gone round, each connect() must take over a TIME_WAIT
 * (tcp_tw_reuse 2, loopback: one from an earlier second). At most a
 * quarter of the range per second (of CLOCK_MONOTONIC; a second of
 * another clock, such as jiffies / HZ, overlaps two of them), so one always
 * qualifies: the only allowed outcome is success.
 */
static int eph_client(void)
{
	int in_sec = 0;
	time_t sec = 0;

	for (int i = 0; running(); i++) {
		struct timespec ts;
		int fd, p;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec != sec) {
			sec = ts.tv_sec;
			in_sec = 0;
		}
		if (++in_sec > EPH_PORTS / 4) {
			msleep(1000 - ts.tv_nsec / 1000000 + 1);
			i--;
			continue;
		}
		fd = sock_new(0);
		WANT(fd < 0 ? fd : 0, 0);
		WANT(connect_lo(fd, PE), 0);
		p = local_port(fd);
		WANT(p >= EPH_LOW && p < EPH_LOW + EPH_PORTS, 1);
		count(S_EPH_CONNS);
		/* The port's TIME_WAIT (60 s) was there: connect() took it over. */
		if (shm->tw_on[p - EPH_LOW])
			count(S_EPH_RECYCLE);
		shm->tw_on[p - EPH_LOW] = 1;
		if (session(fd, PE, K_HALF, splitmix64(0x9999 + i)))
			return -1;
		count(S_SESSIONS);
	}
	return 0;
}

/* ---- the flapping listener ---------------------------------------------- */

static int flapper(void)
{
	uint64_t rng = 0x1234567 + shm->fam;

	while (!shm->stop && (shm->flap_clients_left || now_s() < shm->end)) {
		int l = sock_new(SOCK_NONBLOCK), life = xorshift64(&rng) % 20;
		double until = now_s() + life / 1000.0;

		WANT(l < 0 ? l : 0, 0);
		WANT(-sockopt_set(l, SOL_SOCKET, SO_REUSEADDR, 1), 0);
		/* The old incarnation is closed; its children and TIME_WAITs reuse. */
		WANT(-bind_to(l, "127.0.0.1", PC), 0);
		WANT(rc(listen(l, 64)), 0);
		count(S_FLAP_CYCLES);
		do {
			struct pollfd p = { .fd = l, .events = POLLIN };
			int fd;

			WANT(rc(poll(&p, 1, 2)), 0, 1);
			if (!p.revents)
				continue;
			fd = rc(accept4(l, NULL, NULL, SOCK_CLOEXEC));
			WANT(fd >= 0 ? 0 : fd, 0);
			count(S_FLAP_ACCEPTS);
			if (serve(fd))
				return -1;
		} while (now_s() < until && !shm->stop);
		/* Children still queued are reset. */
		WANT(rc(close(l)), 0);
		msleep(xorshift64(&rng) % 8);
	}
	return 0;
}

static int flap_client(void)
{
	for (uint32_t i = 0; running(); i++) {
		uint32_t seed = splitmix64(0x5151 + i);
		size_t len = 1 + seed % 2000;
		struct hdr *h = (struct hdr *)buf;
		double t;
		long got;
		int fd = sock_new(0), stage = 0;

		WANT(fd < 0 ? fd : 0, 0);
		/*
		 * Refused with no listener; reset when the listener closed with
		 * the connection in its queue before connect() returned (Linux
		 * then reports the reset, ECONNRESET).
		 */
		t = now_s();
		got = connect_lo(fd, PC);
		t = now_s() - t;
		__atomic_fetch_add(&shm->stat[S_FLAP_MS], (long)(t * 1000), __ATOMIC_RELAXED);
		if (t >= 1.0)
			count(S_FLAP_SLOW);
		WANT(got, 0, -ECONNREFUSED, -ECONNRESET);
		if (got) {
			count(got == -ECONNREFUSED ? S_FLAP_REFUSED : S_FLAP_RESET);
			WANT(rc(close(fd)), 0);
			continue;
		}
		t = now_s();
		*h = (struct hdr){ MAGIC, K_ECHO_SC, len, seed };
		pat_fill(seed, 0, buf + sizeof(*h), len);
		/* A reset may already have come: the listener closed with us queued. */
		stage = 1;
		got = send_full(fd, buf, sizeof(*h) + len);
		WANT(got, sizeof(*h) + len, -ECONNRESET, -EPIPE);
		if (got > 0) {
			stage = 2;
			got = recv_full(fd, buf, len, WAIT_MS);
		}
		WANT(got, len, -ECONNRESET, -EPIPE);
		if (got > 0) {
			WANT(pat_bad(seed + 1, buf, len), 0);
			stage = 3;
			WANT(recv1(fd), 0);
			count(S_FLAP_OK);
		} else {
			count(S_FLAP_RESET);
		}
		t = now_s() - t;
		__atomic_fetch_add(&shm->stat[S_FLAP_WAIT_MS], (long)(t * 1000), __ATOMIC_RELAXED);
		if (t >= 1.0) {
			long k = shm->stat[S_FLAP_STALLS];

			if (k < 8) {
				shm->stall_got[k] = got;
				shm->stall_ms[k] = t * 1000;
				shm->stall_at[k] = stage;
			}
			count(S_FLAP_STALLS);
		}
		WANT(rc(close(fd)), 0);
	}
	return 0;
}

/* ---- the run ------------------------------------------------------------ */

enum role {
	R_CLIENT, R_ACCEPTOR, R_RP, R_FLAPPER, R_FLAP_CLIENT, R_RECYCLER, R_EPH_CLIENT,
	R_EPH_ACCEPTOR,
};

static const struct { enum role role; int cpu; } workers[] = {
	{ R_CLIENT, 0 }, { R_CLIENT, 1 }, { R_RECYCLER, 1 }, { R_FLAP_CLIENT, 1 },
	{ R_EPH_CLIENT, 0 }, { R_ACCEPTOR, 0 }, { R_ACCEPTOR, 1 }, { R_RP, 0 }, { R_RP, 1 },
	{ R_FLAPPER, 0 }, { R_EPH_ACCEPTOR, 1 },
};

/* The listeners and netns a worker may need. */
struct run {
	int la, rp[RP_N], le, ns2;
};

/* One worker process: pinned, its role, its exit status. */
static int worker(int w, const struct run *run)
{
	int cpu = workers[w].cpu, ret = -1;

	WANT(-pin_cpu(cpu), 0);
	if (workers[w].role == R_EPH_CLIENT || workers[w].role == R_EPH_ACCEPTOR)
		WANT(netns_enter(run->ns2), 0);
	switch (workers[w].role) {
	case R_CLIENT:
		ret = client(cpu);
		__atomic_fetch_sub(&shm->clients_left, 1, __ATOMIC_SEQ_CST);
		break;
	case R_RECYCLER:
		ret = recycler();
		__atomic_fetch_sub(&shm->clients_left, 1, __ATOMIC_SEQ_CST);
		break;
	case R_FLAP_CLIENT:
		ret = flap_client();
		__atomic_fetch_sub(&shm->flap_clients_left, 1, __ATOMIC_SEQ_CST);
		break;
	case R_EPH_CLIENT:
		ret = eph_client();
		__atomic_fetch_sub(&shm->eph_clients_left, 1, __ATOMIC_SEQ_CST);
		break;
	case R_ACCEPTOR:
		ret = server(&run->la, 1, S_ACCEPTS, &shm->clients_left);
		break;
	case R_RP:
		ret = server(run->rp + 2 * cpu, 2, S_RP + 2 * cpu, &shm->clients_left);
		break;
	case R_EPH_ACCEPTOR:
		ret = server(&run->le, 1, S_EPH_ACCEPTS, &shm->eph_clients_left);
		break;
	case R_FLAPPER:
		ret = flapper();
		break;
	}
	return ret;
}

static int listener(int port, int reuseport, int backlog)
{
	int l = sock_new(SOCK_NONBLOCK);

	WANT(l < 0 ? l : 0, 0);
	if (reuseport)
		WANT(-sockopt_set(l, SOL_SOCKET, SO_REUSEPORT, 1), 0);
	WANT(-bind_to(l, "127.0.0.1", port), 0);
	WANT(rc(listen(l, backlog)), 0);
	return l;
}

/*
 * The run: a second netns with its listener, then the main one (the
 * calling process's) with the others, the workers, their end. 0, or -1
 * (the failure in shm).
 */
static int stress_run(void)
{
	pid_t pid[ARRAY_SIZE(workers)];
	struct run run;
	char range[32];
	int ns1, st;

	run.ns2 = netns_new();
	WANT(run.ns2 < 0 ? run.ns2 : 0, 0);
	snprintf(range, sizeof(range), "%d %d", EPH_LOW, EPH_LOW + EPH_PORTS - 1);
	WANT(sysctl_set("net/ipv4/ip_local_port_range", range), 0);
	run.le = listener(PE, 0, 64);
	WANT(run.le < 0 ? run.le : 0, 0);
	ns1 = netns_new();
	WANT(ns1 < 0 ? ns1 : 0, 0);
	run.la = listener(PA, 0, 1024);
	WANT(run.la < 0 ? run.la : 0, 0);
	for (int i = 0; i < RP_N; i++) {
		run.rp[i] = listener(PB, 1, 256);
		WANT(run.rp[i] < 0 ? run.rp[i] : 0, 0);
	}
	shm->clients_left = 3;
	shm->flap_clients_left = 1;
	shm->eph_clients_left = 1;
	for (int w = 0; w < (int)ARRAY_SIZE(workers); w++) {
		pid[w] = fork();
		WANT(pid[w] < 0 ? -errno : 0, 0);
		if (pid[w] == 0)
			_exit(worker(w, &run) ? 1 : 0);
	}
	for (int w = 0; w < (int)ARRAY_SIZE(workers); w++) {
		if (waitpid(pid[w], &st, 0) != pid[w])
			fail(__LINE__, -errno, "waitpid()");
		else if (st && !shm->fail_line)
			fail(__LINE__, st, "a worker's exit status");	/* died without saying why */
	}
	if (shm->fail_line)
		return -1;
	WANT(rc(close(run.la)), 0);
	WANT(rc(close(run.le)), 0);
	for (int i = 0; i < RP_N; i++)
		WANT(rc(close(run.rp[i])), 0);
	if (shm->baseline >= 0)
		read_file("/proc/net/rust_tcp_stat", shm->mib, sizeof(shm->mib));
	/* rust_tcp: no sock left, though both netns and their TIME_WAITs are. */
	if (shm->baseline >= 0)
		shm->refs_live = module_refcnt_wait(shm->baseline, WAIT_MS) - shm->baseline;
	return 0;
}

/*
 * Runs @secs of stress for @fam in a child (its netns go with it); checks
 * the counts. @base: the module's reference count, or -1.
 */
static void stress(struct __test_metadata *_metadata, int fam, int secs, long base)
{
	int st = -1;
	pid_t pid;

	memset(shm, 0, sizeof(*shm));
	shm->fam = fam;
	shm->baseline = base;
	shm->end = now_s() + secs;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(stress_run() ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	{
		char line[512];
		int at = 0;

		for (int s = 0; s < S_COUNT; s++)
			at += snprintf(line + at, sizeof(line) - at, " %s %ld", stat_names[s],
				       shm->stat[s]);
		TH_LOG("%d s:%s", secs, line);
		for (int k = 0; k < shm->stat[S_FLAP_STALLS] && k < 8; k++)
			TH_LOG("flap stall: %ld ms, stage %d, got %ld", shm->stall_ms[k],
			       shm->stall_at[k], shm->stall_got[k]);
		for (char *p = shm->mib, *q; *p; p = q + 1) {
			q = strchr(p, '\n');
			if (!q)
				break;
			*q = ' ';
		}
		if (*shm->mib)
			TH_LOG("%s", shm->mib);
	}
	ASSERT_EQ(0, shm->fail_line) TH_LOG("line %d (pid %d): %s gave %ld (%s)", shm->fail_line,
					   shm->fail_pid, shm->fail_what, shm->fail_got,
					   shm->fail_got < 0 ? errname(-shm->fail_got) : "");
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Every kind of event happened. */
	EXPECT_LE(20, shm->stat[S_SESSIONS]);
	EXPECT_LE(10, shm->stat[S_ECHO]);
	EXPECT_LE(1, shm->stat[S_BIG]);
	EXPECT_LE(2, shm->stat[S_CLIENT_ABORT]);
	EXPECT_LE(1, shm->stat[S_SERVER_ABORT]);
	EXPECT_LE(2, shm->stat[S_REFUSED]);
	for (int i = 0; i < RP_N; i++) {
		EXPECT_LE(1, shm->stat[S_RP + i]) TH_LOG("reuseport listener %d got nothing", i);
	}
	/* A listener that stays (backlog to spare) never drops a SYN. */
	EXPECT_EQ(0, shm->stat[S_SLOW]);
	EXPECT_LE(5, shm->stat[S_FLAP_CYCLES]);
	EXPECT_LE(1, shm->stat[S_FLAP_OK]);
	/*
	 * Once connected to the flapping listener, the echo or the reset
	 * comes at once: Linux drops a request whose listener has closed and
	 * looks the segment up again (tcp_v4_rcv), so the client's next
	 * segment is answered by the new incarnation or by nobody: a RST. A
	 * connection left hanging shows as a recv() that waits for seconds
	 * (the client's retransmissions going unanswered).
	 */
	EXPECT_EQ(0, shm->stat[S_FLAP_STALLS]);
	EXPECT_LE(1, shm->stat[S_FLAP_REFUSED]);
	EXPECT_LE(RECYCLE_PORTS, shm->stat[S_RECYCLE]);
	/* Past the range, every connect took over a TIME_WAIT. */
	EXPECT_LE(EPH_PORTS + 4, shm->stat[S_EPH_CONNS]);
	EXPECT_LE(4, shm->stat[S_EPH_RECYCLE]);
}

FIXTURE(stress) {
};

FIXTURE_SETUP(stress)
{
	int cpus = sysconf(_SC_NPROCESSORS_ONLN);

	ASSERT_NE(NULL, shm);
	if (cpus < 2)
		SKIP(return, "%d CPU online: the stress needs two", cpus);
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, inet, 120)
{
	stress(_metadata, AF_INET, INET_S, -1);
}

TEST_F_TIMEOUT(stress, rust_tcp, 300)
{
	char first[512] = "";
	long base;
	int kmsg;

	if (!family_available(rust_tcp_family()))
		SKIP(return, "rust_tcp is not loaded");
	base = module_refcnt();
	ASSERT_LE(0, base);
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	stress(_metadata, rust_tcp_family(), STRESS_S, base);
	/* Every fd closed: the TIME_WAITs left hold no reference. */
	EXPECT_EQ(0, shm->refs_live) TH_LOG("refcnt +%ld with every fd closed", shm->refs_live);

	/* Every socket gone: nothing holds the module. */
	EXPECT_EQ(base, module_refcnt_wait(base, WAIT_MS));
	EXPECT_EQ(0, module_unload_wait(WAIT_MS));
	/* (Still loaded: a sock leaked. The tests after this one go on with it.) */
	if (!module_loaded())
		ASSERT_EQ(0, module_load(""));
	EXPECT_EQ(0, kmsg_find(kmsg, "socks left", first, sizeof(first))) TH_LOG("%s", first);
	close(kmsg);
}

static void __attribute__((constructor)) shared_map(void)
{
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		shm = NULL;
}

TEST_HARNESS_MAIN
