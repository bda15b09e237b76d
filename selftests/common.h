/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the rust_tcp selftests. */
#ifndef _RUST_TCP_SELFTEST_COMMON_H
#define _RUST_TCP_SELFTEST_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "rust_tcp.h"

/*
 * kselftest_harness.h's TEST_F wrapper keeps a local across setjmp(), which
 * gcc -Wextra reports in every file that uses TEST_F; it is the harness's.
 */
#pragma GCC diagnostic ignored "-Wclobbered"

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

/*
 * Whether sockets of @family can be made in the current netns. A host
 * without the module answers EAFNOSUPPORT: the tests then SKIP the
 * rust_tcp half and still check the AF_INET half.
 */
static inline int family_available(int family)
{
	return socket_outcome(family, SOCK_STREAM, 0) != EAFNOSUPPORT;
}

/*
 * For tests that check the AF_INET half and then compare rust_tcp with it:
 * without the module, SKIP the rest, but keep a failure of the AF_INET half
 * a failure (SKIP alone would overwrite it).
 */
#define SKIP_WITHOUT_RUST_TCP() do {						\
	if (!family_available(rust_tcp_family())) {				\
		if (_metadata->exit_code == KSFT_PASS)				\
			SKIP(return, "rust_tcp is not loaded (AF_INET half checked)"); \
		return;								\
	}									\
} while (0)

/* ---- addresses ---------------------------------------------------------- */

static inline struct sockaddr_in sin_of(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, addr, &a.sin_addr);
	return a;
}

static inline int bind_to(int fd, const char *addr, int port)
{
	struct sockaddr_in a = sin_of(addr, port);

	return outcome(bind(fd, (struct sockaddr *)&a, sizeof(a)));
}

/*
 * bind() of a new rust_tcp socket to 127.0.0.1:@port, without
 * SO_REUSEADDR: 0, or the errno (EADDRINUSE while a socket or a
 * TIME_WAIT holds the port).
 */
static inline int bind_lo(int port)
{
	int fd = socket(rust_tcp_family(), SOCK_STREAM, 0), err;

	if (fd < 0)
		return errno;
	err = bind_to(fd, "127.0.0.1", port);
	close(fd);
	return err;
}

/* The local port of @fd (getsockname), or -errno. */
static inline int local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -errno;
	return ntohs(a.sin_port);
}

static inline int sockopt_set(int fd, int level, int opt, int val)
{
	return outcome(setsockopt(fd, level, opt, &val, sizeof(val)));
}

/* An int socket option, or -errno. */
static inline int sockopt_get(int fd, int level, int opt)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, opt, &v, &len) < 0)
		return -errno;
	return v;
}

static inline void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- files, sysctls, commands ------------------------------------------- */

static inline int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return errno;
	ret = write(fd, val, strlen(val)) < 0 ? errno : 0;
	close(fd);
	return ret;
}

static inline int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return errno;
	buf[n] = 0;
	return 0;
}

/* Writes /proc/sys/@name (e.g. "net/ipv4/tcp_syncookies") of the current netns. */
static inline int sysctl_set(const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	return write_file(path, val);
}

/* Reads /proc/sys/@name of the current netns into @buf (newline kept). */
static inline int sysctl_get(const char *name, char *buf, size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	return read_file(path, buf, size);
}

/* Runs a shell command; stdout is discarded, stderr kept. Its exit status. */
static inline int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " >/dev/null", sizeof(cmd) - strlen(cmd) - 1);
	ret = system(cmd);
	if (ret != 0)
		fprintf(stderr, "# command failed (%d): %s\n", ret, cmd);
	return ret == -1 ? -1 : WEXITSTATUS(ret);
}

/* ---- network namespaces and links -------------------------------------- */

static inline int link_up(const char *ifname)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return errno;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ret = outcome(ioctl(fd, SIOCGIFFLAGS, &ifr));
	if (!ret) {
		ifr.ifr_flags |= IFF_UP;
		ret = outcome(ioctl(fd, SIOCSIFFLAGS, &ifr));
	}
	close(fd);
	return ret;
}

/*
 * Waits until @ifname can transmit. Bringing a veth up only schedules
 * linkwatch: until its work runs (a kworker, which under TCG on a loaded
 * host can lag), the device keeps noop_qdisc and every packet sent is
 * dropped, so a test's first SYN would be lost and answered a second
 * later by the retransmit. linkwatch sets IFF_RUNNING (the operstate) and
 * then attaches the real qdisc in one rtnl-locked section; once RUNNING
 * shows, one more SIOCSIFFLAGS (which takes rtnl) returns only after that
 * section has ended.
 */
static inline int link_wait_running(const char *ifname)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret = ETIMEDOUT, i;

	if (fd < 0)
		return errno;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	for (i = 0; i < 5000; i++) {
		if (ioctl(fd, SIOCGIFFLAGS, &ifr)) {
			ret = errno;
			break;
		}
		if (ifr.ifr_flags & IFF_RUNNING) {
			ret = outcome(ioctl(fd, SIOCSIFFLAGS, &ifr));
			break;
		}
		usleep(1000);
	}
	close(fd);
	/*
	 * And see it: CI still saw a first SYN wait out its retransmission
	 * with the above alone, so wait until the device's qdisc is no longer
	 * noop_qdisc (what tc reports as "noop") as well.
	 */
	for (i = 0; !ret && i < 2000; i++) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "tc qdisc show dev %s | grep -q '^qdisc noop'", ifname);
		if (system(cmd) != 0)
			break;
		usleep(1000);
	}
	return ret;
}

/*
 * Turns off transmit checksum offload on @ifname, so that the stack fills
 * in every checksum in software before the packet reaches the device (and
 * the packet sockets tapping it). With offload on, a locally generated
 * segment crosses the veth pair as CHECKSUM_PARTIAL: its checksum field
 * holds only the pseudo-header sum, on the sending side and on the
 * receiving side alike, so no capture point would show a real checksum.
 */
static inline int tx_csum_set(const char *ifname, int on)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = !!on };
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return errno;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = (void *)&ev;
	ret = outcome(ioctl(fd, SIOCETHTOOL, &ifr));
	close(fd);
	return ret;
}

static inline int tx_csum_off(const char *ifname)
{
	return tx_csum_set(ifname, 0);
}

/*
 * A fresh network namespace for the calling process, with lo up. Returns
 * an fd on it (for setns), or -errno. The namespace lives as long as the
 * fd or a process in it: nothing to clean up when the test ends.
 */
static inline int netns_new(void)
{
	int fd, err;

	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	err = link_up("lo");
	if (err)
		return -err;
	fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static inline int netns_enter(int nsfd)
{
	return outcome(setns(nsfd, CLONE_NEWNET));
}

/*
 * Two hosts joined by a veth pair: the client netns (10.0.1.1 on veth_c)
 * and the server netns (10.0.1.2 on veth_s), both with lo up and transmit
 * checksum offload off. The calling process ends up in the server netns.
 * Anonymous namespaces: they go away with the test process.
 */
#define CLIENT_ADDR "10.0.1.1"
#define SERVER_ADDR "10.0.1.2"
/*
 * A client address no host owns, for segments crafted with raw_seg(): the
 * server's neighbour entry sends its replies to a MAC nobody has, so they
 * are captured leaving the server and then vanish: no RST from a client
 * kernel, and no final ACK unless the test sends one.
 */
#define FAKE_ADDR "10.0.1.3"
#define VETH_C "veth_c"
#define VETH_S "veth_s"

struct two_hosts {
	int ns_c, ns_s;
};

/* Both ends of @h's veth can transmit; ends in the server netns. */
static inline int two_hosts_wait_running(struct two_hosts *h)
{
	if (netns_enter(h->ns_c) || link_wait_running(VETH_C) ||
	    netns_enter(h->ns_s) || link_wait_running(VETH_S))
		return EIO;
	return 0;
}

static inline int two_hosts_setup(struct two_hosts *h)
{
	h->ns_s = -1;
	h->ns_c = netns_new();
	if (h->ns_c < 0)
		return -h->ns_c;
	if (sh("ip link add " VETH_C " type veth peer name " VETH_S) ||
	    sh("ip addr add " CLIENT_ADDR "/24 dev " VETH_C) ||
	    tx_csum_off(VETH_C) || link_up(VETH_C))
		return EIO;
	h->ns_s = netns_new();
	if (h->ns_s < 0)
		return -h->ns_s;
	if (netns_enter(h->ns_c) ||
	    sh("ip link set " VETH_S " netns /proc/%d/fd/%d", getpid(), h->ns_s) ||
	    netns_enter(h->ns_s) ||
	    sh("ip addr add " SERVER_ADDR "/24 dev " VETH_S) ||
	    tx_csum_off(VETH_S) || link_up(VETH_S) ||
	    sh("ip neigh add " FAKE_ADDR " lladdr 02:00:00:00:00:03 dev " VETH_S
	       " nud permanent"))
		return EIO;
	return two_hosts_wait_running(h);
}

static inline void two_hosts_teardown(struct two_hosts *h)
{
	if (h->ns_c >= 0)
		close(h->ns_c);
	if (h->ns_s >= 0)
		close(h->ns_s);
	h->ns_c = h->ns_s = -1;
}

/* socket() in netns @nsfd; the caller stays there. */
static inline int socket_in(int nsfd, int family, int type)
{
	if (netns_enter(nsfd))
		return -1;
	return socket(family, type, 0);
}

/* ---- connections -------------------------------------------------------- */

/* Non-blocking connect to @addr:@port; 0 if started (EINPROGRESS) or done. */
static inline int connect_nb(int fd, const char *addr, int port)
{
	struct sockaddr_in a = sin_of(addr, port);
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS)
		return errno;
	return 0;
}

/* Waits up to @ms for a connecting socket: 0 connected, ETIMEDOUT, or its error. */
static inline int wait_connected(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int n = poll(&p, 1, ms);

	if (n < 0)
		return errno;
	if (n == 0)
		return ETIMEDOUT;
	n = sockopt_get(fd, SOL_SOCKET, SO_ERROR);
	return n < 0 ? -n : n;
}

/* The TCP state (TCP_ESTABLISHED, ...) of an AF_INET socket, or -errno. */
static inline int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	return ti.tcpi_state;
}

/* Closes @fd with a RST (SO_LINGER 0), leaving no TIME_WAIT or FIN behind. */
static inline void close_rst(int fd)
{
	struct linger l = { 1, 0 };

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* ---- packet capture, IP and TCP parsing --------------------------------- */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_ECE 0x40
#define TH_CWR 0x80

/* One captured IPv4 TCP segment, with its fields in host order. */
struct pkt {
	double ts;		/* kernel capture time, seconds (CLOCK_REALTIME) */
	int outgoing;		/* sent by this host */
	unsigned char raw[1500];
	int len;		/* IP total length */
	/* IP */
	uint32_t saddr, daddr;
	int ihl, tos, ttl, id, df, ip_csum_ok;
	/* TCP */
	int sport, dport, doff, flags, win, urg, tcp_csum_ok;
	uint32_t seq, ack;
	int optlen, paylen;	/* the options are at pkt_opt() */
};

static inline const unsigned char *pkt_opt(const struct pkt *p)
{
	return p->raw + p->ihl + 20;
}

/*
 * A capture on @ifname in the current netns, or -errno. ETH_P_ALL, because
 * only such taps see what the host sends; cap_next() keeps IPv4 TCP.
 */
static inline int cap_open(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL) };
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	int one = 1;

	if (fd < 0)
		return -errno;
	sll.sll_ifindex = if_nametoindex(ifname);
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
		int err = errno ? errno : ENODEV;

		close(fd);
		return -err;
	}
	return fd;
}

/* Internet checksum of @len bytes, folded and complemented, continuing @sum. */
static inline uint16_t inet_csum(const void *data, int len, uint32_t sum)
{
	const unsigned char *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (p[0] << 8) | p[1];
	if (len)
		sum += p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static inline uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Fills @p from the IPv4 packet in p->raw; 0 if it is a well-formed TCP segment. */
static inline int pkt_parse(struct pkt *p, int caplen)
{
	const unsigned char *ip = p->raw, *th;
	uint32_t sum;

	if (caplen < 20 || (ip[0] >> 4) != 4)
		return -1;
	p->ihl = (ip[0] & 15) * 4;
	p->len = ip[2] << 8 | ip[3];
	if (ip[9] != IPPROTO_TCP || p->len > caplen || p->ihl + 20 > p->len)
		return -1;
	p->tos = ip[1];
	p->id = ip[4] << 8 | ip[5];
	p->df = !!(ip[6] & 0x40);
	p->ttl = ip[8];
	p->saddr = get32(ip + 12);
	p->daddr = get32(ip + 16);
	p->ip_csum_ok = inet_csum(ip, p->ihl, 0) == 0;
	th = ip + p->ihl;
	p->sport = th[0] << 8 | th[1];
	p->dport = th[2] << 8 | th[3];
	p->seq = get32(th + 4);
	p->ack = get32(th + 8);
	p->doff = (th[12] >> 4) * 4;
	p->flags = th[13];
	p->win = th[14] << 8 | th[15];
	p->urg = th[18] << 8 | th[19];
	if (p->doff < 20 || p->ihl + p->doff > p->len)
		return -1;
	p->optlen = p->doff - 20;
	p->paylen = p->len - p->ihl - p->doff;
	/* Pseudo-header: addresses, protocol, TCP length. */
	sum = (p->saddr >> 16) + (p->saddr & 0xffff) + (p->daddr >> 16) +
	      (p->daddr & 0xffff) + IPPROTO_TCP + (p->len - p->ihl);
	p->tcp_csum_ok = inet_csum(th, p->len - p->ihl, sum) == 0;
	return 0;
}

/*
 * The next TCP segment from capture @fd within @ms milliseconds: 1 with @p
 * filled, 0 on timeout, -errno on error. Other IPv4 packets are skipped.
 */
static inline int cap_next(int fd, struct pkt *p, int ms)
{
	double end = now_s() + ms / 1000.0;

	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(struct timespec))];
		struct sockaddr_ll sll;
		struct iovec iov = { p->raw, sizeof(p->raw) };
		struct msghdr m = { .msg_name = &sll, .msg_namelen = sizeof(sll),
				    .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int left = (int)((end - now_s()) * 1000), n;
		struct cmsghdr *c;

		if (left < 0)
			left = 0;
		n = poll(&pf, 1, left);
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		n = recvmsg(fd, &m, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN)
				continue;
			return -errno;
		}
		if (sll.sll_protocol != htons(ETH_P_IP) || pkt_parse(p, n))
			continue;
		p->outgoing = sll.sll_pkttype == PACKET_OUTGOING;
		p->ts = 0;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				p->ts = ts.tv_sec + ts.tv_nsec / 1e9;
			}
		}
		return 1;
	}
}

/* Drops whatever the capture has queued. */
static inline void cap_drain(int fd)
{
	char buf[2048];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/*
 * The kinds of the TCP options @opt (@optlen bytes) in order, NOP and EOL
 * included, into @kinds; their number, or -1 if the area is malformed.
 */
static inline int tcp_opt_kinds(const unsigned char *opt, int optlen, int *kinds, int max)
{
	int i = 0, n = 0;

	while (i < optlen && n < max) {
		int kind = opt[i];

		kinds[n++] = kind;
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= optlen || opt[i + 1] < 2 || i + opt[i + 1] > optlen)
			return -1;
		i += opt[i + 1];
	}
	return n;
}

/*
 * Where option @kind starts in @p's options (the kind byte's offset), its
 * total length in *len; -1 if absent.
 */
static inline int tcp_opt_at(const struct pkt *p, int kind, int *len)
{
	const unsigned char *o = pkt_opt(p);
	int i = 0;

	while (i < p->optlen) {
		if (o[i] == TCPOPT_EOL)
			break;
		if (o[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= p->optlen || o[i + 1] < 2)
			break;
		if (o[i] == kind) {
			*len = o[i + 1];
			return i;
		}
		i += o[i + 1];
	}
	return -1;
}

/* Option @kind's bytes after kind and length, or NULL; its length in *len. */
static inline const unsigned char *tcp_opt(const struct pkt *p, int kind, int *len)
{
	int at = tcp_opt_at(p, kind, len);

	return at < 0 ? NULL : pkt_opt(p) + at + 2;
}

static inline int tcp_opt_mss(const struct pkt *p)
{
	int len;
	const unsigned char *o = tcp_opt(p, TCPOPT_MAXSEG, &len);

	return o && len == 4 ? o[0] << 8 | o[1] : -1;
}

static inline int tcp_opt_wscale(const struct pkt *p)
{
	int len;
	const unsigned char *o = tcp_opt(p, TCPOPT_WINDOW, &len);

	return o && len == 3 ? o[0] : -1;
}

/* Timestamp option: 0 if present, with TSval and TSecr. */
static inline int tcp_opt_ts(const struct pkt *p, uint32_t *val, uint32_t *ecr)
{
	int len;
	const unsigned char *o = tcp_opt(p, TCPOPT_TIMESTAMP, &len);

	if (!o || len != 10)
		return -1;
	*val = get32(o);
	*ecr = get32(o + 4);
	return 0;
}

/* ---- crafted segments ---------------------------------------------------- */

/* A raw IPv4 socket for raw_seg(), in the current netns, or -1. */
static inline int raw_open(void)
{
	return socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
}

/*
 * The options of a Linux SYN without timestamps (tcp_timestamps=0):
 * MSS 1460, NOP NOP SACK_PERM, NOP WS 7.
 */
static const unsigned char syn_opts_nots[12] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };

/* How raw_seg_mangled() breaks a segment. */
enum mangle {
	MANGLE_NONE,
	MANGLE_CSUM,		/* TCP checksum off by one */
	MANGLE_DOFF,		/* data offset 4: a header shorter than 20 bytes */
	MANGLE_DOFF_LONG,	/* data offset past the end of the segment */
};

/*
 * Sends one TCP segment @src:@sport > @dst:@dport through raw socket @fd
 * (IP header ours, checksums right unless @how says). 0 or errno.
 */
static inline int raw_seg_mangled(int fd, const char *src, int sport, const char *dst,
				  int dport, uint32_t seq, uint32_t ack, int flags, int win,
				  const unsigned char *opt, int optlen, enum mangle how)
{
	unsigned char b[80] = { 0x45 };
	struct sockaddr_in to = sin_of(dst, 0);
	struct sockaddr_in from = sin_of(src, 0);
	int tlen = 20 + optlen, len = 20 + tlen;
	uint32_t sum, s = ntohl(from.sin_addr.s_addr), d = ntohl(to.sin_addr.s_addr);
	unsigned char *th = b + 20;
	uint16_t ck;

	if (optlen > 40 || optlen % 4)
		return EINVAL;
	b[2] = len >> 8; b[3] = len;
	b[6] = 0x40;				/* DF */
	b[8] = 64;				/* TTL */
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, &from.sin_addr, 4);
	memcpy(b + 16, &to.sin_addr, 4);
	th[0] = sport >> 8; th[1] = sport;
	th[2] = dport >> 8; th[3] = dport;
	th[4] = seq >> 24; th[5] = seq >> 16; th[6] = seq >> 8; th[7] = seq;
	th[8] = ack >> 24; th[9] = ack >> 16; th[10] = ack >> 8; th[11] = ack;
	th[12] = (tlen / 4) << 4;
	th[13] = flags;
	th[14] = win >> 8; th[15] = win;
	memcpy(th + 20, opt, optlen);
	if (how == MANGLE_DOFF)
		th[12] = 4 << 4;
	if (how == MANGLE_DOFF_LONG)
		th[12] = 15 << 4;
	sum = (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + IPPROTO_TCP + tlen;
	ck = inet_csum(th, tlen, sum);
	if (how == MANGLE_CSUM)
		ck ^= 1;
	th[16] = ck >> 8; th[17] = ck;
	if (sendto(fd, b, len, 0, (struct sockaddr *)&to, sizeof(to)) != len)
		return errno;
	return 0;
}

static inline int raw_seg(int fd, const char *src, int sport, const char *dst, int dport,
			  uint32_t seq, uint32_t ack, int flags, int win,
			  const unsigned char *opt, int optlen)
{
	return raw_seg_mangled(fd, src, sport, dst, dport, seq, ack, flags, win, opt, optlen,
			       MANGLE_NONE);
}

/* Counter @name of /proc/net/rust_tcp_stat in the current netns, or -1. */
static inline long rust_tcp_stat(const char *name)
{
	char line[128], key[64];
	long v, found = -1;
	FILE *f = fopen("/proc/net/rust_tcp_stat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", key, &v) == 2 && !strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/*
 * Waits up to @ms for a segment the server sends to port @dport whose flags
 * masked by @mask equal @val: 1 found (in @p), 0 not. Others are skipped.
 */
static inline int cap_wait_sent(int cap, struct pkt *p, int ms, int dport, int mask, int val)
{
	double end = now_s() + ms / 1000.0;
	int left;

	while ((left = (int)((end - now_s()) * 1000)) > 0) {
		if (cap_next(cap, p, left) != 1)
			return 0;
		if (p->outgoing && p->dport == dport && (p->flags & mask) == val)
			return 1;
	}
	return 0;
}


/* ---- connect() and names ------------------------------------------------- */

/* connect() to @addr:@port (blocking or not, as @fd is) as an outcome. */
static inline int connect_to(int fd, const char *addr, int port)
{
	struct sockaddr_in a = sin_of(addr, port);

	return outcome(connect(fd, (struct sockaddr *)&a, sizeof(a)));
}

/* getsockname() of @fd into *@a: 0 or errno (ENOBUFS if the length is not 16). */
static inline int sock_name(int fd, struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);

	memset(a, 0, sizeof(*a));
	if (getsockname(fd, (struct sockaddr *)a, &len) < 0)
		return errno;
	return len == sizeof(*a) ? 0 : ENOBUFS;
}

/* getpeername() of @fd into *@a: 0 or errno (ENOBUFS if the length is not 16). */
static inline int peer_name(int fd, struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);

	memset(a, 0, sizeof(*a));
	if (getpeername(fd, (struct sockaddr *)a, &len) < 0)
		return errno;
	return len == sizeof(*a) ? 0 : ENOBUFS;
}

/* Whether two names are the same address and port (family AF_INET both). */
static inline int sin_same(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_family == AF_INET && b->sin_family == AF_INET &&
	       a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* What poll() reports for @events on @fd right now (revents), or -errno. */
static inline int revents_now(int fd, int events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n = poll(&p, 1, 0);

	return n < 0 ? -errno : p.revents;
}


/* ---- two hosts without running ip(8) --------------------------------------- */

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if_arp.h>
#include <net/route.h>

/* Appends attribute @type (@len bytes of @data) to netlink message @h. */
static inline struct rtattr *nl_put(struct nlmsghdr *h, int type, const void *data, int len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

/* Closes nested attribute @a, opened by nl_put(h, type, NULL, 0). */
static inline void nl_end(struct nlmsghdr *h, struct rtattr *a)
{
	a->rta_len = (char *)h + h->nlmsg_len - (char *)a;
}

/* Sends request @h on a NETLINK_ROUTE socket of the current netns: its ack's errno. */
static inline int nl_request(struct nlmsghdr *h)
{
	struct { struct nlmsghdr h; struct nlmsgerr e; char more[256]; } ack;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), n;

	if (fd < 0)
		return errno;
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, h, h->nlmsg_len, 0) != (ssize_t)h->nlmsg_len) {
		n = errno;
		close(fd);
		return n;
	}
	n = recv(fd, &ack, sizeof(ack), 0);
	close(fd);
	if (n < (int)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || ack.h.nlmsg_type != NLMSG_ERROR)
		return EIO;
	return -ack.e.error;
}

/*
 * A veth pair: @name in the current netns, @peer in the netns of fd
 * @peer_ns (-1: the current one). 0 or errno.
 */
static inline int veth_add(const char *name, const char *peer, int peer_ns)
{
	struct { struct nlmsghdr h; char buf[512]; } m = { 0 };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *pa;

	m.h.nlmsg_len = NLMSG_LENGTH(sizeof(ifi));
	m.h.nlmsg_type = RTM_NEWLINK;
	m.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	memcpy(NLMSG_DATA(&m.h), &ifi, sizeof(ifi));
	nl_put(&m.h, IFLA_IFNAME, name, strlen(name) + 1);
	info = nl_put(&m.h, IFLA_LINKINFO, NULL, 0);
	nl_put(&m.h, IFLA_INFO_KIND, "veth", 5);
	data = nl_put(&m.h, IFLA_INFO_DATA, NULL, 0);
	pa = nl_put(&m.h, VETH_INFO_PEER, &ifi, sizeof(ifi));
	nl_put(&m.h, IFLA_IFNAME, peer, strlen(peer) + 1);
	if (peer_ns >= 0)
		nl_put(&m.h, IFLA_NET_NS_FD, &peer_ns, sizeof(peer_ns));
	nl_end(&m.h, pa);
	nl_end(&m.h, data);
	nl_end(&m.h, info);
	return nl_request(&m.h);
}

/* An ioctl on an AF_INET datagram socket of the current netns: 0 or errno. */
static inline int inet_ioctl(unsigned long req, void *arg)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return errno;
	ret = outcome(ioctl(fd, req, arg));
	close(fd);
	return ret;
}

/* Gives @ifname the address @addr/@prefix (as the primary address). 0 or errno. */
static inline int if_addr_set(const char *ifname, const char *addr, int prefix)
{
	struct ifreq ifr = {};
	struct sockaddr_in a = sin_of(addr, 0);
	int ret;

	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	memcpy(&ifr.ifr_addr, &a, sizeof(a));
	ret = inet_ioctl(SIOCSIFADDR, &ifr);
	if (ret)
		return ret;
	a.sin_addr.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
	memcpy(&ifr.ifr_netmask, &a, sizeof(a));
	return inet_ioctl(SIOCSIFNETMASK, &ifr);
}

/* The MAC address of @ifname in the current netns into @mac. 0 or errno. */
static inline int if_mac(const char *ifname, unsigned char mac[6])
{
	struct ifreq ifr = {};
	int ret;

	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ret = inet_ioctl(SIOCGIFHWADDR, &ifr);
	if (!ret)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return ret;
}

/* A permanent neighbour entry @addr -> @mac on @ifname (replacing any). 0 or errno. */
static inline int arp_set(const char *ifname, const char *addr, const unsigned char mac[6])
{
	struct arpreq r = { .arp_flags = ATF_PERM | ATF_COM };
	struct sockaddr_in a = sin_of(addr, 0);

	memcpy(&r.arp_pa, &a, sizeof(a));
	r.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(r.arp_ha.sa_data, mac, 6);
	strncpy(r.arp_dev, ifname, sizeof(r.arp_dev) - 1);
	return inet_ioctl(SIOCSARP, &r);
}

/* A default route via @gw in the current netns. 0 or errno. */
static inline int route_add_default(const char *gw)
{
	struct rtentry rt = { .rt_flags = RTF_UP | RTF_GATEWAY };
	struct sockaddr_in any = sin_of("0.0.0.0", 0), g = sin_of(gw, 0);

	memcpy(&rt.rt_dst, &any, sizeof(any));
	memcpy(&rt.rt_genmask, &any, sizeof(any));
	memcpy(&rt.rt_gateway, &g, sizeof(g));
	return inet_ioctl(SIOCADDRT, &rt);
}

/*
 * The same two hosts as two_hosts_setup(), built with netlink and ioctls
 * instead of five runs of ip(8): in the TCG guest every exec costs about
 * 0.2 s, and this saves some 2 s per test. (The one difference: the
 * addresses also carry the subnet broadcast, as ifconfig sets them.) Ends
 * in the server netns.
 */
static inline int two_hosts_setup_quick(struct two_hosts *h)
{
	static const unsigned char fake_mac[6] = { 2, 0, 0, 0, 0, 3 };

	h->ns_s = -1;
	h->ns_c = netns_new();
	if (h->ns_c < 0)
		return -h->ns_c;
	h->ns_s = netns_new();
	if (h->ns_s < 0)
		return -h->ns_s;
	if (netns_enter(h->ns_c) || veth_add(VETH_C, VETH_S, h->ns_s) ||
	    if_addr_set(VETH_C, CLIENT_ADDR, 24) || tx_csum_off(VETH_C) || link_up(VETH_C))
		return EIO;
	if (netns_enter(h->ns_s) || if_addr_set(VETH_S, SERVER_ADDR, 24) ||
	    tx_csum_off(VETH_S) || link_up(VETH_S) || arp_set(VETH_S, FAKE_ADDR, fake_mac))
		return EIO;
	return two_hosts_wait_running(h);
}

/*
 * Makes the server deaf (1) to what the client sends, or hears it again (0):
 * the client's neighbour entry for SERVER_ADDR points at a MAC nobody has,
 * so its frames still cross the veth (a capture on VETH_S sees them, as
 * not outgoing) but the server's IP layer drops them as for another host;
 * nothing answers. Segments crafted in the server netns still reach the
 * client. Returns in the netns it was called from (@h's client or server).
 */
static inline int server_deaf(struct two_hosts *h, int on)
{
	static const unsigned char nobody[6] = { 2, 0, 0, 0, 0, 2 };
	unsigned char mac[6];
	int back = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ret;

	if (back < 0)
		return errno;
	ret = netns_enter(h->ns_s) || if_mac(VETH_S, mac) || netns_enter(h->ns_c) ||
	      arp_set(VETH_C, SERVER_ADDR, on ? nobody : mac) ? EIO : 0;
	if (netns_enter(back))
		ret = EIO;
	close(back);
	return ret;
}

/* ---- signals ------------------------------------------------------------ */

/* SIGALRMs caught since the test began (by on_alarm). */
static volatile sig_atomic_t alarms;

static inline void on_alarm(int sig)
{
	alarms++;
}

/* A SIGALRM in @ms, caught by on_alarm, with or without SA_RESTART. */
static inline void arm(int restart, int ms)
{
	struct sigaction sa = { .sa_handler = on_alarm,
				.sa_flags = restart ? SA_RESTART : 0 };
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

/* Unloads rust_tcp (delete_module, not waiting): 0 or errno. */
static inline int module_unload(void)
{
	return outcome(syscall(__NR_delete_module, "rust_tcp", O_NONBLOCK));
}

/* Loads $RUST_TCP_REPO/rust_tcp.ko (default ".") with @params: 0 or errno. */
static inline int module_load(const char *params)
{
	char path[4096];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/rust_tcp.ko", getenv("RUST_TCP_REPO") ?: ".");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ret = outcome(syscall(__NR_finit_module, fd, params, 0));
	close(fd);
	return ret;
}

/* Whether rust_tcp is loaded. */
static inline int module_loaded(void)
{
	return access("/sys/module/rust_tcp", F_OK) == 0;
}

/* ---- module references, CPUs, limits, the kernel log -------------------- */

#include <sys/resource.h>

/* The module's reference count (/sys/module/rust_tcp/refcnt), or -1. */
static inline long module_refcnt(void)
{
	char buf[32];

	if (read_file("/sys/module/rust_tcp/refcnt", buf, sizeof(buf)))
		return -1;
	return atol(buf);
}

/*
 * Waits up to @ms for the module's reference count to be @want (socks are
 * freed by RCU and by the receive path after their last close): the last
 * value read.
 */
static inline long module_refcnt_wait(long want, int ms)
{
	double end = now_s() + ms / 1000.0;
	long v;

	while ((v = module_refcnt()) != want && now_s() < end)
		msleep(20);
	return v;
}

/*
 * Unloads rust_tcp, retrying for up to @ms while it is still in use
 * (EWOULDBLOCK: a netns going away may still be freeing socks): 0 or errno.
 */
static inline int module_unload_wait(int ms)
{
	double end = now_s() + ms / 1000.0;
	int err;

	while ((err = module_unload()) == EWOULDBLOCK && now_s() < end)
		msleep(50);
	return err;
}

/* Pins the calling thread to @cpu: 0, or errno (EINVAL: it runs elsewhere). */
static inline int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return errno;
	return sched_getcpu() == cpu ? 0 : EINVAL;
}

/* Raises RLIMIT_NOFILE (soft and hard) to at least @n: 0 or errno. */
static inline int nofile_raise(rlim_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return errno;
	if (rl.rlim_cur >= n && rl.rlim_max >= n)
		return 0;
	rl.rlim_cur = n;
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	return outcome(setrlimit(RLIMIT_NOFILE, &rl));
}

/* /dev/kmsg, positioned after the last record logged so far: an fd, or -errno. */
static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * The records of kmsg_open() fd @fd not read yet that contain any of the
 * @n strings @what: how many; the text of the first into @first.
 */
static inline int kmsg_find_any(int fd, const char *const *what, size_t n, char *first, size_t size)
{
	char rec[2048];
	int found = 0;
	ssize_t len;

	/* EPIPE: records were overwritten before we read them; go on. */
	while ((len = read(fd, rec, sizeof(rec) - 1)) > 0 || (len < 0 && errno == EPIPE)) {
		if (len < 0)
			continue;
		rec[len] = 0;
		for (size_t i = 0; i < n; i++) {
			if (!strstr(rec, what[i]))
				continue;
			if (!found++)
				snprintf(first, size, "%.400s",
					 strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
			break;
		}
	}
	return found;
}

/* kmsg_find_any() for one string. */
static inline int kmsg_find(int fd, const char *what, char *first, size_t size)
{
	return kmsg_find_any(fd, &what, 1, first, size);
}

/*
 * Reads @len bytes from blocking or non-blocking @fd, waiting at most @ms
 * for each piece: @len, fewer at EOF, or -errno (-ETIMEDOUT when nothing
 * came in time). An error after some bytes is returned as the error.
 */
static inline ssize_t recv_full(int fd, void *buf, size_t len, int ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, ms);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -errno;
		got += n;
	}
	return got;
}

/* Sends all @len bytes on blocking @fd (no SIGPIPE): @len, or -errno. */
static inline ssize_t send_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return done;
}

#endif
