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
                },
                "rust_tcp_sock"
            ),
            retrans_timer <- SockTimer::new::<crate::tcp_timer::RetransmitTimer>(),
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
        if i.conn.synced {
            let max_window = i.conn.snd_wnd;
            i.write_seq = crate::proto::tcp_connect::disconnect_write_seq(i.conn.snd_nxt, max_window).0;
        }
        i.conn = Conn::default();
        i.active = None;
        u
    };
    sk.stop_timer(&sk.tcp().retrans_timer);
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
