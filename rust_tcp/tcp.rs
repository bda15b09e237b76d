// SPDX-License-Identifier: GPL-2.0

//! The Rust state of a rust_tcp sock (what `inet_sock`, `inet_connection_sock`
//! and `tcp_sock` add to `struct sock` in Linux). It lives in the same
//! allocation as the `struct sock` (see `sys::sock`).

use crate::fifo::Fifo;
use crate::new_spinlock_bh;
use crate::proto::seq::SeqNum;
use crate::proto::tcp_minisocks::ChildInit;
use crate::sys::lock::SpinLockBh;
use crate::sys::sock::SockRef;
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
}

/// A rust_tcp sock's state.
#[pin_data]
pub(crate) struct TcpSock {
    /// Lock order: the socket lock (lock_sock), then the netns tables, then
    /// this. Softirq code takes the tables and this, never the socket lock.
    #[pin]
    pub(crate) inner: SpinLockBh<TcpInner>,
}

impl TcpSock {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- new_spinlock_bh!(
                TcpInner {
                    rcv_saddr: [0; 4],
                    num: 0,
                    tuple: None,
                    conn: Conn::default(),
                    accept_queue: Fifo::new(),
                    syn_qlen: 0,
                    syn_young: 0,
                    user_mss: 0,
                    last_overflow: 0,
                },
                "rust_tcp_sock"
            ),
        })
    }
}
