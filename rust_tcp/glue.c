// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for rust_tcp; see glue.h. No protocol logic lives here.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <net/sock.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include <linux/capability.h>
#include <linux/delay.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/proc_fs.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/tcp.h>

#include "glue.h"

static int family = 12;
module_param(family, int, 0444);
MODULE_PARM_DESC(family, "socket family number to register (1..NPROTO-1, default 12)");

/* TCP_TIMEWAIT_LEN is a constant in Linux; tests shorten ours. */
static int tcp_timewait_len_ms = 60000;
module_param(tcp_timewait_len_ms, int, 0644);
MODULE_PARM_DESC(tcp_timewait_len_ms, "how long TIME_WAIT lasts, in ms (default 60000, as TCP_TIMEWAIT_LEN)");

int rust_tcp_glue_family(void)
{
	return family;
}

static struct proto rust_tcp_prot = {
	.name = "RUST_TCP",
	.owner = THIS_MODULE,
	/* As tcp_prot: socks are looked up under RCU (sys/inet_hash.rs). */
	.slab_flags = SLAB_TYPESAFE_BY_RCU,
};

int rust_tcp_glue_proto_register(unsigned int obj_size)
{
	rust_tcp_prot.obj_size = obj_size;
	return proto_register(&rust_tcp_prot, 1);
}

void rust_tcp_glue_proto_unregister(void)
{
	proto_unregister(&rust_tcp_prot);
}

struct proto *rust_tcp_glue_proto(void)
{
	return &rust_tcp_prot;
}

static struct proto_ops rust_tcp_stream_ops;

struct proto_ops *rust_tcp_glue_stream_ops(void)
{
	return &rust_tcp_stream_ops;
}

static struct net_proto_family rust_tcp_family_ops = {
	.owner = THIS_MODULE,
};

int rust_tcp_glue_family_register(int fam,
				  int (*create)(struct net *net, struct socket *sock,
						int protocol, int kern))
{
	rust_tcp_family_ops.family = fam;
	rust_tcp_family_ops.create = create;
	return sock_register(&rust_tcp_family_ops);
}

void rust_tcp_glue_family_unregister(int fam)
{
	sock_unregister(fam);
}

static unsigned int rust_tcp_net_id __read_mostly;
/* Set once by rust_tcp_glue_pernet_register, before any netns sees them. */
static struct rust_tcp_glue_pernet_cbs rust_tcp_cbs __read_mostly;

static int __net_init rust_tcp_pernet_init(struct net *net)
{
	return rust_tcp_cbs.init(net);
}

static void __net_exit rust_tcp_pernet_exit(struct net *net)
{
	rust_tcp_cbs.exit(net);
}

static struct pernet_operations rust_tcp_net_ops = {
	.init = rust_tcp_pernet_init,
	.exit = rust_tcp_pernet_exit,
	.id = &rust_tcp_net_id,
	.size = sizeof(void *),
};

int rust_tcp_glue_pernet_register(const struct rust_tcp_glue_pernet_cbs *cbs)
{
	int err = rust_tcp_glue_scratch_init();

	if (err)
		return err;
	rust_tcp_cbs = *cbs;
	err = register_pernet_subsys(&rust_tcp_net_ops);
	if (err)
		rust_tcp_glue_scratch_exit();
	return err;
}

void rust_tcp_glue_pernet_unregister(void)
{
	/* Every netns's hook is gone; a hook still running (softirq: an RCU
	 * read-side section) is waited out before its scratch buffer goes. */
	unregister_pernet_subsys(&rust_tcp_net_ops);
	synchronize_rcu();
	rust_tcp_glue_scratch_exit();
}

void **rust_tcp_glue_net_slot(const struct net *net)
{
	return net_generic(net, rust_tcp_net_id);
}

int rust_tcp_glue_sysctl(const struct net *net, enum rust_tcp_sysctl which)
{
	int low, high;

	switch (which) {
	case RUST_TCP_SYSCTL_IP_PROT_SOCK:
		return READ_ONCE(net->ipv4.sysctl_ip_prot_sock);
	case RUST_TCP_SYSCTL_IP_NONLOCAL_BIND:
		return READ_ONCE(net->ipv4.sysctl_ip_nonlocal_bind);
	case RUST_TCP_SYSCTL_PORT_LOW:
		inet_get_local_port_range(net, &low, &high);
		return low;
	case RUST_TCP_SYSCTL_PORT_HIGH:
		inet_get_local_port_range(net, &low, &high);
		return high;
	case RUST_TCP_SYSCTL_SOMAXCONN:
		return READ_ONCE(net->core.sysctl_somaxconn);
	case RUST_TCP_SYSCTL_MAX_SYN_BACKLOG:
		return READ_ONCE(net->ipv4.sysctl_max_syn_backlog);
	case RUST_TCP_SYSCTL_SYNCOOKIES:
		return READ_ONCE(net->ipv4.sysctl_tcp_syncookies);
	case RUST_TCP_SYSCTL_SYNACK_RETRIES:
		return READ_ONCE(net->ipv4.sysctl_tcp_synack_retries);
	case RUST_TCP_SYSCTL_SYN_RETRIES:
		return READ_ONCE(net->ipv4.sysctl_tcp_syn_retries);
	case RUST_TCP_SYSCTL_ABORT_ON_OVERFLOW:
		return READ_ONCE(net->ipv4.sysctl_tcp_abort_on_overflow);
	case RUST_TCP_SYSCTL_TIMESTAMPS:
		return READ_ONCE(net->ipv4.sysctl_tcp_timestamps);
	case RUST_TCP_SYSCTL_SACK:
		return READ_ONCE(net->ipv4.sysctl_tcp_sack);
	case RUST_TCP_SYSCTL_WINDOW_SCALING:
		return READ_ONCE(net->ipv4.sysctl_tcp_window_scaling);
	case RUST_TCP_SYSCTL_DEFAULT_TTL:
		return READ_ONCE(net->ipv4.sysctl_ip_default_ttl);
	case RUST_TCP_SYSCTL_RMEM_DEFAULT:
		return READ_ONCE(net->ipv4.sysctl_tcp_rmem[1]);
	case RUST_TCP_SYSCTL_AUTOBIND_REUSE:
		return READ_ONCE(net->ipv4.sysctl_ip_autobind_reuse);
	case RUST_TCP_SYSCTL_RMEM_MAX_TCP:
		return READ_ONCE(net->ipv4.sysctl_tcp_rmem[2]);
	case RUST_TCP_SYSCTL_WMEM_DEFAULT:
		return READ_ONCE(net->ipv4.sysctl_tcp_wmem[1]);
	case RUST_TCP_SYSCTL_CORE_RMEM_MAX:
		return READ_ONCE(sysctl_rmem_max);
	case RUST_TCP_SYSCTL_WORKAROUND_SIGNED_WINDOWS:
		return READ_ONCE(net->ipv4.sysctl_tcp_workaround_signed_windows);
	case RUST_TCP_SYSCTL_TCP_ECN:
		return READ_ONCE(net->ipv4.sysctl_tcp_ecn);
	case RUST_TCP_SYSCTL_SYN_LINEAR_TIMEOUTS:
		return READ_ONCE(net->ipv4.sysctl_tcp_syn_linear_timeouts);
	case RUST_TCP_SYSCTL_ECN_FALLBACK:
		return READ_ONCE(net->ipv4.sysctl_tcp_ecn_fallback);
	case RUST_TCP_SYSCTL_MIN_SND_MSS:
		return READ_ONCE(net->ipv4.sysctl_tcp_min_snd_mss);
	case RUST_TCP_SYSCTL_MTU_PROBING:
		return READ_ONCE(net->ipv4.sysctl_tcp_mtu_probing);
	case RUST_TCP_SYSCTL_BASE_MSS:
		return READ_ONCE(net->ipv4.sysctl_tcp_base_mss);
	case RUST_TCP_SYSCTL_TW_REUSE:
		return READ_ONCE(net->ipv4.sysctl_tcp_tw_reuse);
	case RUST_TCP_SYSCTL_APP_WIN:
		return READ_ONCE(net->ipv4.sysctl_tcp_app_win);
	case RUST_TCP_SYSCTL_SHRINK_WINDOW:
		return READ_ONCE(net->ipv4.sysctl_tcp_shrink_window);
	case RUST_TCP_SYSCTL_INVALID_RATELIMIT_MS:
		return jiffies_to_msecs(READ_ONCE(net->ipv4.sysctl_tcp_invalid_ratelimit));
	case RUST_TCP_SYSCTL_FIN_TIMEOUT_MS:
		return jiffies_to_msecs(READ_ONCE(net->ipv4.sysctl_tcp_fin_timeout));
	case RUST_TCP_SYSCTL_WMEM_MAX_TCP:
		return READ_ONCE(net->ipv4.sysctl_tcp_wmem[2]);
	case RUST_TCP_SYSCTL_RETRIES1:
		return READ_ONCE(net->ipv4.sysctl_tcp_retries1);
	case RUST_TCP_SYSCTL_RETRIES2:
		return READ_ONCE(net->ipv4.sysctl_tcp_retries2);
	case RUST_TCP_SYSCTL_ORPHAN_RETRIES:
		return READ_ONCE(net->ipv4.sysctl_tcp_orphan_retries);
	case RUST_TCP_SYSCTL_TCP_TIMEWAIT_LEN_MS:
		return READ_ONCE(tcp_timewait_len_ms);
	case RUST_TCP_SYSCTL_RFC1337:
		return READ_ONCE(net->ipv4.sysctl_tcp_rfc1337);
	case RUST_TCP_SYSCTL_MODERATE_RCVBUF:
		return READ_ONCE(net->ipv4.sysctl_tcp_moderate_rcvbuf);
	}
	return -EINVAL;
}

bool rust_tcp_glue_port_reserved(struct net *net, unsigned short port)
{
	return inet_is_local_reserved_port(net, port);
}

unsigned int rust_tcp_glue_addr_type(struct net *net, __be32 addr)
{
	return inet_addr_type_table(net, addr, RT_TABLE_MAIN);
}

bool rust_tcp_glue_can_bind_service(const struct net *net)
{
	return ns_capable(net->user_ns, CAP_NET_BIND_SERVICE);
}

int rust_tcp_glue_sk_reuse(const struct sock *sk)
{
	/* Bitfields: Linux reads them racily too (inet_bind_conflict). */
	return sk->sk_reuse;
}

int rust_tcp_glue_sk_reuseport(const struct sock *sk)
{
	return sk->sk_reuseport;
}

void rust_tcp_glue_custom_sockopt(struct socket *sock)
{
	set_bit(SOCK_CUSTOM_SOCKOPT, &sock->flags);
}

/*
 * What an accepted sock takes from its listener: sk_clone_lock() copies
 * the whole sock, so the socket options set on the listener before the
 * connection came (SO_REUSEADDR, SO_REUSEPORT, SO_BINDTODEVICE, locked
 * SO_SNDBUF/SO_RCVBUF, timeouts, SO_LINGER, SO_KEEPALIVE, SO_MARK,
 * SO_RCVLOWAT, SO_OOBINLINE, timestamping) hold on the child too; not
 * SO_PRIORITY, which sk_clone_lock() resets to 0. Read without the
 * listener's lock, as sk_clone_lock() does.
 */
void rust_tcp_glue_sk_init(struct sock *sk)
{
	sock_set_flag(sk, SOCK_USE_WRITE_QUEUE);
}

void rust_tcp_glue_sk_inherit(struct sock *child, const struct sock *l)
{
	static const int flags[] = { SOCK_LINGER, SOCK_KEEPOPEN, SOCK_URGINLINE, SOCK_DBG,
				     SOCK_LOCALROUTE, SOCK_RCVTSTAMP, SOCK_RCVTSTAMPNS,
				     SOCK_TSTAMP_NEW };
	int i;

	child->sk_reuse = l->sk_reuse;
	child->sk_reuseport = l->sk_reuseport;
	child->sk_bound_dev_if = READ_ONCE(l->sk_bound_dev_if);
	/* The port is the listener's: a reset child lets it go (inet_put_port). */
	child->sk_userlocks = l->sk_userlocks & ~SOCK_BINDPORT_LOCK;
	if (l->sk_userlocks & SOCK_SNDBUF_LOCK)
		child->sk_sndbuf = READ_ONCE(l->sk_sndbuf);
	if (l->sk_userlocks & SOCK_RCVBUF_LOCK)
		child->sk_rcvbuf = READ_ONCE(l->sk_rcvbuf);
	child->sk_rcvtimeo = READ_ONCE(l->sk_rcvtimeo);
	child->sk_sndtimeo = READ_ONCE(l->sk_sndtimeo);
	child->sk_lingertime = READ_ONCE(l->sk_lingertime);
	child->sk_mark = READ_ONCE(l->sk_mark);
	child->sk_rcvlowat = READ_ONCE(l->sk_rcvlowat);
	child->sk_uid = l->sk_uid;
	for (i = 0; i < ARRAY_SIZE(flags); i++)
		if (sock_flag(l, flags[i]))
			sock_set_flag(child, flags[i]);
}

/* An ioctl's int answer to user space (the (int __user *)arg of tcp_ioctl). */
int rust_tcp_glue_put_user_int(unsigned long arg, int val)
{
	return put_user(val, (int __user *)arg);
}

/* sk_rcvlowat (SO_RCVLOWAT), as sock_rcvlowat() reads it. */
int rust_tcp_glue_sk_rcvlowat(const struct sock *sk)
{
	return READ_ONCE(sk->sk_rcvlowat);
}

void rust_tcp_glue_sk_set_reuseport(struct sock *sk, bool on)
{
	sk->sk_reuseport = on;
}

int rust_tcp_glue_sockopt_int(sockptr_t optval, unsigned int optlen, int *val)
{
	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(val, optval, sizeof(int)))
		return -EFAULT;
	return 0;
}

unsigned int rust_tcp_glue_sk_uid(const struct sock *sk)
{
	return from_kuid_munged(sock_net(sk)->user_ns, sk->sk_uid);
}

void rust_tcp_glue_sk_error_report(struct sock *sk)
{
	sk_error_report(sk);
}

void rust_tcp_glue_sk_state_change(struct sock *sk)
{
	sk->sk_state_change(sk);
}

int rust_tcp_glue_sock_error(struct sock *sk)
{
	return sock_error(sk);
}

int rust_tcp_glue_getsockopt_int(char __user *optval, int __user *optlen, int val)
{
	int len;

	if (copy_from_user(&len, optlen, sizeof(int)))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = min_t(unsigned int, len, sizeof(int));
	if (copy_to_user(optlen, &len, sizeof(int)))
		return -EFAULT;
	if (copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

/* getsockopt(TCP_INFO): tcp_get_info()'s struct, min(len, sizeof) bytes. */
int rust_tcp_glue_getsockopt_tcp_info(char __user *optval, int __user *optlen,
				      const struct rust_tcp_info *src)
{
	struct tcp_info info;
	int len;

	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	info.tcpi_state = src->state;
	info.tcpi_ca_state = src->ca_state;
	info.tcpi_retransmits = src->retransmits;
	info.tcpi_probes = src->probes;
	info.tcpi_backoff = src->backoff;
	info.tcpi_options = src->options;
	info.tcpi_snd_wscale = src->snd_wscale;
	info.tcpi_rcv_wscale = src->rcv_wscale;
	info.tcpi_rto = src->rto;
	info.tcpi_ato = src->ato;
	info.tcpi_snd_mss = src->snd_mss;
	info.tcpi_rcv_mss = src->rcv_mss;
	info.tcpi_unacked = src->unacked;
	info.tcpi_sacked = src->sacked;
	info.tcpi_lost = src->lost;
	info.tcpi_retrans = src->retrans;
	info.tcpi_last_data_sent = src->last_data_sent;
	info.tcpi_last_data_recv = src->last_data_recv;
	info.tcpi_last_ack_recv = src->last_ack_recv;
	info.tcpi_pmtu = src->pmtu;
	info.tcpi_rcv_ssthresh = src->rcv_ssthresh;
	info.tcpi_rtt = src->rtt;
	info.tcpi_rttvar = src->rttvar;
	info.tcpi_snd_ssthresh = src->snd_ssthresh;
	info.tcpi_snd_cwnd = src->snd_cwnd;
	info.tcpi_advmss = src->advmss;
	info.tcpi_reordering = src->reordering;
	info.tcpi_rcv_rtt = src->rcv_rtt;
	info.tcpi_rcv_space = src->rcv_space;
	info.tcpi_total_retrans = src->total_retrans;
	info.tcpi_bytes_acked = src->bytes_acked;
	info.tcpi_bytes_received = src->bytes_received;
	info.tcpi_segs_out = src->segs_out;
	info.tcpi_segs_in = src->segs_in;
	info.tcpi_notsent_bytes = src->notsent_bytes;
	info.tcpi_min_rtt = src->min_rtt;
	info.tcpi_data_segs_in = src->data_segs_in;
	info.tcpi_data_segs_out = src->data_segs_out;
	info.tcpi_delivered = src->delivered;
	info.tcpi_snd_wnd = src->snd_wnd;
	info.tcpi_rcv_wnd = src->rcv_wnd;
	info.tcpi_reord_seen = src->reord_seen;
	info.tcpi_bytes_sent = src->bytes_sent;
	info.tcpi_bytes_retrans = src->bytes_retrans;
	info.tcpi_total_rto = src->total_rto;
	info.tcpi_total_rto_recoveries = src->total_rto_recoveries;
	len = min_t(unsigned int, len, sizeof(info));
	if (put_user(len, optlen))
		return -EFAULT;
	if (copy_to_user(optval, &info, len))
		return -EFAULT;
	return 0;
}

int rust_tcp_glue_mod_timer_ms(struct timer_list *timer, unsigned int ms)
{
	return mod_timer(timer, jiffies + msecs_to_jiffies(ms));
}

int rust_tcp_glue_mod_timer_pending_ms(struct timer_list *timer, unsigned int ms)
{
	return mod_timer_pending(timer, jiffies + msecs_to_jiffies(ms));
}

void rust_tcp_glue_skb_sizes(unsigned int *skb, unsigned int *shinfo,
			     unsigned int *max_header)
{
	*skb = SKB_DATA_ALIGN(sizeof(struct sk_buff));
	*shinfo = SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	*max_header = MAX_TCP_HEADER;
}

u64 rust_tcp_glue_clock_ns(void)
{
	return ktime_get_ns();
}

u32 rust_tcp_glue_clock_ms(void)
{
	return div_u64(ktime_get_ns(), NSEC_PER_MSEC);
}

u64 rust_tcp_glue_jiffies64(void)
{
	return get_jiffies_64();
}

unsigned int rust_tcp_glue_hz(void)
{
	return HZ;
}

u64 rust_tcp_glue_real_ns(void)
{
	return ktime_get_real_ns();
}

void rust_tcp_glue_timer_setup(struct timer_list *timer,
			       void (*fn)(struct timer_list *))
{
	timer_setup(timer, fn, 0);
}

int rust_tcp_glue_wait(struct sock *sk, long *timeo, bool exclusive,
		       bool (*ready)(struct sock *sk))
{
	DEFINE_WAIT(wait);
	int err = 0;

	for (;;) {
		if (exclusive)
			prepare_to_wait_exclusive(sk_sleep(sk), &wait, TASK_INTERRUPTIBLE);
		else
			prepare_to_wait(sk_sleep(sk), &wait, TASK_INTERRUPTIBLE);
		if (ready(sk))
			break;
		if (!*timeo) {
			err = -EAGAIN;
			break;
		}
		if (signal_pending(current)) {
			err = sock_intr_errno(*timeo);
			break;
		}
		*timeo = schedule_timeout(*timeo);
	}
	finish_wait(sk_sleep(sk), &wait);
	return err;
}

long rust_tcp_glue_rcvtimeo(const struct sock *sk, bool noblock)
{
	return sock_rcvtimeo(sk, noblock);
}

bool rust_tcp_glue_wait_locked(struct sock *sk, long *timeo,
			       bool (*ready)(struct sock *sk))
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(sk_sleep(sk), &wait);
	while (!ready(sk)) {
		release_sock(sk);
		*timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, *timeo);
		lock_sock(sk);
		if (signal_pending(current) || !*timeo)
			break;
	}
	remove_wait_queue(sk_sleep(sk), &wait);
	return signal_pending(current);
}

bool rust_tcp_glue_timeo_infinite(long timeo)
{
	return timeo == MAX_SCHEDULE_TIMEOUT;
}

long rust_tcp_glue_sndtimeo(const struct sock *sk, bool noblock)
{
	return sock_sndtimeo(sk, noblock);
}

static struct rtable *rust_tcp_route(struct net *net, struct flowi4 *fl4,
				     __be32 saddr, __be32 daddr, int oif)
{
	memset(fl4, 0, sizeof(*fl4));
	fl4->daddr = daddr;
	fl4->saddr = saddr;
	fl4->flowi4_oif = oif;
	fl4->flowi4_proto = IPPROTO_TCP;
	return ip_route_output_key(net, fl4);
}

/*
 * Sends the IPv4 packet at skb->data on @dst, whose reference the skb
 * takes over.
 */
/*
 * Whether an IPsec policy could take our packets: ESP encrypts a
 * non-cloned skb in place, fragments included (esp_output_head), and a
 * connection's fragments are its send ring's pages, which retransmissions
 * read again. Linux's TCP is safe there because it sends clones; we copy.
 * Per-socket policies count too (policy_count past XFRM_POLICY_MAX).
 */
static bool rust_tcp_xfrm_may_write(struct net *net)
{
#ifdef CONFIG_XFRM
	return READ_ONCE(net->xfrm.policy_count[XFRM_POLICY_OUT]) ||
	       READ_ONCE(net->xfrm.policy_count[XFRM_POLICY_OUT + XFRM_POLICY_MAX]);
#else
	return false;
#endif
}

static int rust_tcp_ip_out(struct net *net, struct sk_buff *skb,
			   struct dst_entry *dst)
{
	if (skb_is_nonlinear(skb) && rust_tcp_xfrm_may_write(net) &&
	    __skb_linearize(skb)) {
		dst_release(dst);
		kfree_skb(skb);
		return -ENOMEM;
	}
	skb_dst_set(skb, dst);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, ip_hdrlen(skb));
	skb->protocol = htons(ETH_P_IP);
	/* __ip_local_out fills in tot_len and the header checksum. */
	return ip_local_out(net, NULL, skb);
}

int rust_tcp_glue_ip_send(struct net *net, struct sk_buff *skb, __be32 saddr,
			  __be32 daddr, int oif)
{
	struct flowi4 fl4;
	struct rtable *rt = rust_tcp_route(net, &fl4, saddr, daddr, oif);

	if (IS_ERR(rt)) {
		kfree_skb(skb);
		return PTR_ERR(rt);
	}
	return rust_tcp_ip_out(net, skb, &rt->dst);
}

int rust_tcp_glue_ip_send_sk(struct sock *sk, struct sk_buff *skb,
			     __be32 saddr, __be32 daddr, int oif)
{
	struct net *net = sock_net(sk);
	/* __sk_dst_check's test without the socket lock (sk_dst_check takes
	 * its own reference): a route that went stale (rt_genid) is dropped. */
	struct dst_entry *dst = sk_dst_check(sk, 0);

	if (!dst) {
		struct flowi4 fl4;
		struct rtable *rt = rust_tcp_route(net, &fl4, saddr, daddr, oif);

		if (IS_ERR(rt)) {
			kfree_skb(skb);
			return PTR_ERR(rt);
		}
		dst = &rt->dst;
		/* One reference for the cache, one for this skb. */
		dst_hold(dst);
		sk_dst_set(sk, dst);
	}
	/* As tcp_transmit_skb and ip_queue_xmit: the packet is the sock's (its
	 * truesize in sk_wmem_alloc until the device or the stack frees it,
	 * which keeps the sock until then), with the sock's SO_MARK and
	 * SO_PRIORITY for the qdisc, filters and netfilter. */
	skb_set_owner_w(skb, sk);
	skb->mark = READ_ONCE(sk->sk_mark);
	skb->priority = READ_ONCE(sk->sk_priority);
	return rust_tcp_ip_out(net, skb, dst);
}

void rust_tcp_glue_sk_dst_reset(struct sock *sk)
{
	sk_dst_reset(sk);
}

void rust_tcp_glue_sk_dst_release(struct sock *sk)
{
	/* The last reference is gone: nobody reads the cache any more. */
	dst_release(rcu_dereference_protected(sk->sk_dst_cache, 1));
	RCU_INIT_POINTER(sk->sk_dst_cache, NULL);
}

int rust_tcp_glue_route_connect(struct net *net, __be32 *daddr, int oif,
				__be32 *saddr, int *advmss, unsigned int *mtu)
{
	struct flowi4 fl4;
	struct rtable *rt = rust_tcp_route(net, &fl4, *saddr, *daddr, oif);

	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	*saddr = fl4.saddr;
	*daddr = fl4.daddr;
	*advmss = dst_metric_advmss(&rt->dst);
	*mtu = dst_mtu(&rt->dst);
	ip_rt_put(rt);
	return 0;
}

int rust_tcp_glue_route_output(struct net *net, __be32 saddr, __be32 daddr,
			       int oif, struct dst_entry **dst)
{
	struct flowi4 fl4;
	struct rtable *rt = rust_tcp_route(net, &fl4, saddr, daddr, oif);

	if (IS_ERR(rt))
		return PTR_ERR(rt);
	*dst = &rt->dst;
	return 0;
}

int rust_tcp_glue_dst_advmss(const struct dst_entry *dst)
{
	return dst_metric_advmss(dst);
}

void rust_tcp_glue_dst_release(struct dst_entry *dst)
{
	dst_release(dst);
}

int rust_tcp_glue_ip_send_dst(struct net *net, struct sk_buff *skb,
			      struct dst_entry *dst)
{
	/* The skb takes its own reference; the caller keeps its. */
	return rust_tcp_ip_out(net, skb, dst_clone(dst));
}

bool rust_tcp_glue_skb_csum_trusted(const struct sk_buff *skb)
{
	/* PARTIAL: sent by this host (veth, loopback), never on a wire. */
	return skb->ip_summed == CHECKSUM_UNNECESSARY ||
	       skb->ip_summed == CHECKSUM_PARTIAL;
}

int rust_tcp_glue_skb_iif(const struct sk_buff *skb)
{
	return inet_iif(skb);
}

struct sk_buff *rust_tcp_glue_alloc_skb(unsigned int len, gfp_t gfp)
{
	struct sk_buff *skb = alloc_skb(MAX_HEADER + len, gfp);

	if (skb)
		skb_reserve(skb, MAX_HEADER);
	return skb;
}

void *rust_tcp_glue_skb_frag_room(struct sk_buff *skb, struct page_frag *pfrag,
				  unsigned int len, gfp_t gfp, unsigned int *n)
{
	int i = skb_shinfo(skb)->nr_frags;
	unsigned int take;
	void *p;

	/* A page all of whose bytes went out and came back (refcount 1) is
	 * reused from its start; otherwise a fresh one, 32 KiB if it can be
	 * had without reclaim, else a single page. */
	if (!skb_page_frag_refill(1, pfrag, gfp))
		return NULL;
	take = min_t(unsigned int, len, pfrag->size - pfrag->offset);
	if (skb_can_coalesce(skb, i, pfrag->page, pfrag->offset)) {
		skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], take);
	} else {
		if (i >= MAX_SKB_FRAGS)
			return NULL;
		skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset, take);
		get_page(pfrag->page);
	}
	p = page_address(pfrag->page) + pfrag->offset;
	pfrag->offset += take;
	skb->len += take;
	skb->data_len += take;
	skb->truesize += take;
	*n = take;
	return p;
}

int rust_tcp_glue_bh_lock_or_backlog(struct sock *sk, struct sk_buff *skb)
{
	u64 limit;

	bh_lock_sock_nested(sk);
	if (!sock_owned_by_user(sk))
		return 0;
	limit = ((u64)READ_ONCE(sk->sk_rcvbuf)) << 1;
	limit += ((u32)READ_ONCE(sk->sk_sndbuf)) >> 1;
	/* "Only socket owner can try to collapse/prune rx queues to reduce
	 * memory overhead, so add a little headroom here." */
	limit += 64 * 1024;
	limit = min_t(u64, limit, UINT_MAX);
	if (unlikely(sk_add_backlog(sk, skb, limit))) {
		bh_unlock_sock(sk);
		return -ENOBUFS;
	}
	bh_unlock_sock(sk);
	return 1;
}

void rust_tcp_glue_bh_unlock_sock(struct sock *sk)
{
	bh_unlock_sock(sk);
}

void rust_tcp_glue_flush_backlog(struct sock *sk)
{
	sk_flush_backlog(sk);
}

void rust_tcp_glue_local_bh_disable(void)
{
	local_bh_disable();
}

void rust_tcp_glue_local_bh_enable(void)
{
	local_bh_enable();
}

void rust_tcp_glue_page_frag_release(struct page_frag *pfrag)
{
	if (pfrag->page) {
		put_page(pfrag->page);
		pfrag->page = NULL;
		pfrag->offset = 0;
		pfrag->size = 0;
	}
}

bool rust_tcp_glue_skb_tcp_offload(struct sk_buff *skb, unsigned int ihl,
				   unsigned int gso_size, unsigned int gso_segs)
{
	/* __tcp_v4_send_check: the device sums from the TCP header on into
	 * th->check, which holds the pseudo-header's sum. */
	if (!skb_partial_csum_set(skb, ihl, offsetof(struct tcphdr, check)))
		return false;
	if (gso_segs > 1) {
		skb_shinfo(skb)->gso_size = gso_size;
		skb_shinfo(skb)->gso_segs = gso_segs;
		skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
	}
	return true;
}

/* Large enough for a GRO or GSO packet of the legacy 64 KiB limit. */
#define RUST_TCP_SCRATCH (GSO_LEGACY_MAX_SIZE + 256)
static void * __percpu *rust_tcp_scratch;
static DEFINE_PER_CPU(bool, rust_tcp_scratch_busy);

int rust_tcp_glue_scratch_init(void)
{
	int cpu;

	rust_tcp_scratch = alloc_percpu(void *);
	if (!rust_tcp_scratch)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		void *buf = kvmalloc_node(RUST_TCP_SCRATCH, GFP_KERNEL,
					  cpu_to_node(cpu));

		if (!buf) {
			rust_tcp_glue_scratch_exit();
			return -ENOMEM;
		}
		*per_cpu_ptr(rust_tcp_scratch, cpu) = buf;
	}
	return 0;
}

void rust_tcp_glue_scratch_exit(void)
{
	int cpu;

	if (!rust_tcp_scratch)
		return;
	for_each_possible_cpu(cpu)
		kvfree(*per_cpu_ptr(rust_tcp_scratch, cpu));
	free_percpu(rust_tcp_scratch);
	rust_tcp_scratch = NULL;
}

const void *rust_tcp_glue_skb_flat(struct sk_buff *skb)
{
	void *buf;

	if (!in_softirq())
		return NULL;
	if (skb->len > RUST_TCP_SCRATCH || __this_cpu_read(rust_tcp_scratch_busy))
		return NULL;
	buf = *this_cpu_ptr(rust_tcp_scratch);
	if (skb_copy_bits(skb, 0, buf, skb->len))
		return NULL;
	__this_cpu_write(rust_tcp_scratch_busy, true);
	return buf;
}

void rust_tcp_glue_skb_flat_done(void)
{
	__this_cpu_write(rust_tcp_scratch_busy, false);
}

static unsigned int rust_tcp_nf_hook(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return rust_tcp_cbs.rcv(state->net, skb) ? NF_STOLEN : NF_ACCEPT;
}

/*
 * Last among the LOCAL_IN hooks, so filtering (iptables INPUT, ...) applies
 * to rust_tcp's segments as it does to the kernel's TCP.
 */
static const struct nf_hook_ops rust_tcp_nf_ops = {
	.hook = rust_tcp_nf_hook,
	.pf = NFPROTO_IPV4,
	.hooknum = NF_INET_LOCAL_IN,
	.priority = NF_IP_PRI_LAST - 1,
};

int rust_tcp_glue_nf_register(struct net *net)
{
	return nf_register_net_hook(net, &rust_tcp_nf_ops);
}

void rust_tcp_glue_nf_unregister(struct net *net)
{
	nf_unregister_net_hook(net, &rust_tcp_nf_ops);
}

static int rust_tcp_stat_seq_show(struct seq_file *seq, void *v)
{
	rust_tcp_cbs.stat_show(seq, seq_file_single_net(seq));
	return 0;
}

int rust_tcp_glue_proc_register(struct net *net)
{
	if (!proc_create_net_single("rust_tcp_stat", 0444, net->proc_net,
				    rust_tcp_stat_seq_show, NULL))
		return -ENOMEM;
	return 0;
}

void rust_tcp_glue_proc_unregister(struct net *net)
{
	remove_proc_entry("rust_tcp_stat", net->proc_net);
}

void rust_tcp_glue_seq_write(struct seq_file *seq, const char *buf, size_t len)
{
	seq_write(seq, buf, len);
}

size_t rust_tcp_glue_msg_left(struct msghdr *msg)
{
	return msg_data_left(msg);
}

/*
 * The copies run under the sock's BH spinlock, straight between the
 * caller's memory and the connection's ring, so they must not sleep: page
 * faults are disabled and a copy that would fault stops short (as
 * copy_page_from_iter_atomic does for generic_perform_write); the caller
 * drops the lock, faults the pages in and copies again.
 */
size_t rust_tcp_glue_msg_copy_from_atomic(struct msghdr *msg, void *buf, size_t len)
{
	size_t n;

	pagefault_disable();
	n = copy_from_iter(buf, len, &msg->msg_iter);
	pagefault_enable();
	return n;
}

size_t rust_tcp_glue_msg_copy_to_atomic(struct msghdr *msg, const void *buf, size_t len)
{
	size_t n;

	pagefault_disable();
	n = copy_to_iter(buf, len, &msg->msg_iter);
	pagefault_enable();
	return n;
}

size_t rust_tcp_glue_msg_fault_in(struct msghdr *msg, size_t len, bool write)
{
	size_t left;

	if (write)
		left = fault_in_iov_iter_writeable(&msg->msg_iter, len);
	else
		left = fault_in_iov_iter_readable(&msg->msg_iter, len);
	return len - left;
}

void rust_tcp_glue_write_space(struct sock *sk)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
	if (wq && wq->fasync_list && !(sk->sk_shutdown & SEND_SHUTDOWN))
		sock_wake_async(wq, SOCK_WAKE_SPACE, POLL_OUT);
	rcu_read_unlock();
}

void rust_tcp_glue_sigpipe(void)
{
	send_sig(SIGPIPE, current, 0);
}

int rust_tcp_glue_intr_errno(long timeo)
{
	return sock_intr_errno(timeo);
}

bool rust_tcp_glue_linger(const struct sock *sk, long *lingertime)
{
	*lingertime = READ_ONCE(sk->sk_lingertime);
	return sock_flag(sk, SOCK_LINGER);
}

bool rust_tcp_glue_signal_pending(void)
{
	return signal_pending(current);
}

bool rust_tcp_glue_sk_dead(const struct sock *sk)
{
	return sock_flag(sk, SOCK_DEAD);
}

unsigned long rust_tcp_glue_msecs_to_jiffies(unsigned int ms)
{
	return msecs_to_jiffies(ms);
}

int rust_tcp_glue_timer_delete_sync(struct timer_list *timer)
{
	return timer_delete_sync(timer);
}

void *rust_tcp_glue_page_alloc_zeroed(gfp_t gfp)
{
	return (void *)get_zeroed_page(gfp);
}

bool rust_tcp_glue_page_unique(void *addr)
{
	return page_ref_count(virt_to_page(addr)) == 1;
}

void rust_tcp_glue_page_put(void *addr)
{
	put_page(virt_to_page(addr));
}

/*
 * Appends @len bytes at @off of the page at @addr to @skb's fragments,
 * with a page reference of the skb's own (tcp_sendmsg's frag fill, the
 * bytes already in the page): merged into the last fragment when they
 * continue it. False if the skb has no fragment slot left.
 */
bool rust_tcp_glue_skb_append_page(struct sk_buff *skb, void *addr,
				   unsigned int off, unsigned int len)
{
	struct page *page = virt_to_page(addr);
	int i = skb_shinfo(skb)->nr_frags;

	if (skb_can_coalesce(skb, i, page, off)) {
		skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], len);
	} else {
		if (i >= MAX_SKB_FRAGS)
			return false;
		get_page(page);
		skb_fill_page_desc(skb, i, page, off, len);
	}
	skb->len += len;
	skb->data_len += len;
	skb->truesize += len;
	return true;
}

/*
 * Objects a CPU's stack holds at most: for 4 KiB ring chunks, 128 KiB a
 * CPU, a round trip's worth for many connections and a send step's for a
 * few.
 */
#define RUST_TCP_CPUCACHE_DEPTH 32

struct rust_tcp_cpucache {
	unsigned int n;
	void *obj[RUST_TCP_CPUCACHE_DEPTH];
};

void __percpu *rust_tcp_glue_cpucache_alloc(void)
{
	return alloc_percpu(struct rust_tcp_cpucache);
}

/*
 * BH off keeps this CPU's stack ours: no migration, and no softirq on this
 * CPU (the receive path frees and allocates too) can run in between.
 * Callers hold the sock's spinlock mostly, BH off already: nesting is a
 * counter increment. The stacks' pointer is read with BH off too, so that
 * a teardown that clears it and then waits for an RCU grace period (BH-off
 * sections are RCU readers) knows no CPU still uses them.
 */
void *rust_tcp_glue_cpucache_pop(void __percpu **slot)
{
	struct rust_tcp_cpucache __percpu *pc;
	void *obj = NULL;

	local_bh_disable();
	pc = READ_ONCE(*slot);
	if (pc) {
		struct rust_tcp_cpucache *c = this_cpu_ptr(pc);

		if (c->n)
			obj = c->obj[--c->n];
	}
	local_bh_enable();
	return obj;
}

bool rust_tcp_glue_cpucache_push(void __percpu **slot, void *obj)
{
	struct rust_tcp_cpucache __percpu *pc;
	bool kept = false;

	local_bh_disable();
	pc = READ_ONCE(*slot);
	if (pc) {
		struct rust_tcp_cpucache *c = this_cpu_ptr(pc);

		if (c->n < RUST_TCP_CPUCACHE_DEPTH) {
			c->obj[c->n++] = obj;
			kept = true;
		}
	}
	local_bh_enable();
	return kept;
}

/* Any CPU's next object, NULL once all are empty: for teardown only. */
void *rust_tcp_glue_cpucache_drain(void __percpu *pc)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct rust_tcp_cpucache *c =
			per_cpu_ptr((struct rust_tcp_cpucache __percpu *)pc, cpu);

		if (c->n)
			return c->obj[--c->n];
	}
	return NULL;
}

void rust_tcp_glue_cpucache_free(void __percpu *pc)
{
	free_percpu(pc);
}

void __percpu *rust_tcp_glue_percpu_alloc(unsigned int count)
{
	return __alloc_percpu(count * sizeof(u64), __alignof__(u64));
}

void rust_tcp_glue_percpu_free(void __percpu *p)
{
	free_percpu(p);
}

/* SNMP_INC_STATS: this CPU's copy, no lock, no shared cache line. */
void rust_tcp_glue_percpu_inc(void __percpu *p, unsigned int idx)
{
	this_cpu_inc(((u64 __percpu *)p)[idx]);
}

void rust_tcp_glue_percpu_add(void __percpu *p, unsigned int idx, u64 n)
{
	this_cpu_add(((u64 __percpu *)p)[idx], n);
}

/* snmp_fold_field: the sum over every possible CPU. */
u64 rust_tcp_glue_percpu_sum(void __percpu *p, unsigned int idx)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu_ptr((u64 __percpu *)p, cpu)[idx]);
	return sum;
}

static unsigned int thash_entries;
module_param(thash_entries, uint, 0444);
MODULE_PARM_DESC(thash_entries, "established hash table slots (0: sized from memory, as Linux's)");

unsigned int rust_tcp_glue_thash_entries(void)
{
	return thash_entries;
}

static struct lock_class_key rust_tcp_lock_keys[RUST_TCP_LOCK_NCLASSES];

int rust_tcp_glue_nulls_table_init(struct rust_tcp_nulls_table *t, unsigned int entries,
				   enum rust_tcp_lock_class class, unsigned int nulls_base)
{
	unsigned int i, nlocks;

	if (class >= RUST_TCP_LOCK_NCLASSES || !entries || entries > (1U << 30))
		return -EINVAL;
	entries = roundup_pow_of_two(entries);
	t->heads = kvmalloc_array(entries, sizeof(*t->heads), GFP_KERNEL);
	if (!t->heads)
		return -ENOMEM;
	if (nulls_base + entries < nulls_base || nulls_base + entries > (1U << 31)) {
		kvfree(t->heads);
		t->heads = NULL;
		return -EINVAL;
	}
	for (i = 0; i < entries; i++)
		INIT_HLIST_NULLS_HEAD(&t->heads[i], nulls_base + i);
	t->nulls_base = nulls_base;
	/* inet_ehash_locks_alloc: two cache lines of locks per CPU, at least
	 * a page of them, no more than slots. */
	nlocks = max(2U * L1_CACHE_BYTES / (unsigned int)sizeof(spinlock_t), 1U) * num_possible_cpus();
	nlocks = max(nlocks, (unsigned int)(PAGE_SIZE / sizeof(spinlock_t)));
	nlocks = min(roundup_pow_of_two(nlocks), entries);
	t->locks = kvmalloc_array(nlocks, sizeof(spinlock_t), GFP_KERNEL);
	if (!t->locks) {
		kvfree(t->heads);
		t->heads = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < nlocks; i++) {
		spin_lock_init(&t->locks[i]);
		lockdep_set_class(&t->locks[i], &rust_tcp_lock_keys[class]);
	}
	t->mask = entries - 1;
	t->lock_mask = nlocks - 1;
	t->bytes = entries * sizeof(*t->heads);
	return 0;
}

void rust_tcp_glue_nulls_table_free(struct rust_tcp_nulls_table *t)
{
	kvfree(t->heads);
	kvfree(t->locks);
	t->heads = NULL;
	t->locks = NULL;
}

/*
 * alloc_large_system_hash's sizing, which only boot code can call: one
 * slot per 2^@scale bytes of memory, a power of two, at most @max.
 */
unsigned int rust_tcp_glue_hash_entries(unsigned int param, unsigned int scale, unsigned int max)
{
	unsigned long n = param;

	if (!n) {
		n = totalram_pages();
		n = scale > PAGE_SHIFT ? n >> (scale - PAGE_SHIFT) : n << (PAGE_SHIFT - scale);
		n = min_t(unsigned long, max_t(unsigned long, n, 16), max);
	}
	return roundup_pow_of_two(min_t(unsigned long, n, 1UL << 30));
}

void rust_tcp_glue_rcu_read_lock(void)
{
	rcu_read_lock();
}

void rust_tcp_glue_rcu_read_unlock(void)
{
	rcu_read_unlock();
}

void rust_tcp_glue_rcu_barrier(void)
{
	rcu_barrier();
}

void rust_tcp_glue_synchronize_rcu(void)
{
	synchronize_rcu();
}

void rust_tcp_glue_msleep(unsigned int ms)
{
	msleep(ms);
}

void rust_tcp_glue_nulls_add(struct hlist_nulls_head *h, struct sock_common *c)
{
	hlist_nulls_add_head_rcu(&c->skc_nulls_node, h);
}

void rust_tcp_glue_nulls_add_tail(struct hlist_nulls_head *h, struct sock_common *c)
{
	hlist_nulls_add_tail_rcu(&c->skc_nulls_node, h);
}

void rust_tcp_glue_nulls_replace(struct sock_common *old, struct sock_common *new)
{
	hlist_nulls_replace_init_rcu(&old->skc_nulls_node, &new->skc_nulls_node);
}

void rust_tcp_glue_cond_resched(void)
{
	cond_resched();
}

void rust_tcp_glue_nulls_del(struct sock_common *c)
{
	hlist_nulls_del_init_rcu(&c->skc_nulls_node);
}

bool rust_tcp_glue_refcount_inc_not_zero(struct sock_common *c)
{
	/* Acquire: what the key re-check then reads was published before
	 * the count (refcount_set_release), as __inet_lookup_established. */
	return refcount_inc_not_zero_acquire(&c->skc_refcnt);
}

void rust_tcp_glue_refcount_inc(struct sock_common *c)
{
	refcount_inc(&c->skc_refcnt);
}

bool rust_tcp_glue_refcount_dec_and_test(struct sock_common *c)
{
	return refcount_dec_and_test(&c->skc_refcnt);
}

void rust_tcp_glue_refcount_publish(struct sock_common *c, unsigned int n)
{
	/* As reqsk_queue_hash_req and inet_twsk_hashdance_schedule: every
	 * field is visible before a lookup can take a reference. */
	refcount_set_release(&c->skc_refcnt, n);
}

void rust_tcp_glue_refcount_publish_zero(struct sock_common *c)
{
	refcount_set(&c->skc_refcnt, 0);
}

struct kmem_cache *rust_tcp_glue_cache_create(const char *name, unsigned int size,
					      unsigned int align)
{
	return kmem_cache_create(name, size, align,
				 SLAB_TYPESAFE_BY_RCU | SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT, NULL);
}

void rust_tcp_glue_cache_destroy(struct kmem_cache *c)
{
	/* kmem_cache_destroy waits for RCU itself on a TYPESAFE_BY_RCU cache. */
	kmem_cache_destroy(c);
}

void *rust_tcp_glue_cache_alloc(struct kmem_cache *c)
{
	return kmem_cache_alloc(c, GFP_ATOMIC | __GFP_NOWARN);
}

void rust_tcp_glue_cache_free(struct kmem_cache *c, void *obj)
{
	kmem_cache_free(c, obj);
}
