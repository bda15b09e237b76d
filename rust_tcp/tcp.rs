// SPDX-License-Identifier: GPL-2.0

//! The Rust state of a rust_tcp sock (what `inet_sock`, `inet_connection_sock`
//! and `tcp_sock` add to `struct sock` in Linux). It lives in the same
//! allocation as the `struct sock` (see `sys::sock`).

use crate::fifo::Fifo;
use crate::inet_hashtables::{BindEntry, Ehash, Tables};
use crate::new_spinlock_bh;
use crate::proto::seq::SeqNum;
use crate::proto::tcp_connect::ClientSock;
use crate::proto::tcp_minisocks::ChildInit;
use crate::sys::bindings as b;
use crate::sys::lock::SpinLockBh;
use crate::sys::sock::{Sock, SockRef, SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK};
use crate::sys::timer::SockTimer;
use crate::tcp_states::{CLOSE, ESTABLISHED, LISTEN, SYN_RECV, SYN_SENT};
use kernel::prelude::*;
use crate::proto::tcp_conn::TcpConn;
use crate::sys::chunks::KStore;

/// The 4-tuple of a connection, from our side.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct FourTuple {
    pub(crate) laddr: [u8; 4],
    pub(crate) lport: u16,
    pub(crate) raddr: [u8; 4],
    pub(crate) rport: u16,
}

/// Sequence state of a synchronised connection (tcp_sock's snd_una,
/// snd_nxt, rcv_nxt, ...), set from the handshake. Today only the reset
/// path reads it (snd_nxt, rcv_nxt); the data path (issue 5) reads the rest.
#[allow(dead_code)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Conn {
    /// Whether the handshake completed (the rest is meaningful).
    pub(crate) synced: bool,
    pub(crate) snd_una: SeqNum,
    pub(crate) snd_nxt: SeqNum,
    pub(crate) rcv_nxt: SeqNum,
    /// The peer's window, already scaled.
    pub(crate) snd_wnd: u32,
    pub(crate) rcv_wnd: u32,
    pub(crate) mss: u16,
    pub(crate) snd_wscale: u8,
    pub(crate) rcv_wscale: u8,
    pub(crate) sack_ok: bool,
    pub(crate) tstamp_ok: bool,
    pub(crate) ts_recent: u32,
    pub(crate) ts_off: u32,
}

impl Conn {
    /// A passively opened connection (`tcp_create_openreq_child`).
    pub(crate) fn from_child(c: &ChildInit) -> Self {
        Self {
            synced: true,
            snd_una: c.snd_una,
            snd_nxt: c.snd_una,
            rcv_nxt: c.rcv_nxt,
            snd_wnd: c.snd_wnd,
            rcv_wnd: c.rcv_wnd,
            mss: c.mss_clamp,
            snd_wscale: c.snd_wscale,
            rcv_wscale: c.rcv_wscale,
            sack_ok: c.sack_ok,
            tstamp_ok: c.tstamp_ok,
            ts_recent: c.ts_recent,
            ts_off: c.ts_offset,
        }
    }
}

/// Everything under the sock's BH lock.
pub(crate) struct TcpInner {
    /// `inet_rcv_saddr`: the bound local address (0.0.0.0 = any).
    pub(crate) rcv_saddr: [u8; 4],
    /// `inet_num`: the bound local port, 0 when not bound.
    pub(crate) num: u16,
    /// `inet_sport`: the port getsockname() reports. Set with `num` by
    /// bind(), listen() and connect(), but not cleared when a connection's
    /// end releases the port, as in Linux.
    pub(crate) sport: u16,
    /// The connection's addresses once connected or accepted.
    pub(crate) tuple: Option<FourTuple>,
    pub(crate) conn: Conn,
    /// Listener: completed connections waiting for accept()
    /// (`icsk_accept_queue`), capacity backlog + 1.
    pub(crate) accept_queue: Fifo<SockRef>,
    /// Listener: requests in the SYN queue, and those not yet timed out once
    /// (`qlen`, `young` of `request_sock_queue`).
    pub(crate) syn_qlen: u32,
    pub(crate) syn_young: u32,
    /// Listener: MSS the user set with TCP_MAXSEG (0 = none).
    pub(crate) user_mss: u16,
    /// Listener: jiffies of the last SYN-queue overflow answered with a
    /// cookie (`tcp_synq_overflow`'s `ts_recent_stamp`), 0 if never.
    pub(crate) last_overflow: u32,
    /// The active open under way (SYN_SENT, or SYN_RECV after crossed
    /// SYNs): what `tcp_connect` set up and the SYN timer drives.
    pub(crate) active: Option<ClientSock>,
    /// `write_seq` a later connect() starts from: 0 (a fresh ISN) until a
    /// disconnect leaves one (`tcp_disconnect`).
    pub(crate) write_seq: u32,
    /// `inet_id`: the IP ID of the next segment sent on this connection.
    pub(crate) inet_id: u16,
    /// TCP_SYNCNT (`icsk_syn_retries`); 0 = `tcp_syn_retries`.
    pub(crate) syn_retries: u8,
    /// IP_BIND_ADDRESS_NO_PORT: bind() leaves the port to connect().
    pub(crate) bind_address_no_port: bool,
    /// The synchronised connection: from ESTABLISHED until the sock is
    /// destroyed or disconnected (a closed connection keeps its unread
    /// bytes readable).
    pub(crate) est: Option<KBox<TcpConn<KStore>>>,
    /// TCP_NODELAY.
    pub(crate) nodelay: bool,
}

impl TcpInner {
    /// The IP ID for the next segment (`ip_select_ident_segs` of a
    /// connected socket: `inet_id`, then one more).
    pub(crate) fn next_ip_id(&mut self) -> u16 {
        let id = self.inet_id;
        self.inet_id = id.wrapping_add(1);
        id
    }
}

/// A rust_tcp sock's state.
#[pin_data]
pub(crate) struct TcpSock {
    /// Lock order: the socket lock (lock_sock), then the netns tables, then
    /// this. Softirq code takes the tables and this, never the socket lock.
    #[pin]
    pub(crate) inner: SpinLockBh<TcpInner>,
    /// The retransmission timer (`icsk_retransmit_timer`): SYN
    /// retransmission in SYN_SENT (see `tcp_timer`).
    #[pin]
    pub(crate) retrans_timer: SockTimer,
    /// The delayed-ACK timer (`icsk_delack_timer`).
    #[pin]
    pub(crate) delack_timer: SockTimer,
}

impl TcpSock {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- new_spinlock_bh!(
                TcpInner {
                    rcv_saddr: [0; 4],
                    num: 0,
                    sport: 0,
                    tuple: None,
                    conn: Conn::default(),
                    accept_queue: Fifo::new(),
                    syn_qlen: 0,
                    syn_young: 0,
                    user_mss: 0,
                    last_overflow: 0,
                    active: None,
                    write_seq: 0,
                    inet_id: 0,
                    syn_retries: 0,
                    bind_address_no_port: false,
                    est: None,
                    nodelay: false,
                },
                "rust_tcp_sock"
            ),
            retrans_timer <- SockTimer::new::<crate::tcp_timer::RetransmitTimer>(),
            delack_timer <- SockTimer::new::<crate::tcp_timer::DelackTimer>(),
        })
    }
}

/// What leaving the tables frees: sock references to drop after the
/// locks (a `SockRef` must not be put under its own sock's lock).
#[must_use]
pub(crate) struct Unhashed {
    _ehash: Option<Ehash>,
    _bound: Option<BindEntry>,
}

/// `tcp_set_state(sk, TCP_CLOSE)` under the tables lock and the sock's
/// lock: out of the ehash, and the port released unless bind() chose it
/// (`SOCK_BINDPORT_LOCK`); the active open is forgotten.
pub(crate) fn set_close_locked(sk: &Sock<'_>, t: &mut Tables, i: &mut TcpInner) -> Unhashed {
    let e = i
        .tuple
        .take()
        .and_then(|tu| t.ehash_remove(&tu, |e| matches!(e, Ehash::Est(s) if s.id() == sk.id())));
    let mut bound = None;
    if sk.userlocks() & SOCK_BINDPORT_LOCK == 0 && i.num != 0 {
        bound = t.bind_remove(i.num, sk);
        i.num = 0;
    }
    i.active = None;
    sk.set_state(CLOSE);
    Unhashed {
        _ehash: e,
        _bound: bound,
    }
}

/// `tcp_done_with_error()`: the connection is over with `err` (positive
/// errno): `sk_err` first, then CLOSE, both directions shut, the timer
/// stopped and the sleepers woken. Nothing if already closed.
pub(crate) fn tcp_done(sk: &Sock<'_>, err: u32) {
    let rt = sk.netns();
    let unhashed = {
        let mut t = rt.tables.lock();
        let mut i = sk.tcp().inner.lock();
        let state = sk.state();
        if state == CLOSE || state == LISTEN {
            return;
        }
        if state == SYN_SENT || state == SYN_RECV {
            rt.inc(crate::netns::Mib::AttemptFails);
        }
        // Published before CLOSE, so whoever sees CLOSE sees the error
        // (the smp_wmb() of tcp_done_with_error()).
        sk.write_err(err);
        let u = set_close_locked(sk, &mut t, &mut i);
        sk.set_shutdown(b::SHUTDOWN_MASK as u8);
        u
    };
    sk.stop_timer(&sk.tcp().retrans_timer);
    sk.stop_timer(&sk.tcp().delack_timer);
    sk.state_change();
    sk.error_report();
    drop(unhashed);
}

/// `tcp_disconnect()` (connect() with AF_UNSPEC, or after a failed
/// connect): back to CLOSE, ready for another connect(). A synchronised
/// connection is reset; an aborted connect leaves ECONNRESET in `sk_err`.
/// The caller holds the socket lock.
pub(crate) fn disconnect(sk: &Sock<'_>) {
    let old = sk.state();
    if old == LISTEN {
        crate::inet_connection_sock::listen_stop(sk);
    } else if old == ESTABLISHED || old == SYN_RECV {
        send_active_reset(sk);
        sk.write_err(b::ECONNRESET);
    } else if old == SYN_SENT {
        sk.write_err(b::ECONNRESET);
    }
    let rt = sk.netns();
    let unhashed = {
        let mut t = rt.tables.lock();
        let mut i = sk.tcp().inner.lock();
        let u = (old != CLOSE).then(|| set_close_locked(sk, &mut t, &mut i));
        if sk.userlocks() & SOCK_BINDADDR_LOCK == 0 {
            i.rcv_saddr = [0; 4];
        }
        // "seq = tp->write_seq + tp->max_window + 2": a later connect
        // starts past anything the old connection sent.
        if let Some(c) = i.est.as_ref() {
            i.write_seq = crate::proto::tcp_connect::disconnect_write_seq(c.snd.snd_nxt, c.snd.max_window).0;
        } else if i.conn.synced {
            let max_window = i.conn.snd_wnd;
            i.write_seq = crate::proto::tcp_connect::disconnect_write_seq(i.conn.snd_nxt, max_window).0;
        }
        i.conn = Conn::default();
        // The queues go (tcp_write_queue_purge, __skb_queue_purge).
        let est = i.est.take();
        i.active = None;
        drop(est);
        u
    };
    sk.stop_timer(&sk.tcp().retrans_timer);
    sk.stop_timer(&sk.tcp().delack_timer);
    sk.set_shutdown(0);
    sk.error_report();
    drop(unhashed);
}

/// `tcp_send_active_reset()`: RST|ACK at `snd_nxt` acking what we got,
/// from a synchronised connection or one in SYN_RECV.
pub(crate) fn send_active_reset(sk: &Sock<'_>) {
    let (tuple, seq, ack, id) = {
        let mut i = sk.tcp().inner.lock();
        let (seq, ack) = match (&i.active, i.conn.synced) {
            _ if i.est.is_some() => {
                let c = i.est.as_ref().map(|c| (c.snd.snd_nxt, c.rcv_nxt));
                c.unwrap_or_default()
            }
            (_, true) => (i.conn.snd_nxt, i.conn.rcv_nxt),
            (Some(a), false) => (a.snd_nxt(), a.rcv_nxt),
            (None, false) => return,
        };
        let Some(tuple) = i.tuple else { return };
        (tuple, seq, ack, i.next_ip_id())
    };
    let rst = crate::proto::tcp_hdr::TcpRepr {
        src_port: tuple.lport,
        dst_port: tuple.rport,
        seq,
        ack,
        flags: crate::proto::tcp_hdr::TcpFlags::RST | crate::proto::tcp_hdr::TcpFlags::ACK,
        window: 0,
        urgent: 0,
        options: crate::proto::tcp_hdr::TcpOptions::new(),
    };
    crate::tcp_output::send_reset_id(&sk.net(), &tuple, sk.bound_dev_if(), &rst, id);
}

// ---------------------------------------------------------------------
// The synchronised connection (issue 5): creation, the events of its
// steps, and the system calls of net/ipv4/tcp.c.
// ---------------------------------------------------------------------

use crate::proto::tcp_conn::{ConnParams, ConnSysctls, Events, Now, RecvState, TimerCmd};
use crate::proto::tcp_fin::{inet_shutdown, ShutdownAction, RCV_SHUTDOWN, SEND_SHUTDOWN};
use crate::proto::af_inet::SocketState;
use crate::sys::net::{Net, Sysctl};
use crate::sys::sock::{signal_pending, SockLockGuard, Timeo, WaitFor};
use crate::sys::socket::{msg, Msg};
use crate::tcp_output::SockTx;
use crate::tcp_states::{CLOSE_WAIT, CLOSING, FIN_WAIT1, FIN_WAIT2, LAST_ACK};
use kernel::alloc::KVVec;

/// The clocks of a step, now.
pub(crate) fn now() -> Now {
    let (j, hz) = crate::sys::jiffies64();
    Now {
        ms: crate::sys::clock_ms(),
        jiffies: j as u32,
        secs: (j / u64::from(hz.max(1))) as u32,
    }
}

/// The sysctls a connection reads, read now.
fn conn_sysctls(net: &Net<'_>) -> ConnSysctls {
    let mut s = ConnSysctls::DEFAULT;
    s.window = crate::tcp_ipv4::client_sysctls(net).window;
    s.fin_timeout_ms = net.sysctl(Sysctl::RUST_TCP_SYSCTL_FIN_TIMEOUT_MS);
    s.retries1 = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_RETRIES1)).unwrap_or(3);
    s.retries2 = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_RETRIES2)).unwrap_or(15);
    s.orphan_retries = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_ORPHAN_RETRIES)).unwrap_or(0);
    s.invalid_ratelimit_ms = net.sysctl(Sysctl::RUST_TCP_SYSCTL_INVALID_RATELIMIT_MS) as u32;
    s
}

/// Largest send ring: `tcp_wmem[2]`'s 4 MiB, less the one chunk the ring
/// keeps free, so that its slot table (one more slot than the ring's
/// chunks) is exactly 1024 pointers: 8 KiB.
const SND_RING_MAX: u32 = (4 << 20) - crate::proto::seqbuf::CHUNK as u32;

/// Sets up the connection state of a sock that just became ESTABLISHED
/// (`tcp_init_transfer()`): its rings and the decision state. On
/// allocation failure the sock has no data path and is reset by the caller.
pub(crate) fn conn_init(sk: &Sock<'_>, i: &mut TcpInner, init: &ChildInit, pmtu: u32, active: bool) -> Result {
    let Some(t) = i.tuple else { return Err(EINVAL) };
    let net = sk.net();
    let full_space = crate::tcp_ipv4::full_space(sk).max(4096);
    // The window can round up to one scale unit past the space.
    let rcv_bytes = full_space as usize + (1usize << init.rcv_wscale.min(14)) + 4096;
    // A locked SO_SNDBUF is the limit (half of it: the doubled value
    // counts overhead); otherwise the buffer starts at sk_sndbuf
    // (tcp_wmem[1]) and autotuning may grow it to tcp_wmem[2].
    let sndbuf = u32::try_from(sk.sndbuf()).unwrap_or(0);
    let locked = sk.userlocks() & SOCK_SNDBUF_LOCK != 0;
    let snd_cap = if locked {
        (sndbuf / 2).max(4096)
    } else {
        (net.sysctl(Sysctl::RUST_TCP_SYSCTL_WMEM_MAX_TCP).max(0) as u32).max(sndbuf).min(SND_RING_MAX)
    };
    let sndbuf_init = (!locked).then_some(sndbuf);
    let snd_store = KStore::new(snd_cap as usize)?;
    let rcv_store = KStore::new(rcv_bytes)?;
    // Two pages of retransmission-queue records.
    let rtx_store = KStore::new(4096)?;
    let (_, hz) = crate::sys::jiffies64();
    let p = ConnParams {
        lport: t.lport,
        rport: t.rport,
        hz,
        full_space,
        snd_cap,
        sndbuf_init,
        active,
        pmtu,
        sysctls: conn_sysctls(&net),
    };
    let mut c = KBox::new(TcpConn::new(init, &p, snd_store, rcv_store, rtx_store, &now()), GFP_ATOMIC)?;
    if c.rtx_capacity() == 0 {
        return Err(ENOMEM);
    }
    if i.nodelay {
        c.nagle.set_nodelay(true);
    }
    i.est = Some(c);
    Ok(())
}

use crate::sys::sock::SOCK_SNDBUF_LOCK;

/// Applies the timer commands of `ev` (under the sock's lock).
pub(crate) fn apply_timers(sk: &Sock<'_>, ev: &Events) {
    let tcp = sk.tcp();
    match ev.rtx_timer {
        TimerCmd::Keep => (),
        TimerCmd::Stop => sk.stop_timer(&tcp.retrans_timer),
        TimerCmd::Reset(ms) => sk.reset_timer(&tcp.retrans_timer, ms),
    }
    match ev.delack_timer {
        TimerCmd::Keep => (),
        TimerCmd::Stop => sk.stop_timer(&tcp.delack_timer),
        TimerCmd::Reset(ms) => sk.reset_timer(&tcp.delack_timer, ms),
    }
}

/// Runs `f` on the connection with a transmitter, then publishes what it
/// changed: `sk_state`/`sk_shutdown`, timers, and (after the lock) the
/// wakeups, the end of the connection or its TIME_WAIT. `None` if the
/// sock has no connection state.
pub(crate) fn with_conn<R>(sk: &Sock<'_>, f: impl FnOnce(&mut TcpConn<KStore>, &mut SockTx<'_>) -> R) -> Option<R> {
    let net = sk.net();
    let oif = sk.bound_dev_if();
    let (r, ev) = {
        let mut i = sk.tcp().inner.lock();
        let TcpInner { est, tuple, inet_id, .. } = &mut *i;
        // A closed connection (out of the tables, no tuple) still serves
        // reads; it sends nothing.
        let Some(c) = est.as_mut() else { return None };
        let t = tuple.unwrap_or_default();
        let mut tx = SockTx::new(&net, t, oif, inet_id);
        let r = f(c, &mut tx);
        let ev = c.take_events();
        apply_timers(sk, &ev);
        if ev.done.is_none() && ev.time_wait.is_none() {
            sk.set_state(c.state);
        }
        sk.set_shutdown(c.shutdown);
        (r, ev)
    };
    after_events(sk, &ev);
    Some(r)
}

/// The part of a step's events that runs without the sock's lock.
fn after_events(sk: &Sock<'_>, ev: &Events) {
    if let Some((substate, timeo)) = ev.time_wait {
        crate::inet_timewait_sock::time_wait(sk, substate, timeo);
    } else if let Some(err) = ev.done {
        conn_done(sk, err);
    }
    if ev.state_change || ev.done.is_some() || ev.time_wait.is_some() {
        sk.state_change();
    }
    if ev.readable {
        sk.data_ready();
    }
    if ev.writable {
        sk.write_space();
    }
}

/// `tcp_done()` for a synchronised connection: CLOSE, out of the tables,
/// timers stopped; `err` (if any) reported. Unread data stays readable.
pub(crate) fn conn_done(sk: &Sock<'_>, err: i32) {
    let rt = sk.netns();
    let unhashed = {
        let mut t = rt.tables.lock();
        let mut i = sk.tcp().inner.lock();
        if err != 0 {
            sk.write_err(err as u32);
        }
        let mut u = set_close_locked(sk, &mut t, &mut i);
        // An orphan is destroyed now: its port goes even if bind() chose
        // it (inet_csk_destroy_sock → inet_put_port).
        if sk.dead() && i.num != 0 {
            u._bound = t.bind_remove(i.num, sk);
            i.num = 0;
        }
        sk.set_shutdown(b::SHUTDOWN_MASK as u8);
        if let Some(c) = i.est.as_mut() {
            c.state = CLOSE;
            c.shutdown = b::SHUTDOWN_MASK as u8;
        }
        u
    };
    sk.stop_timer(&sk.tcp().retrans_timer);
    sk.stop_timer(&sk.tcp().delack_timer);
    if err != 0 {
        sk.error_report();
    }
    drop(unhashed);
}

/// `sk_stream_wait_memory()`: room in the send ring, or a reason to stop.
struct SendSpace;

impl WaitFor for SendSpace {
    fn ready(sk: &Sock<'_>) -> bool {
        if sk.err() != 0 || sk.shutdown() & SEND_SHUTDOWN != 0 {
            return true;
        }
        let i = sk.tcp().inner.lock();
        i.est.as_ref().map_or(true, |c| c.snd_space() > 0 && c.writeable())
    }
}

/// `sk_stream_wait_connect()`: the handshake is over one way or another.
struct Connected;

impl WaitFor for Connected {
    fn ready(sk: &Sock<'_>) -> bool {
        let s = sk.state();
        sk.err() != 0 || (s != SYN_SENT && s != SYN_RECV)
    }
}

/// `sk_wait_data()`: something to read, or a reason to stop.
struct Readable;

impl WaitFor for Readable {
    fn ready(sk: &Sock<'_>) -> bool {
        if sk.err() != 0 || sk.shutdown() & RCV_SHUTDOWN != 0 || sk.state() == CLOSE {
            return true;
        }
        let i = sk.tcp().inner.lock();
        i.est.as_ref().map_or(true, |c| c.recv_state() != RecvState::Empty)
    }
}

/// `sk_stream_error()`: EPIPE raises SIGPIPE unless MSG_NOSIGNAL; a
/// pending socket error comes first.
fn stream_error(sk: &Sock<'_>, flags: i32, e: Error) -> Error {
    if e == crate::sys::errno(b::EPIPE) {
        let soft = sk.take_err();
        if soft != 0 {
            return crate::sys::errno(soft as u32);
        }
        if flags & msg::NOSIGNAL == 0 {
            crate::sys::sock::sigpipe();
        }
    }
    e
}

/// Bytes copied per step through a kernel buffer: user memory cannot be
/// touched under the sock's spinlock.
const BOUNCE: usize = 64 * 1024;

/// `tcp_sendmsg_locked()`.
pub(crate) fn sendmsg(sk: &Sock<'_>, g: &SockLockGuard<'_>, m: &mut Msg, flags: i32) -> Result<usize> {
    let mut timeo = sk.sndtimeo(flags & msg::DONTWAIT != 0);
    let r = sendmsg_inner(sk, g, m, flags, &mut timeo);
    r.map_err(|e| stream_error(sk, flags, e))
}

fn sendmsg_inner(sk: &Sock<'_>, g: &SockLockGuard<'_>, m: &mut Msg, flags: i32, timeo: &mut Timeo) -> Result<usize> {
    let epipe = || crate::sys::errno(b::EPIPE);
    if flags & msg::OOB != 0 {
        // Urgent data is not sent (Linux sets the urgent pointer).
        return Err(crate::sys::errno(b::EOPNOTSUPP));
    }
    // sk_stream_wait_connect().
    loop {
        let s = sk.state();
        if s == ESTABLISHED || s == CLOSE_WAIT {
            break;
        }
        if sk.err() != 0 {
            return Err(crate::sys::errno(sk.take_err() as u32));
        }
        if s != SYN_SENT && s != SYN_RECV {
            return Err(epipe());
        }
        if timeo.is_zero() {
            return Err(EAGAIN);
        }
        if sk.wait_locked::<Connected>(g, timeo) {
            return Err(timeo.intr_errno());
        }
    }
    let more = flags & msg::MORE != 0;
    let mut copied = 0usize;
    let mut bounce = KVVec::from_elem(0u8, m.left().clamp(1, BOUNCE), GFP_KERNEL)?;
    while m.left() > 0 {
        if sk.err() != 0 || sk.shutdown() & SEND_SHUTDOWN != 0 {
            return if copied > 0 { Ok(copied) } else { Err(epipe()) };
        }
        let space = {
            let i = sk.tcp().inner.lock();
            match i.est.as_ref() {
                Some(c) if matches!(sk.state(), ESTABLISHED | CLOSE_WAIT) => c.snd_space() as usize,
                _ => return if copied > 0 { Ok(copied) } else { Err(epipe()) },
            }
        };
        if space == 0 {
            // "Push out what is queued, then wait for room."
            with_conn(sk, |c, tx| {
                c.set_nospace();
                c.push(tx, &now())
            });
            if timeo.is_zero() {
                return if copied > 0 { Ok(copied) } else { Err(EAGAIN) };
            }
            if sk.wait_locked::<SendSpace>(g, timeo) {
                return if copied > 0 { Ok(copied) } else { Err(timeo.intr_errno()) };
            }
            continue;
        }
        let n = space.min(m.left()).min(bounce.len());
        let got = m.copy_from(&mut bounce[..n]);
        if got == 0 {
            return if copied > 0 { Ok(copied) } else { Err(EFAULT) };
        }
        let last = m.left() == 0;
        let queued = with_conn(sk, |c, tx| {
            let q = c.send_queue(&bounce[..got], more || !last);
            c.push(tx, &now());
            q
        })
        .unwrap_or(0);
        copied += queued;
        if queued < got {
            // Reset meanwhile: what was copied in is lost, as in Linux.
            break;
        }
    }
    Ok(copied)
}

/// `tcp_recvmsg()`/`tcp_recvmsg_locked()`.
pub(crate) fn recvmsg(sk: &Sock<'_>, g: &SockLockGuard<'_>, m: &mut Msg, flags: i32) -> Result<usize> {
    if flags & msg::ERRQUEUE != 0 {
        // inet_recv_error(): TCP queues no errors here, so it is empty.
        return Err(EAGAIN);
    }
    if sk.state() == LISTEN {
        return Err(crate::sys::errno(b::ENOTCONN));
    }
    if flags & msg::OOB != 0 {
        // tcp_recv_urg() without urgent data: the urgent pointer of
        // received segments is not acted on, so there never is any.
        return Err(EINVAL);
    }
    let peek = flags & msg::PEEK != 0;
    // MSG_TRUNC: the bytes are consumed (or, with MSG_PEEK, counted)
    // without being copied.
    let trunc = flags & msg::TRUNC != 0;
    let mut timeo = sk.rcvtimeo(flags & msg::DONTWAIT != 0);
    let len = m.left();
    // sock_rcvlowat(): the whole length with MSG_WAITALL, else SO_RCVLOWAT
    // bytes (at most the length); never 0, even for a zero-length read,
    // which so reports EAGAIN (or blocks) when nothing is there, as Linux
    // does.
    let lowat = usize::try_from(sk.rcvlowat()).unwrap_or(1);
    let target = if flags & msg::WAITALL != 0 { len } else { lowat.min(len) }.max(1);
    let mut copied = 0usize;
    let mut bounce = KVVec::from_elem(0u8, len.clamp(1, BOUNCE), GFP_KERNEL)?;
    loop {
        // Copy what is there.
        let n = (len - copied).min(bounce.len());
        let (got, state, fin_rcvd) = {
            let i = sk.tcp().inner.lock();
            match i.est.as_ref() {
                Some(c) => {
                    let skip = if peek { copied as u32 } else { 0 };
                    (c.recv_copy(skip, &mut bounce[..n]), c.recv_state(), c.fin_rcvd())
                }
                None => (0, RecvState::Empty, false),
            }
        };
        if got > 0 {
            let out = if trunc { got } else { m.copy_to(&bounce[..got]) };
            if !peek {
                with_conn(sk, |c, tx| c.recv_done(out as u32, tx, &now()));
            }
            copied += out;
            if out < got {
                return if copied > 0 { Ok(copied) } else { Err(EFAULT) };
            }
            if copied >= len {
                break;
            }
            if !peek || state == RecvState::Data {
                continue;
            }
        }
        if copied >= target || copied >= len && state == RecvState::Data {
            break;
        }
        // Nothing (more) now: why?
        if copied > 0 {
            if timeo.is_zero() || sk.err() != 0 || sk.state() == CLOSE || sk.shutdown() & RCV_SHUTDOWN != 0 || signal_pending() {
                break;
            }
        } else {
            // Linux's order: the peer's FIN (SOCK_DONE), then a pending
            // error (a reset reads as ECONNRESET once, then as EOF
            // through RCV_SHUTDOWN), then the shutdown.
            if fin_rcvd {
                break;
            }
            if sk.err() != 0 {
                return Err(crate::sys::errno(sk.take_err() as u32));
            }
            if sk.shutdown() & RCV_SHUTDOWN != 0 {
                break;
            }
            if sk.state() == CLOSE {
                return Err(crate::sys::errno(b::ENOTCONN));
            }
            if timeo.is_zero() {
                return Err(EAGAIN);
            }
            if signal_pending() {
                return Err(timeo.intr_errno());
            }
        }
        if sk.wait_locked::<Readable>(g, &mut timeo) && copied == 0 {
            return Err(timeo.intr_errno());
        }
    }
    Ok(copied)
}

/// `tcp_ioctl()`: SIOCINQ (FIONREAD), SIOCOUTQ (TIOCOUTQ), SIOCOUTQNSD,
/// SIOCATMARK; `None` for any other command.
pub(crate) fn ioctl(sk: &Sock<'_>, cmd: u32) -> Result<Option<i32>> {
    let state = sk.state();
    let handshake = state == SYN_SENT || state == SYN_RECV;
    let i = sk.tcp().inner.lock();
    // In the handshake the queues read as empty.
    let c = i.est.as_ref().filter(|_| !handshake);
    let v = match cmd {
        SIOCINQ | SIOCOUTQ | SIOCOUTQNSD if state == LISTEN => return Err(EINVAL),
        // tcp_inq(): unread bytes, the FIN not counted.
        SIOCINQ => c.map_or(0, |c| c.rcv_queued()),
        // write_seq - snd_una: unacknowledged bytes (and FIN).
        SIOCOUTQ => c.map_or(0, |c| c.snd.write_seq.0.wrapping_sub(c.snd.snd_una.0)),
        // write_seq - snd_nxt: bytes not yet sent (`notsent_bytes`).
        SIOCOUTQNSD => c.map_or(0, |c| c.snd.notsent_bytes()),
        // No urgent data is ever marked.
        SIOCATMARK => 0,
        _ => return Ok(None),
    };
    Ok(Some(v.min(i32::MAX as u32) as i32))
}

/// ioctl numbers (uapi/asm-generic/ioctls.h, uapi/linux/sockios.h).
const SIOCINQ: u32 = 0x541b;
const SIOCOUTQ: u32 = 0x5411;
const SIOCOUTQNSD: u32 = 0x894b;
const SIOCATMARK: u32 = 0x8905;

/// `inet_shutdown()` + `tcp_shutdown()`.
pub(crate) fn shutdown(sk: &Sock<'_>, how: i32, state: &mut SocketState) -> Result {
    let sd = inet_shutdown(how, sk.state(), *state).map_err(|e| crate::sys::errno(e as u32))?;
    *state = sd.sock_state;
    match sd.action {
        ShutdownAction::Nothing => (),
        ShutdownAction::Disconnect => {
            sk.set_shutdown(sk.shutdown() | ((how + 1) as u8 & b::SHUTDOWN_MASK as u8));
            if sk.state() == LISTEN {
                crate::inet_connection_sock::listen_stop(sk);
            } else {
                disconnect(sk);
            }
            *state = SocketState::Unconnected;
        }
        ShutdownAction::Shutdown { bits, .. } => {
            let done = with_conn(sk, |c, tx| c.shutdown(bits, tx, &now()));
            if done.is_none() {
                sk.set_shutdown(sk.shutdown() | bits);
            }
        }
    }
    sk.state_change();
    if sd.err != 0 {
        return Err(crate::sys::errno(sd.err as u32));
    }
    Ok(())
}

/// `sk_stream_wait_close()`: until the FIN is acknowledged.
struct CloseDone;

impl WaitFor for CloseDone {
    fn ready(sk: &Sock<'_>) -> bool {
        !matches!(sk.state(), FIN_WAIT1 | CLOSING | LAST_ACK)
    }
}

/// `__tcp_close()` for a synchronised connection: unread data or
/// SO_LINGER 0 reset it; otherwise the FIN goes and the sock lives on as an
/// orphan (SO_LINGER with a time waits for the FIN's ACK first).
pub(crate) fn tcp_close(sk: &Sock<'_>) {
    let g = sk.lock_sock();
    let unread = sk.tcp().inner.lock().est.as_ref().is_some_and(|c| c.data_was_unread());
    let linger = sk.linger();
    let abort = unread || linger.as_ref().is_some_and(|t| t.is_zero());
    if abort {
        if matches!(sk.state(), ESTABLISHED | CLOSE_WAIT | FIN_WAIT1 | FIN_WAIT2 | CLOSING | LAST_ACK) || unread {
            send_active_reset(sk);
        }
        conn_done(sk, 0);
        sk.state_change();
        return;
    }
    with_conn(sk, |c, tx| c.close(tx, &now()));
    if let Some(mut t) = linger {
        let _ = sk.wait_locked::<CloseDone>(&g, &mut t);
    }
    drop(g);
}
