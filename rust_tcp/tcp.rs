// SPDX-License-Identifier: GPL-2.0

//! The connection-level system calls and state changes of
//! net/ipv4/tcp.c: a synchronised connection's set-up
//! (`tcp_init_transfer`), the steps that run its core (`with_conn`) and
//! publish what they changed, `tcp_done`, `tcp_disconnect`, send and
//! receive, shutdown, ioctl and close. The sock's state is
//! `tcp_sock::TcpSock`; the decisions are `proto`'s.

use crate::chunks::KStore;
use crate::errno::{errno_value, from_value, to_error};
use crate::inet_connection_sock::{listen_stop, unbind};
use crate::inet_hashtables::BindEntry;
use crate::netns::Mib;
use crate::proto::errno::Errno;
use crate::proto::sock::SkbOverhead;
use crate::proto::tcp_conn::{ConnParams, Events, RecvState, TcpConn, TimerCmd};
use crate::proto::tcp_fin::{inet_shutdown, tcp_disconnect, ShutdownAction};
use crate::proto::tcp_minisocks::ChildInit;
use crate::proto::tcp_states::*;
use crate::sys::net::Sysctl;
use crate::sys::sock::{
    signal_pending, SockLockGuard, Timeo, WaitFor, RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, SOCK_BINDADDR_LOCK,
    SOCK_BINDPORT_LOCK, SOCK_RCVBUF_LOCK, SOCK_SNDBUF_LOCK,
};
use crate::sys::socket::{msg, Msg};
use crate::tcp_output::{send_active_reset, SockTx};
use crate::tcp_sock::{now, Role, SockRef, TcpInner, TcpSk, TcpSock};
use kernel::prelude::*;

/// What leaving the tables frees: sock references to drop after the
/// locks (a `SockRef` must not be put under its own sock's lock).
#[must_use]
pub(crate) struct Unhashed {
    _ehash: Option<SockRef>,
    _bound: Option<BindEntry>,
}

/// Releases the port `sk` holds (`inet_put_port`), under the sock's lock
/// (which comes before the tables' in the lock order).
fn put_port(sk: &TcpSk, i: &mut TcpInner) -> Option<BindEntry> {
    let net = sk.net();
    let rt = net.data();
    let num = core::mem::replace(&mut i.num, 0);
    rt.tables.bind_lock(net, &rt.ports, num).remove(sk)
}

/// `tcp_set_state(sk, TCP_CLOSE)` under the sock's lock: out of the
/// ehash, and the port released unless bind() chose it
/// (`SOCK_BINDPORT_LOCK`); an active open is forgotten (a synchronised
/// connection's state stays: its unread bytes remain readable).
pub(crate) fn set_close_locked(sk: &TcpSk, i: &mut TcpInner) -> Unhashed {
    let e = i.tuple.take().and_then(|_| sk.net().data().tables.ehash_remove(sk));
    let mut bound = None;
    if sk.userlocks() & SOCK_BINDPORT_LOCK == 0 && i.num != 0 {
        bound = put_port(sk, i);
    }
    if matches!(i.role, Role::Connecting(_)) {
        i.role = Role::Closed;
    }
    sk.set_state(TCP_CLOSE);
    Unhashed {
        _ehash: e,
        _bound: bound,
    }
}

/// `tcp_done_with_error()`: the connection is over with `err`: `sk_err`
/// first, then CLOSE, both directions shut, the timers stopped and the
/// sleepers woken. Nothing if already closed. An orphan is destroyed
/// now: its port goes even if bind() chose it (inet_csk_destroy_sock →
/// inet_put_port). Unread data stays readable.
pub(crate) fn tcp_done(sk: &TcpSk, err: Option<Errno>) {
    let rt = sk.net().data();
    let unhashed = {
        let mut i = sk.data().inner.lock();
        let state = sk.state();
        if state == TCP_CLOSE || state == TCP_LISTEN {
            return;
        }
        if state == TCP_SYN_SENT || state == TCP_SYN_RECV {
            rt.inc(Mib::AttemptFails);
        }
        // Published before CLOSE, so whoever sees CLOSE sees the error
        // (the smp_wmb() of tcp_done_with_error()).
        if let Some(e) = err {
            sk.write_err(errno_value(e));
        }
        let mut u = set_close_locked(sk, &mut i);
        if sk.dead() && i.num != 0 {
            u._bound = put_port(sk, &mut i);
        }
        sk.set_shutdown(SHUTDOWN_MASK);
        if let Some(c) = i.conn_mut() {
            c.state = TCP_CLOSE;
            c.shutdown = SHUTDOWN_MASK;
        }
        u
    };
    sk.stop_timer(&sk.data().retrans_timer);
    sk.stop_timer(&sk.data().delack_timer);
    sk.state_change();
    if err.is_some() {
        sk.error_report();
    }
    drop(unhashed);
}

/// `tcp_disconnect()` (connect() with AF_UNSPEC, shutdown() of a
/// connecting socket, close() of an active open): back to CLOSE, ready
/// for another connect(). What aborts how is the core's
/// (`proto::tcp_fin::tcp_disconnect`). The caller holds the socket lock.
pub(crate) fn disconnect(sk: &TcpSk) {
    let old = sk.state();
    let unsent = sk.data().inner.lock().conn().is_some_and(|c| c.snd.snd_nxt != c.snd.write_seq);
    let d = tcp_disconnect(old, false, unsent);
    if d.listen_stop {
        listen_stop(sk);
    } else if d.rst {
        send_active_reset(sk);
    }
    if let Some(e) = d.err {
        sk.write_err(errno_value(e));
    }
    let unhashed = {
        let mut i = sk.data().inner.lock();
        let u = (old != TCP_CLOSE).then(|| set_close_locked(sk, &mut i));
        if sk.userlocks() & SOCK_BINDADDR_LOCK == 0 {
            i.rcv_saddr = [0; 4];
        }
        // "seq = tp->write_seq + tp->max_window + 2": a later connect
        // starts past anything the old connection sent.
        if let Some(c) = i.conn() {
            i.write_seq = crate::proto::tcp_connect::disconnect_write_seq(c.snd.snd_nxt, c.snd.max_window).0;
        }
        // The queues go (tcp_write_queue_purge, __skb_queue_purge).
        let role = core::mem::replace(&mut i.role, Role::Closed);
        (u, role)
    };
    sk.stop_timer(&sk.data().retrans_timer);
    sk.stop_timer(&sk.data().delack_timer);
    sk.set_shutdown(0);
    sk.error_report();
    drop(unhashed);
}

/// Largest send ring: `tcp_wmem[2]`'s 4 MiB, less the one chunk the ring
/// keeps free, so that its slot table (one more slot than the ring's
/// chunks) is exactly 1024 pointers: 8 KiB.
const SND_RING_MAX: u32 = (4 << 20) - crate::proto::seqbuf::CHUNK as u32;
/// The largest receive buffer autotuning grows to (a 16 MiB window), if
/// `tcp_rmem[2]` is larger still.
const RCV_BUF_MAX: u32 = 32 << 20;

/// Sets up the connection state of a sock that just became ESTABLISHED
/// (`tcp_init_transfer()`): its rings and the decision state; the role
/// becomes [`Role::Synced`]. On allocation failure nothing changes and
/// the caller resets the connection.
pub(crate) fn conn_init(sk: &TcpSk, i: &mut TcpInner, init: &ChildInit, pmtu: u32, active: bool) -> Result {
    let Some(t) = i.tuple else { return Err(EINVAL) };
    let net = sk.net();
    // The receive buffer: sk_rcvbuf, autotuned up to tcp_rmem[2] unless
    // SO_RCVBUF locked it or tcp_moderate_rcvbuf is off. The ring is sized
    // for the largest window (its pages come as data does); the window
    // can round up to one scale unit past the space.
    let rcvbuf = u32::try_from(sk.rcvbuf()).unwrap_or(0).max(8192);
    let rcvbuf_max = (sk.userlocks() & SOCK_RCVBUF_LOCK == 0 && net.sysctl(Sysctl::RUST_TCP_SYSCTL_MODERATE_RCVBUF) != 0)
        .then(|| (net.sysctl(Sysctl::RUST_TCP_SYSCTL_RMEM_MAX_TCP).max(0) as u32).min(RCV_BUF_MAX).max(rcvbuf));
    let max_space = crate::sysctl::win_from_space(rcvbuf_max.unwrap_or(rcvbuf));
    let rcv_bytes = max_space as usize + (1usize << init.rcv_wscale.min(14)) + 4096;
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
    // Retransmission-queue records for a full send buffer of segments
    // (the ring's largest), their pages allocated as they fill.
    let rtx_store = KStore::new(crate::proto::tcp_conn::rtx_store_bytes(snd_cap))?;
    let (_, hz) = crate::sys::jiffies64();
    let sizes = crate::sys::skb::skb_sizes();
    let p = ConnParams {
        lport: t.lport,
        rport: t.rport,
        hz,
        rcvbuf,
        rcvbuf_max,
        snd_cap,
        sndbuf_init,
        active,
        pmtu,
        sysctls: crate::sysctl::conn_sysctls(net),
        skb: SkbOverhead {
            skb_aligned: sizes.skb_aligned,
            shinfo_aligned: sizes.shinfo_aligned,
            max_tcp_header: sizes.max_tcp_header,
        },
    };
    let mut c = KBox::new(TcpConn::new(init, &p, snd_store, rcv_store, rtx_store, &now()), GFP_ATOMIC)?;
    if i.nodelay {
        c.nagle.set_nodelay(true);
    }
    i.role = Role::Synced(c);
    Ok(())
}

/// Applies the timer commands of `ev` (under the sock's lock).
pub(crate) fn apply_timers(sk: &TcpSk, ev: &Events) {
    let tcp = sk.data();
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
/// sock has no synchronised connection.
pub(crate) fn with_conn<R>(sk: &TcpSk, f: impl FnOnce(&mut TcpConn<KStore>, &mut SockTx<'_>) -> R) -> Option<R> {
    let net = sk.net();
    let oif = sk.bound_dev_if();
    let (r, ev, tw) = {
        let mut i = sk.data().inner.lock();
        let TcpInner { role, tuple, inet_id, frag, .. } = &mut *i;
        // A closed connection (out of the tables, no tuple) still serves
        // reads; it sends nothing.
        let Role::Synced(c) = role else { return None };
        let t = tuple.unwrap_or_default();
        let mut tx = SockTx::new(sk, net, t, oif, inet_id, frag);
        let r = f(c, &mut tx);
        if c.snd.write_seq == c.snd.snd_una {
            // All sent is acknowledged: the page fragment goes (packets
            // still queued below keep theirs), so an idle connection
            // holds no page.
            frag.release();
        }
        let (snd, rcv) = c.autotuned_bufs();
        if let Some(v) = snd.map(|v| v.min(i32::MAX as u32) as i32).filter(|&v| v != sk.sndbuf()) {
            sk.set_sndbuf(v);
        }
        if let Some(v) = rcv.map(|v| v.min(i32::MAX as u32) as i32).filter(|&v| v != sk.rcvbuf()) {
            sk.set_rcvbuf(v);
        }
        let ev = c.take_events();
        apply_timers(sk, &ev);
        // CLOSE is tcp_done()'s to publish (it unhashes the sock and lets
        // its port go when it does, and does nothing for a sock already
        // CLOSE): a step that only finds the connection closed, as one
        // racing the step that closed it does, must not publish it first.
        if ev.done.is_none() && ev.time_wait.is_none() && !matches!(c.state, TCP_CLOSE | TCP_TIME_WAIT) {
            sk.set_state(c.state);
        }
        sk.set_shutdown(c.shutdown);
        // The connection ends here, under this lock: what its timewait
        // sock keeps is taken now, and the connection takes no further
        // segment (as a Linux sock, CLOSE from tcp_time_wait() on, drops
        // what a lookup that found it before the hashdance hands it). A
        // segment processed in between would be answered by the
        // connection yet missed by the snapshot (a FIN acked here while
        // the timewait sock still waits for it).
        let tw = ev.time_wait.zip(*tuple).map(|((substate, timeo), t)| {
            let st = c.time_wait_sock(substate, t.laddr, t.raddr, oif);
            c.state = TCP_CLOSE;
            crate::tcp_minisocks::TimeWaitArgs { st, tuple: t, substate, timeo }
        });
        (r, ev, tw)
    };
    after_events(sk, &ev, tw);
    Some(r)
}

/// The part of a step's events that runs without the sock's lock.
fn after_events(sk: &TcpSk, ev: &Events, tw: Option<crate::tcp_minisocks::TimeWaitArgs>) {
    if ev.time_wait.is_some() {
        if let Some(tw) = tw {
            crate::tcp_minisocks::tcp_time_wait(sk, tw);
        }
        tcp_done(sk, None);
    } else if let Some(err) = ev.done {
        tcp_done(sk, err);
    }
    if ev.state_change {
        sk.state_change();
    }
    if ev.readable {
        sk.data_ready();
    }
    if ev.writable {
        sk.write_space();
    }
}

/// `sk_stream_wait_memory()`: room in the send ring, or a reason to stop.
struct SendSpace;

impl WaitFor<TcpSock> for SendSpace {
    fn ready(sk: &TcpSk) -> bool {
        if sk.err() != 0 || sk.shutdown() & SEND_SHUTDOWN != 0 {
            return true;
        }
        let i = sk.data().inner.lock();
        i.conn().map_or(true, |c| c.snd_space() > 0 && c.writeable())
    }
}

/// `sk_stream_wait_connect()`: the handshake is over one way or another.
struct Connected;

impl WaitFor<TcpSock> for Connected {
    fn ready(sk: &TcpSk) -> bool {
        let s = sk.state();
        sk.err() != 0 || (s != TCP_SYN_SENT && s != TCP_SYN_RECV)
    }
}

/// `sk_wait_data()`: something to read, or a reason to stop.
struct Readable;

impl WaitFor<TcpSock> for Readable {
    fn ready(sk: &TcpSk) -> bool {
        if sk.err() != 0 || sk.shutdown() & RCV_SHUTDOWN != 0 || sk.state() == TCP_CLOSE {
            return true;
        }
        let i = sk.data().inner.lock();
        i.conn().map_or(true, |c| c.recv_state() != RecvState::Empty)
    }
}

/// `sock_error()`: the pending socket error, cleared, as an error to
/// return (`None` if there is none).
pub(crate) fn sock_error(sk: &TcpSk) -> Option<Error> {
    from_value(sk.take_err()).map(to_error)
}

/// `sk_stream_error()`: EPIPE raises SIGPIPE unless MSG_NOSIGNAL; a
/// pending socket error comes first.
fn stream_error(sk: &TcpSk, flags: i32, e: Error) -> Error {
    if e == to_error(Errno::Pipe) {
        if let Some(soft) = sock_error(sk) {
            return soft;
        }
        if flags & msg::NOSIGNAL == 0 {
            crate::sys::sock::sigpipe();
        }
    }
    e
}

/// Bytes copied per step between the caller's memory and a ring, under
/// the sock's spinlock: bounds how long bottom halves stay off on this CPU
/// (a timer of this sock spins meanwhile; segments go to the backlog, which
/// a send flushes between steps).
const STEP: usize = 64 * 1024;

/// `tcp_sendmsg_locked()`.
pub(crate) fn sendmsg(sk: &TcpSk, g: &SockLockGuard<'_, TcpSock>, m: &mut Msg, flags: i32) -> Result<usize> {
    let mut timeo = sk.sndtimeo(flags & msg::DONTWAIT != 0);
    let r = sendmsg_inner(sk, g, m, flags, &mut timeo);
    r.map_err(|e| stream_error(sk, flags, e))
}

fn sendmsg_inner(sk: &TcpSk, g: &SockLockGuard<'_, TcpSock>, m: &mut Msg, flags: i32, timeo: &mut Timeo) -> Result<usize> {
    let epipe = || to_error(Errno::Pipe);
    if flags & msg::OOB != 0 {
        // Urgent data is not sent (Linux sets the urgent pointer).
        return Err(to_error(Errno::OpNotSupp));
    }
    // sk_stream_wait_connect().
    loop {
        let s = sk.state();
        if s == TCP_ESTABLISHED || s == TCP_CLOSE_WAIT {
            break;
        }
        if let Some(e) = sock_error(sk) {
            return Err(e);
        }
        if s != TCP_SYN_SENT && s != TCP_SYN_RECV {
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
    while m.left() > 0 {
        if copied > 0 {
            // What arrived while this call owned the sock (ACKs freeing
            // room, the peer's data) is processed between copies
            // (sk_flush_backlog), not only when the call returns.
            sk.flush_backlog(g);
            // A writer that ACKs keep in room never sleeps: with faults
            // disabled the copy is no scheduling point, so this is (Linux's
            // copy_from_user is one under voluntary preemption).
            crate::sys::cond_resched();
        }
        if sk.err() != 0 || sk.shutdown() & SEND_SHUTDOWN != 0 {
            return if copied > 0 { Ok(copied) } else { Err(epipe()) };
        }
        let space = {
            let i = sk.data().inner.lock();
            match i.conn() {
                Some(c) if matches!(sk.state(), TCP_ESTABLISHED | TCP_CLOSE_WAIT) => c.snd_space() as usize,
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
        // The one copy: from the caller's memory straight into the send
        // ring, under the sock's lock with page faults off.
        let n = space.min(m.left()).min(STEP);
        let step = with_conn(sk, |c, tx| {
            if !matches!(c.state, TCP_ESTABLISHED | TCP_CLOSE_WAIT) {
                return None;
            }
            let mut short = false;
            let q = c.send_queue_with(n, |dst| {
                let k = m.copy_from_atomic(dst);
                short |= k < dst.len();
                k
            });
            if q > 0 {
                c.push_mark(more || m.left() > 0);
                c.push(tx, &now());
            }
            Some((q, short))
        });
        let Some((queued, short)) = step.flatten() else {
            // Reset, or timed out, meanwhile.
            return if copied > 0 { Ok(copied) } else { Err(epipe()) };
        };
        copied += queued;
        if queued == 0 && !short {
            // No page for the ring (GFP_ATOMIC failed).
            return if copied > 0 { Ok(copied) } else { Err(ENOMEM) };
        }
        if short && queued < n && m.fault_in(n - queued, false) == 0 {
            // The caller's memory is not there to be read.
            return if copied > 0 { Ok(copied) } else { Err(EFAULT) };
        }
    }
    Ok(copied)
}

/// `tcp_recvmsg()`/`tcp_recvmsg_locked()`.
pub(crate) fn recvmsg(sk: &TcpSk, g: &SockLockGuard<'_, TcpSock>, m: &mut Msg, flags: i32) -> Result<usize> {
    if flags & msg::ERRQUEUE != 0 {
        // inet_recv_error(): TCP queues no errors here, so it is empty.
        return Err(EAGAIN);
    }
    if sk.state() == TCP_LISTEN {
        return Err(to_error(Errno::NotConn));
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
    loop {
        // Copy what is there: the one copy, from the receive ring straight
        // to the caller's memory, under the sock's lock with page faults
        // off; consumed in the same step unless peeking.
        let n = (len - copied).min(STEP);
        let mut short = false;
        let mut take = |c: &TcpConn<KStore>, skip: u32, m: &mut Msg| {
            c.recv_copy_with(skip, n, |src| {
                if trunc {
                    return src.len();
                }
                let k = m.copy_to_atomic(src);
                short |= k < src.len();
                k
            })
        };
        let step = if peek {
            let i = sk.data().inner.lock();
            i.conn().map(|c| (take(c, copied as u32, m), c.recv_state(), c.fin_rcvd()))
        } else {
            with_conn(sk, |c, tx| {
                let got = take(c, 0, m);
                if got > 0 {
                    c.recv_done(got as u32, tx, &now());
                }
                (got, c.recv_state(), c.fin_rcvd())
            })
        };
        let (got, state, fin_rcvd) = step.unwrap_or((0, RecvState::Empty, false));
        copied += got;
        // A reader the peer keeps fed may loop here for long: as in
        // sendmsg, the copy is no scheduling point.
        crate::sys::cond_resched();
        if short {
            if m.fault_in(n - got, true) == 0 {
                // The caller's memory is not there to be written.
                return if copied > 0 { Ok(copied) } else { Err(EFAULT) };
            }
            continue;
        }
        if got > 0 {
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
            if timeo.is_zero() || sk.err() != 0 || sk.state() == TCP_CLOSE || sk.shutdown() & RCV_SHUTDOWN != 0 || signal_pending() {
                break;
            }
        } else {
            // Linux's order: the peer's FIN (SOCK_DONE), then a pending
            // error (a reset reads as ECONNRESET once, then as EOF
            // through RCV_SHUTDOWN), then the shutdown.
            if fin_rcvd {
                break;
            }
            if let Some(e) = sock_error(sk) {
                return Err(e);
            }
            if sk.shutdown() & RCV_SHUTDOWN != 0 {
                break;
            }
            if sk.state() == TCP_CLOSE {
                return Err(to_error(Errno::NotConn));
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
pub(crate) fn ioctl(sk: &TcpSk, cmd: u32) -> Result<Option<i32>> {
    let state = sk.state();
    let handshake = state == TCP_SYN_SENT || state == TCP_SYN_RECV;
    let i = sk.data().inner.lock();
    // In the handshake the queues read as empty.
    let c = i.conn().filter(|_| !handshake);
    let v = match cmd {
        SIOCINQ | SIOCOUTQ | SIOCOUTQNSD if state == TCP_LISTEN => return Err(EINVAL),
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
pub(crate) fn shutdown(sk: &TcpSk, how: i32, state: &mut crate::proto::af_inet::SocketState) -> Result {
    use crate::proto::af_inet::SocketState;
    let sd = inet_shutdown(how, sk.state(), *state).map_err(to_error)?;
    *state = sd.sock_state;
    match sd.action {
        ShutdownAction::Nothing => (),
        ShutdownAction::Disconnect => {
            sk.set_shutdown(sk.shutdown() | ((how + 1) as u8 & SHUTDOWN_MASK));
            if sk.state() == TCP_LISTEN {
                listen_stop(sk);
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
    match sd.err {
        Some(e) => Err(to_error(e)),
        None => Ok(()),
    }
}

/// `sk_stream_wait_close()`: until the FIN is acknowledged.
struct CloseDone;

impl WaitFor<TcpSock> for CloseDone {
    fn ready(sk: &TcpSk) -> bool {
        !matches!(sk.state(), TCP_FIN_WAIT1 | TCP_CLOSING | TCP_LAST_ACK)
    }
}

/// `tcp_close()`: a listener stops, an active open is disconnected (a
/// crossed-SYN one with a reset); a synchronised connection with unread
/// data, or with SO_LINGER 0, is reset; otherwise its FIN goes and it
/// lives on as an orphan with its timers (SO_LINGER with a time waits for
/// the FIN's ACK first). Whatever ends here gives its port back; the
/// caller orphans the sock next (`sock_orphan`), and a connection that
/// ends later as an orphan gives its port back in `tcp_done`.
pub(crate) fn close(sk: &TcpSk) {
    match sk.state() {
        TCP_LISTEN => listen_stop(sk),
        TCP_SYN_SENT | TCP_SYN_RECV => disconnect(sk),
        TCP_CLOSE => (),
        _ => {
            let g = sk.lock_sock();
            let unread = sk.data().inner.lock().conn().is_some_and(|c| c.data_was_unread());
            let linger = sk.linger();
            if unread || linger.as_ref().is_some_and(|t| t.is_zero()) {
                // tcp_close()'s "Unread data was tossed, zap the
                // connection" and SO_LINGER 0: the reset, then CLOSE.
                send_active_reset(sk);
                tcp_done(sk, None);
            } else {
                with_conn(sk, |c, tx| c.close(tx, &now()));
                if let Some(mut t) = linger {
                    let _ = sk.wait_locked::<CloseDone>(&g, &mut t);
                }
            }
            drop(g);
            if sk.state() != TCP_CLOSE {
                return;
            }
        }
    }
    sk.stop_timer(&sk.data().retrans_timer);
    sk.stop_timer(&sk.data().delack_timer);
    unbind(sk);
}
