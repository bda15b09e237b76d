// SPDX-License-Identifier: GPL-2.0

//! The Rust state of a rust_tcp sock (what `inet_sock`,
//! `inet_connection_sock` and `tcp_sock` add to `struct sock` in Linux),
//! carried after its `struct sock` by `sys::sock`. What a socket is — closed,
//! listening, connecting, synchronised — is one enum ([`Role`]), so each
//! operation matches on it and impossible combinations (a listener with a
//! connection, an accept queue on a connecting socket) cannot be built.

use crate::chunks::KStore;
use crate::fifo::Fifo;
use crate::new_spinlock_bh;
use crate::proto::tcp_conn::{Now, TcpConn};
use crate::proto::tcp_connect::ClientSock;
use crate::sys::lock::SpinLockBh;
use crate::sys::sock::Sock;
use crate::sys::timer::SockTimer;
use core::sync::atomic::AtomicUsize;
use kernel::prelude::*;
use kernel::alloc::KVec;
use kernel::types::ARef;

/// A rust_tcp sock.
pub(crate) type TcpSk = Sock<TcpSock>;
/// A reference to a rust_tcp sock that is ours (`sock_hold`ed).
pub(crate) type SockRef = ARef<TcpSk>;

/// The 4-tuple of a connection, from our side.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct FourTuple {
    pub(crate) laddr: [u8; 4],
    pub(crate) lport: u16,
    pub(crate) raddr: [u8; 4],
    pub(crate) rport: u16,
}

/// A listener's queues (`icsk_accept_queue`, `request_sock_queue`).
pub(crate) struct ListenQueue {
    /// Completed connections waiting for accept(), capacity backlog + 1.
    pub(crate) accept_queue: Fifo<SockRef>,
    /// Requests in the SYN queue, and those not yet timed out once
    /// (`qlen`, `young`).
    pub(crate) syn_qlen: u32,
    pub(crate) syn_young: u32,
    /// Jiffies of the last SYN-queue overflow answered with a cookie
    /// (`tcp_synq_overflow`'s `ts_recent_stamp`), 0 if never.
    pub(crate) last_overflow: u32,
}

impl ListenQueue {
    /// Empty queues; the accept queue takes `buf` as its room.
    pub(crate) fn new(buf: KVec<Option<SockRef>>) -> Self {
        let mut accept_queue = Fifo::new();
        drop(accept_queue.grow(buf));
        Self {
            accept_queue,
            syn_qlen: 0,
            syn_young: 0,
            last_overflow: 0,
        }
    }

    /// A request left the SYN queue (`reqsk_queue_removed`); `young` if
    /// it had never timed out.
    pub(crate) fn req_gone(&mut self, young: bool) {
        self.syn_qlen = self.syn_qlen.saturating_sub(1);
        if young {
            self.syn_young = self.syn_young.saturating_sub(1);
        }
    }
}

/// What the socket is, with the state only that role has.
pub(crate) enum Role {
    /// CLOSE: new, bound, or disconnected; no connection state.
    Closed,
    /// LISTEN: its SYN and accept queues.
    Listen(ListenQueue),
    /// An active open under way (SYN_SENT, or SYN_RECV after crossed SYNs):
    /// what `tcp_connect` set up and the SYN timer drives.
    Connecting(ClientSock),
    /// The synchronised connection, from ESTABLISHED until the sock is
    /// destroyed or disconnected (a connection that ended keeps its unread
    /// bytes readable, in state CLOSE).
    Synced(KBox<TcpConn<KStore>>),
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
    /// The role and its state.
    pub(crate) role: Role,
    /// MSS the user set with TCP_MAXSEG (0 = none).
    pub(crate) user_mss: u16,
    /// `write_seq` a later connect() starts from: 0 (a fresh ISN) until a
    /// disconnect leaves one (`tcp_disconnect`).
    pub(crate) write_seq: u32,
    /// `inet_id`: the IP ID of the next segment sent on this connection.
    pub(crate) inet_id: u16,
    /// TCP_SYNCNT (`icsk_syn_retries`); 0 = `tcp_syn_retries`.
    pub(crate) syn_retries: u8,
    /// IP_BIND_ADDRESS_NO_PORT: bind() leaves the port to connect().
    pub(crate) bind_address_no_port: bool,
    /// TCP_NODELAY.
    pub(crate) nodelay: bool,
    /// The page the connection's payload is copied into for transmission
    /// (`sk_page_frag`).
    pub(crate) frag: crate::sys::skb::PageFrag,
}

impl TcpInner {
    /// The IP ID for the next segment (`ip_select_ident_segs` of a
    /// connected socket: `inet_id`, then one more).
    pub(crate) fn next_ip_id(&mut self) -> u16 {
        let id = self.inet_id;
        self.inet_id = id.wrapping_add(1);
        id
    }

    /// The synchronised connection, if that is the role.
    pub(crate) fn conn(&self) -> Option<&TcpConn<KStore>> {
        match &self.role {
            Role::Synced(c) => Some(c),
            _ => None,
        }
    }

    pub(crate) fn conn_mut(&mut self) -> Option<&mut TcpConn<KStore>> {
        match &mut self.role {
            Role::Synced(c) => Some(c),
            _ => None,
        }
    }

    /// The listener's queues, if that is the role.
    pub(crate) fn listen_queue(&self) -> Option<&ListenQueue> {
        match &self.role {
            Role::Listen(q) => Some(q),
            _ => None,
        }
    }

    pub(crate) fn listen_queue_mut(&mut self) -> Option<&mut ListenQueue> {
        match &mut self.role {
            Role::Listen(q) => Some(q),
            _ => None,
        }
    }

    /// The active open under way, if that is the role.
    pub(crate) fn connecting(&self) -> Option<&ClientSock> {
        match &self.role {
            Role::Connecting(cs) => Some(cs),
            _ => None,
        }
    }

    pub(crate) fn connecting_mut(&mut self) -> Option<&mut ClientSock> {
        match &mut self.role {
            Role::Connecting(cs) => Some(cs),
            _ => None,
        }
    }
}

/// The retransmission timer's handler (`icsk_retransmit_timer`): SYN
/// retransmission in SYN_SENT/SYN_RECV, RTO and probes after (its code is
/// in `tcp_timer`).
pub(crate) struct RetransmitTimer;
/// The delayed-ACK timer's handler (`icsk_delack_timer`).
pub(crate) struct DelackTimer;

/// A rust_tcp sock's state.
#[pin_data]
pub(crate) struct TcpSock {
    /// Lock order: the socket lock (lock_sock), then this, then the tables
    /// (`inet_hashtables`). Softirq code never takes the socket lock.
    #[pin]
    pub(crate) inner: SpinLockBh<TcpInner>,
    #[pin]
    pub(crate) retrans_timer: SockTimer<RetransmitTimer>,
    #[pin]
    pub(crate) delack_timer: SockTimer<DelackTimer>,
    /// Its index among its bind bucket's owners (`inet_hashtables`), so
    /// releasing the port does not search them.
    pub(crate) bind_idx: AtomicUsize,
}

crate::impl_sock_timer!(TcpSock, retrans_timer, RetransmitTimer);
crate::impl_sock_timer!(TcpSock, delack_timer, DelackTimer);

impl TcpSock {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            inner <- new_spinlock_bh!(
                TcpInner {
                    rcv_saddr: [0; 4],
                    num: 0,
                    sport: 0,
                    tuple: None,
                    role: Role::Closed,
                    user_mss: 0,
                    write_seq: 0,
                    inet_id: 0,
                    syn_retries: 0,
                    bind_address_no_port: false,
                    nodelay: false,
                    frag: crate::sys::skb::PageFrag::new(),
                },
                "rust_tcp_sock"
            ),
            retrans_timer <- SockTimer::new(),
            delack_timer <- SockTimer::new(),
            bind_idx: AtomicUsize::new(0),
        })
    }
}

/// The clocks of a step, now.
pub(crate) fn now() -> Now {
    let (j, hz) = crate::sys::jiffies64();
    let ns = crate::sys::clock_ns();
    Now {
        us: ns / 1000,
        ms: (ns / 1_000_000) as u32,
        jiffies: j as u32,
        secs: (j / u64::from(hz.max(1))) as u32,
    }
}
