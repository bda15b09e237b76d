/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C side of the unsafe layer: the few things Rust cannot express through
 * bindgen (module_param, static registration tables whose address the kernel
 * keeps, function-like macros). Everything here is called only from rust_tcp/sys/.
 */
#ifndef _RUST_TCP_GLUE_H
#define _RUST_TCP_GLUE_H

#include <linux/types.h>
#include <linux/spinlock_types.h>
#include <linux/sockptr.h>
#include <uapi/linux/eventpoll.h>

struct sk_buff;
struct timer_list;

struct net;
struct socket;
struct sock;
struct proto_ops;
struct sock_common;

/* Module parameter `family`. */
int rust_tcp_glue_family(void);

/* Registration of the socket family, struct proto and pernet subsystem. */
int rust_tcp_glue_proto_register(unsigned int obj_size);
void rust_tcp_glue_proto_unregister(void);
struct proto *rust_tcp_glue_proto(void);
/* The stream proto_ops, filled by Rust before the family is registered. */
struct proto_ops *rust_tcp_glue_stream_ops(void);
int rust_tcp_glue_family_register(int family,
				  int (*create)(struct net *net, struct socket *sock,
						int protocol, int kern));
void rust_tcp_glue_family_unregister(int family);
struct seq_file;
struct sk_buff;
/* What the pernet subsystem, its LOCAL_IN hook and proc file call (Rust). */
struct rust_tcp_glue_pernet_cbs {
	int (*init)(struct net *net);
	void (*exit)(struct net *net);
	/* Returns 1 if it took the skb (NF_STOLEN), 0 to leave it to the stack. */
	int (*rcv)(struct net *net, struct sk_buff *skb);
	/* Fills /proc/net/rust_tcp_stat for net. */
	void (*stat_show)(struct seq_file *seq, struct net *net);
};
int rust_tcp_glue_pernet_register(const struct rust_tcp_glue_pernet_cbs *cbs);
void rust_tcp_glue_pernet_unregister(void);
/* The per-netns slot (one pointer) that the Rust side owns. */
void **rust_tcp_glue_net_slot(const struct net *net);

/* The netns sysctls rust_tcp honours, read with READ_ONCE. */
enum rust_tcp_sysctl {
	RUST_TCP_SYSCTL_IP_PROT_SOCK,
	RUST_TCP_SYSCTL_IP_NONLOCAL_BIND,
	RUST_TCP_SYSCTL_PORT_LOW,
	RUST_TCP_SYSCTL_PORT_HIGH,
	RUST_TCP_SYSCTL_SOMAXCONN,
	RUST_TCP_SYSCTL_MAX_SYN_BACKLOG,
	RUST_TCP_SYSCTL_SYNCOOKIES,
	RUST_TCP_SYSCTL_SYNACK_RETRIES,
	RUST_TCP_SYSCTL_SYN_RETRIES,
	RUST_TCP_SYSCTL_ABORT_ON_OVERFLOW,
	RUST_TCP_SYSCTL_TIMESTAMPS,
	RUST_TCP_SYSCTL_SACK,
	RUST_TCP_SYSCTL_WINDOW_SCALING,
	RUST_TCP_SYSCTL_DEFAULT_TTL,
	RUST_TCP_SYSCTL_RMEM_DEFAULT,
	RUST_TCP_SYSCTL_AUTOBIND_REUSE,
	RUST_TCP_SYSCTL_RMEM_MAX_TCP,
	RUST_TCP_SYSCTL_WMEM_DEFAULT,
	RUST_TCP_SYSCTL_CORE_RMEM_MAX,
	RUST_TCP_SYSCTL_WORKAROUND_SIGNED_WINDOWS,
	RUST_TCP_SYSCTL_INVALID_RATELIMIT_MS,
	RUST_TCP_SYSCTL_TCP_ECN,
	RUST_TCP_SYSCTL_SYN_LINEAR_TIMEOUTS,
	RUST_TCP_SYSCTL_ECN_FALLBACK,
	RUST_TCP_SYSCTL_MIN_SND_MSS,
	RUST_TCP_SYSCTL_MTU_PROBING,
	RUST_TCP_SYSCTL_BASE_MSS,
	RUST_TCP_SYSCTL_TW_REUSE,
	RUST_TCP_SYSCTL_APP_WIN,
	RUST_TCP_SYSCTL_SHRINK_WINDOW,
	RUST_TCP_SYSCTL_FIN_TIMEOUT_MS,
	RUST_TCP_SYSCTL_WMEM_MAX_TCP,
	RUST_TCP_SYSCTL_RETRIES1,
	RUST_TCP_SYSCTL_RETRIES2,
	RUST_TCP_SYSCTL_ORPHAN_RETRIES,
	RUST_TCP_SYSCTL_TCP_TIMEWAIT_LEN_MS,
	RUST_TCP_SYSCTL_RFC1337,
	RUST_TCP_SYSCTL_MODERATE_RCVBUF,
};
/*
 * The poll bits, as constants bindgen can read (the uapi macros carry a
 * __poll_t cast it does not evaluate).
 */
enum rust_tcp_epoll {
	RUST_TCP_EPOLLIN = EPOLLIN,
	RUST_TCP_EPOLLPRI = EPOLLPRI,
	RUST_TCP_EPOLLOUT = EPOLLOUT,
	RUST_TCP_EPOLLERR = EPOLLERR,
	RUST_TCP_EPOLLHUP = EPOLLHUP,
	RUST_TCP_EPOLLRDNORM = EPOLLRDNORM,
	RUST_TCP_EPOLLWRNORM = EPOLLWRNORM,
	RUST_TCP_EPOLLRDHUP = EPOLLRDHUP,
};

int rust_tcp_glue_sysctl(const struct net *net, enum rust_tcp_sysctl which);
bool rust_tcp_glue_port_reserved(struct net *net, unsigned short port);
/* inet_addr_type_table() in the netns's main table: RTN_LOCAL etc. */
unsigned int rust_tcp_glue_addr_type(struct net *net, __be32 addr);
bool rust_tcp_glue_can_bind_service(const struct net *net);

/* Bitfields of struct sock_common, read with the compiler's layout. */
int rust_tcp_glue_sk_reuse(const struct sock *sk);
int rust_tcp_glue_sk_reuseport(const struct sock *sk);
void rust_tcp_glue_sk_inherit(struct sock *child, const struct sock *l);
/*
 * A new sock's flags as tcp_init_sock leaves them: SOCK_USE_WRITE_QUEUE, so
 * that freeing an skb the sock owns (sock_wfree) does not wake its writers:
 * rust_tcp wakes them when the send ring has room.
 */
void rust_tcp_glue_sk_init(struct sock *sk);
int rust_tcp_glue_put_user_int(unsigned long arg, int val);

/* struct tcp_info's values, laid out by C (it has bitfields). */
struct rust_tcp_info {
	u8 state, ca_state, retransmits, probes, backoff, options, snd_wscale, rcv_wscale;
	u32 rto, ato, snd_mss, rcv_mss, unacked, sacked, lost, retrans;
	u32 last_data_sent, last_data_recv, last_ack_recv;
	u32 pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
	u32 rcv_rtt, rcv_space, total_retrans;
	u64 bytes_acked, bytes_received;
	u32 segs_out, segs_in, notsent_bytes, min_rtt, data_segs_in, data_segs_out;
	u32 delivered, snd_wnd, rcv_wnd, reord_seen;
	u64 bytes_sent, bytes_retrans;
	u16 total_rto, total_rto_recoveries;
};
int rust_tcp_glue_getsockopt_tcp_info(char __user *optval, int __user *optlen,
				      const struct rust_tcp_info *src);
int rust_tcp_glue_sk_rcvlowat(const struct sock *sk);
/* The sock's owner uid in its netns's user namespace (sk_uid). */
unsigned int rust_tcp_glue_sk_uid(const struct sock *sk);
/* sk_error_report() and sk->sk_state_change(): wake the socket's waiters. */
void rust_tcp_glue_sk_error_report(struct sock *sk);
void rust_tcp_glue_sk_state_change(struct sock *sk);
/* sock_error(): sk_err negated and cleared (0 if none). */
int rust_tcp_glue_sock_error(struct sock *sk);

/*
 * SOL_SOCKET options come to our setsockopt (SOCK_CUSTOM_SOCKOPT), since
 * the socket core refuses SO_REUSEPORT to non-inet families.
 */
void rust_tcp_glue_custom_sockopt(struct socket *sock);
void rust_tcp_glue_sk_set_reuseport(struct sock *sk, bool on);
/* Reads an int option value as sk_setsockopt does (EINVAL if short). */
int rust_tcp_glue_sockopt_int(sockptr_t optval, unsigned int optlen, int *val);
/* Writes an int option value back as do_tcp_getsockopt does. */
int rust_tcp_glue_getsockopt_int(char __user *optval, int __user *optlen, int val);

/* timer_setup() is a macro; mod_timer() relative to now, in ms. */
void rust_tcp_glue_timer_setup(struct timer_list *timer,
			       void (*fn)(struct timer_list *));
int rust_tcp_glue_mod_timer_ms(struct timer_list *timer, unsigned int ms);
/* mod_timer_pending(): re-arms only a timer still pending (returns 1 then). */
int rust_tcp_glue_mod_timer_pending_ms(struct timer_list *timer, unsigned int ms);
/* SKB_DATA_ALIGN(sizeof(struct sk_buff)), ...(skb_shared_info), MAX_TCP_HEADER. */
void rust_tcp_glue_skb_sizes(unsigned int *skb, unsigned int *shinfo,
			     unsigned int *max_header);
/* Clocks: CLOCK_MONOTONIC in ms (TCP timestamps), CLOCK_REALTIME in ns (ISN). */
u64 rust_tcp_glue_clock_ns(void);
u32 rust_tcp_glue_clock_ms(void);
u64 rust_tcp_glue_real_ns(void);
/* jiffies and HZ, the clock of syncookies (tcp_cookie_time). */
u64 rust_tcp_glue_jiffies64(void);
unsigned int rust_tcp_glue_hz(void);

/*
 * Sleep on the sock's wait queue until ready(sk) holds: 0, or -EAGAIN when
 * *timeo runs out, or sock_intr_errno() on a signal. *timeo is updated.
 */
int rust_tcp_glue_wait(struct sock *sk, long *timeo, bool exclusive,
		       bool (*ready)(struct sock *sk));
long rust_tcp_glue_rcvtimeo(const struct sock *sk, bool noblock);
/*
 * inet_wait_for_connect(): with the socket lock held by the caller, sleep
 * (the lock released) until ready(sk), a signal or *timeo runs out; *timeo
 * is what is left. Returns whether a signal is pending.
 */
bool rust_tcp_glue_wait_locked(struct sock *sk, long *timeo,
			       bool (*ready)(struct sock *sk));
/* Whether timeo is MAX_SCHEDULE_TIMEOUT (no timeout). */
bool rust_tcp_glue_timeo_infinite(long timeo);
long rust_tcp_glue_sndtimeo(const struct sock *sk, bool noblock);

/*
 * Route an IPv4 packet whose full IP header the caller wrote at skb->data,
 * and send it (ip_local_out). Consumes the skb in every case.
 */
int rust_tcp_glue_ip_send(struct net *net, struct sk_buff *skb, __be32 saddr,
			  __be32 daddr, int oif);
/*
 * rust_tcp_glue_ip_send for a connected sock: the route is the one cached
 * in sk->sk_dst_cache while it stays valid (sk_dst_check), else looked up
 * and cached (sk_dst_set). The caller resets the cache when the sock's
 * addresses change (rust_tcp_glue_sk_dst_reset).
 */
int rust_tcp_glue_ip_send_sk(struct sock *sk, struct sk_buff *skb,
			     __be32 saddr, __be32 daddr, int oif);
void rust_tcp_glue_sk_dst_reset(struct sock *sk);
/* From sk_destruct: drops the cached route (inet_sock_destruct's release). */
void rust_tcp_glue_sk_dst_release(struct sock *sk);
/*
 * tcp_v4_connect's route lookup: the source address to use towards *daddr
 * (*saddr, in: the bound address or 0), the destination itself (0.0.0.0
 * routes to the loopback), the route's advmss and MTU; -ENETUNREACH
 * for a multicast or broadcast route, or the routing error.
 */
int rust_tcp_glue_route_connect(struct net *net, __be32 *daddr, int oif,
				__be32 *saddr, int *advmss, unsigned int *mtu);
/*
 * The route from saddr to daddr, a reference held for the caller (*dst),
 * or the routing error: what tcp_conn_request looks up once for both the
 * SYN-ACK's MSS and its transmission (route_req).
 */
int rust_tcp_glue_route_output(struct net *net, __be32 saddr, __be32 daddr,
			       int oif, struct dst_entry **dst);
int rust_tcp_glue_dst_advmss(const struct dst_entry *dst);
void rust_tcp_glue_dst_release(struct dst_entry *dst);
/* rust_tcp_glue_ip_send on the route dst (the skb takes a reference). */
int rust_tcp_glue_ip_send_dst(struct net *net, struct sk_buff *skb,
			      struct dst_entry *dst);
/* ip_summed says the device or the local sender vouched for the checksum. */
bool rust_tcp_glue_skb_csum_trusted(const struct sk_buff *skb);
/* The input interface as routing saw it (inet_iif). */
int rust_tcp_glue_skb_iif(const struct sk_buff *skb);
/* An skb with headroom for link and IP headers and len bytes of room. */
struct sk_buff *rust_tcp_glue_alloc_skb(unsigned int len, gfp_t gfp);
/*
 * Appends up to len bytes of pfrag's page to skb as a page fragment (merged
 * with the last one when they are contiguous, skb_can_coalesce), refilling
 * pfrag first (skb_page_frag_refill), and returns where those bytes are, *n
 * their count: the caller writes them. NULL when no page could be had or
 * the skb has no fragment slot left. skb->len, data_len and truesize grow.
 */
struct page_frag;
void *rust_tcp_glue_skb_frag_room(struct sk_buff *skb, struct page_frag *pfrag,
				  unsigned int len, gfp_t gfp, unsigned int *n);
/*
 * tcp_v4_rcv's ownership test, BHs off: bh_lock_sock, and if no process owns
 * the sock (lock_sock) 0 with the lock held, for the caller to process the
 * segment and call rust_tcp_glue_bh_unlock_sock. Otherwise the skb goes on
 * the sock's backlog (tcp_add_backlog's limit; sk_add_backlog takes a
 * reference on its route) for release_sock, and the lock is dropped: 1
 * queued (the skb is no longer the caller's), -ENOBUFS over the limit.
 */
int rust_tcp_glue_bh_lock_or_backlog(struct sock *sk, struct sk_buff *skb);
void rust_tcp_glue_bh_unlock_sock(struct sock *sk);
/* sk_flush_backlog(): with the socket lock held, process its backlog now. */
void rust_tcp_glue_flush_backlog(struct sock *sk);
void rust_tcp_glue_local_bh_disable(void);
void rust_tcp_glue_local_bh_enable(void);
/* put_page of pfrag's page, if any (sk_page_frag's page given back). */
void rust_tcp_glue_page_frag_release(struct page_frag *pfrag);
/*
 * The TCP checksum left to the device or the stack (CHECKSUM_PARTIAL from
 * the transport header at ihl bytes past skb->data, the IP header), and with
 * gso_segs > 1 a GSO packet of gso_size-byte TCPv4 segments. False if the
 * header is not in the linear part.
 */
bool rust_tcp_glue_skb_tcp_offload(struct sk_buff *skb, unsigned int ihl,
				   unsigned int gso_size, unsigned int gso_segs);
/*
 * Copies all of a non-linear skb into this CPU's scratch buffer and returns
 * it (the whole packet, from skb->data); NULL if the skb is longer than the
 * buffer or the buffer is in use. BHs must be off (softirq), which keeps the
 * CPU and the buffer ours until rust_tcp_glue_skb_flat_done().
 */
const void *rust_tcp_glue_skb_flat(struct sk_buff *skb);
void rust_tcp_glue_skb_flat_done(void);
int rust_tcp_glue_scratch_init(void);
void rust_tcp_glue_scratch_exit(void);

/* Data path (issue 5): the message iterator of sendmsg/recvmsg. */
struct msghdr;
size_t rust_tcp_glue_msg_left(struct msghdr *msg);
/*
 * copy_from_iter/copy_to_iter on msg->msg_iter with page faults disabled
 * (callable under a spinlock): bytes copied, short where a page is not
 * present or the address is bad.
 */
size_t rust_tcp_glue_msg_copy_from_atomic(struct msghdr *msg, void *buf, size_t len);
size_t rust_tcp_glue_msg_copy_to_atomic(struct msghdr *msg, const void *buf, size_t len);
/*
 * fault_in_iov_iter_{readable,writeable} on the next len bytes (may
 * sleep): how many bytes from the start are now present (0: a bad address).
 */
size_t rust_tcp_glue_msg_fault_in(struct msghdr *msg, size_t len, bool write);
/* sk_stream_write_space(): wake writers (EPOLLOUT) and async waiters. */
void rust_tcp_glue_write_space(struct sock *sk);
/* send_sig(SIGPIPE, current, 0). */
void rust_tcp_glue_sigpipe(void);
/* sock_intr_errno(timeo): -ERESTARTSYS or -EINTR. */
int rust_tcp_glue_intr_errno(long timeo);
/* SO_LINGER: whether set, and sk_lingertime in *lingertime (jiffies). */
bool rust_tcp_glue_linger(const struct sock *sk, long *lingertime);
/* signal_pending(current). */
bool rust_tcp_glue_signal_pending(void);
/* SOCK_DEAD is set (sock_orphan ran). */
bool rust_tcp_glue_sk_dead(const struct sock *sk);
/* Milliseconds to jiffies and back. */
unsigned long rust_tcp_glue_msecs_to_jiffies(unsigned int ms);
/* timer_delete_sync(): stop a timer and wait for its callback. */
int rust_tcp_glue_timer_delete_sync(struct timer_list *timer);

/* The NF_INET_LOCAL_IN hook of rust_tcp, per netns. */
int rust_tcp_glue_nf_register(struct net *net);
void rust_tcp_glue_nf_unregister(struct net *net);

/* /proc/net/rust_tcp_stat of a netns. */
int rust_tcp_glue_proc_register(struct net *net);
void rust_tcp_glue_proc_unregister(struct net *net);
struct seq_file;
void rust_tcp_glue_seq_write(struct seq_file *seq, const char *buf, size_t len);


/*
 * Per-CPU stacks of freed objects of one type (what a slab's per-CPU
 * freelist is to kmalloc, kept by the module for objects it frees and
 * reallocates at a high rate). Push and pop run with BH disabled.
 */
void __percpu *rust_tcp_glue_cpucache_alloc(void);
void *rust_tcp_glue_cpucache_pop(void __percpu **slot);
bool rust_tcp_glue_cpucache_push(void __percpu **slot, void *obj);
void *rust_tcp_glue_cpucache_drain(void __percpu *pc);
void rust_tcp_glue_cpucache_free(void __percpu *pc);

/* Order-0 pages as byte buffers that skbs may reference (sys/page.rs). */
void *rust_tcp_glue_page_alloc_zeroed(gfp_t gfp);
bool rust_tcp_glue_page_unique(void *addr);
void rust_tcp_glue_page_put(void *addr);
bool rust_tcp_glue_skb_append_page(struct sk_buff *skb, void *addr,
				   unsigned int off, unsigned int len);

/* Per-CPU u64 counters (the SNMP MIBs' layout: one array per CPU). */
void __percpu *rust_tcp_glue_percpu_alloc(unsigned int count);
void rust_tcp_glue_percpu_free(void __percpu *p);
void rust_tcp_glue_percpu_inc(void __percpu *p, unsigned int idx);
void rust_tcp_glue_percpu_add(void __percpu *p, unsigned int idx, u64 n);
u64 rust_tcp_glue_percpu_sum(void __percpu *p, unsigned int idx);

/*
 * A hash table of hlist_nulls chains with striped spinlocks, as Linux's
 * ehash (inet_ehash_bucket, inet_ehash_locks_alloc): each head's nulls
 * value is its index, so an RCU reader that ends on another chain's nulls
 * knows its entry moved and starts over.
 */
struct hlist_nulls_head;
struct rust_tcp_nulls_table {
	struct hlist_nulls_head *heads;
	spinlock_t *locks;
	unsigned int mask;
	unsigned int lock_mask;
	unsigned int bytes;
	/* Nulls values are base + slot: tables whose entries can move into
	 * one another (a sock reborn as a listener) must not share values
	 * (LISTENING_NULLS_BASE). */
	unsigned int nulls_base;
};
/* Lock classes, so lockdep tells the tables apart. */
enum rust_tcp_lock_class {
	RUST_TCP_LOCK_EHASH,
	RUST_TCP_LOCK_LHASH2,
	RUST_TCP_LOCK_BHASH,
	RUST_TCP_LOCK_NCLASSES,
};
/* @entries is rounded up to a power of two; locks as inet_ehash_locks_alloc. */
int rust_tcp_glue_nulls_table_init(struct rust_tcp_nulls_table *t, unsigned int entries,
				   enum rust_tcp_lock_class class, unsigned int nulls_base);
void rust_tcp_glue_nulls_table_free(struct rust_tcp_nulls_table *t);
/* Slots for a table sized as alloc_large_system_hash sizes Linux's, @scale
 * bits of memory per slot, capped at @max; @param (thash_entries) wins. */
unsigned int rust_tcp_glue_hash_entries(unsigned int param, unsigned int scale, unsigned int max);
/* Module parameter thash_entries (0: sized from memory). */
unsigned int rust_tcp_glue_thash_entries(void);
void rust_tcp_glue_rcu_read_lock(void);
void rust_tcp_glue_rcu_read_unlock(void);
void rust_tcp_glue_rcu_barrier(void);
void rust_tcp_glue_synchronize_rcu(void);
void rust_tcp_glue_msleep(unsigned int ms);
void rust_tcp_glue_nulls_add(struct hlist_nulls_head *h, struct sock_common *c);
void rust_tcp_glue_nulls_add_tail(struct hlist_nulls_head *h, struct sock_common *c);
/* @new takes @old's place in its chain; @old is left unhashed. */
void rust_tcp_glue_nulls_replace(struct sock_common *old, struct sock_common *new);
void rust_tcp_glue_cond_resched(void);
void rust_tcp_glue_nulls_del(struct sock_common *c);
bool rust_tcp_glue_refcount_inc_not_zero(struct sock_common *c);
void rust_tcp_glue_refcount_inc(struct sock_common *c);
bool rust_tcp_glue_refcount_dec_and_test(struct sock_common *c);
/* Publishes a new mini sock: its fields before its refcount (smp_wmb). */
void rust_tcp_glue_refcount_publish(struct sock_common *c, unsigned int n);
/* A reused mini sock's refcount: 0 (it already is, unless fresh memory). */
void rust_tcp_glue_refcount_publish_zero(struct sock_common *c);

/* SLAB_TYPESAFE_BY_RCU caches for request and timewait socks. */
struct kmem_cache;
struct kmem_cache *rust_tcp_glue_cache_create(const char *name, unsigned int size,
					      unsigned int align);
void rust_tcp_glue_cache_destroy(struct kmem_cache *c);
void *rust_tcp_glue_cache_alloc(struct kmem_cache *c);
void rust_tcp_glue_cache_free(struct kmem_cache *c, void *obj);

#endif /* _RUST_TCP_GLUE_H */

