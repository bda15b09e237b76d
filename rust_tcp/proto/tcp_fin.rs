// SPDX-License-Identifier: GPL-2.0

//! Connection teardown: the close half of net/ipv4/tcp.c and
//! net/ipv4/tcp_input.c, and `inet_shutdown()` of net/ipv4/af_inet.c.
//!
//! * Our side closes: `shutdown()` ([`inet_shutdown`], [`tcp_shutdown`]),
//!   `close()` ([`tcp_close`], [`data_was_unread`], [`tcp_disconnect`]) and
//!   the state it moves to ([`tcp_close_state`], Linux's `new_state[]`
//!   table: which states send a FIN).
//! * The peer's FIN ([`tcp_fin`]) and the acknowledgment of ours
//!   ([`fin_acked`], the FIN_WAIT1/CLOSING/LAST_ACK cases of
//!   `tcp_rcv_state_process()`), data after a shutdown ([`rcv_text`]).
//! * Orphans: what `close()` leaves behind ([`orphan_close`], the
//!   `adjudge_to_death` part of `__tcp_close()`), the FIN_WAIT2 timeout
//!   ([`tcp_fin_time`], TCP_LINGER2 and `net.ipv4.tcp_fin_timeout`) and the
//!   keepalive timer standing in for it ([`fin_wait2_keepalive`]).
//! * `poll()`: [`tcp_poll`].
//!
//! States are [`super::tcp_states`] values. Times are milliseconds
//! (jiffies at HZ = 1000); Linux stores them in jiffies as `int`.

use super::af_inet::SocketState;
use super::errno::Errno;
use super::seq::SeqNum;
use super::tcp_states::{
    TCP_CLOSE, TCP_CLOSE_WAIT, TCP_CLOSING, TCP_ESTABLISHED, TCP_FIN_WAIT1, TCP_FIN_WAIT2,
    TCP_LAST_ACK, TCP_LISTEN, TCP_NEW_SYN_RECV, TCP_SYN_RECV, TCP_SYN_SENT, TCP_TIME_WAIT,
};
use super::tcp_timewait::TCP_TIMEWAIT_LEN_MS;
use super::tcp_validate::tcp_reset_err;
use super::tcp_window::tcp_receive_window;

/// `RCV_SHUTDOWN` bit of `sk_shutdown`.
pub const RCV_SHUTDOWN: u8 = 1;
/// `SEND_SHUTDOWN` bit of `sk_shutdown`.
pub const SEND_SHUTDOWN: u8 = 2;
/// `SHUTDOWN_MASK`.
pub const SHUTDOWN_MASK: u8 = 3;
/// `SHUT_RD`.
pub const SHUT_RD: i32 = 0;
/// `SHUT_WR`.
pub const SHUT_WR: i32 = 1;
/// `SHUT_RDWR`.
pub const SHUT_RDWR: i32 = 2;

/// `TCP_FIN_TIMEOUT` in milliseconds: default `net.ipv4.tcp_fin_timeout`
/// (`TCP_TIMEWAIT_LEN`, 60 s).
pub const TCP_FIN_TIMEOUT_MS: i32 = TCP_TIMEWAIT_LEN_MS as i32;
/// `TCP_FIN_TIMEOUT_MAX` in milliseconds (120 s): the largest TCP_LINGER2.
pub const TCP_FIN_TIMEOUT_MAX_MS: i32 = 120_000;

/// The events `poll()` reports, as a set of named bits: the Linux
/// `EPOLL*` bits [`tcp_poll`] can set. The bit layout is private and is
/// not the `EPOLL*` one (those values are uapi and differ between
/// architectures, e.g. `EPOLLWRNORM`); the kernel side builds its
/// `__poll_t` from the accessors ([`PollMask::pollin`] is `EPOLLIN`, ...).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct PollMask(u8);

impl PollMask {
    /// No event.
    pub const EMPTY: Self = Self(0);
    /// `EPOLLIN`: readable (data, EOF, or a connection to accept).
    pub const IN: Self = Self(1 << 0);
    /// `EPOLLPRI`: urgent data.
    pub const PRI: Self = Self(1 << 1);
    /// `EPOLLOUT`: writable.
    pub const OUT: Self = Self(1 << 2);
    /// `EPOLLERR`: an error is pending.
    pub const ERR: Self = Self(1 << 3);
    /// `EPOLLHUP`: both directions shut down, or closed.
    pub const HUP: Self = Self(1 << 4);
    /// `EPOLLRDNORM`: normal data readable.
    pub const RDNORM: Self = Self(1 << 5);
    /// `EPOLLWRNORM`: normal data writable.
    pub const WRNORM: Self = Self(1 << 6);
    /// `EPOLLRDHUP`: the peer shut down writing (or we shut down reading).
    pub const RDHUP: Self = Self(1 << 7);

    /// The names, in `EPOLL*` value order, for `Debug`.
    const NAMES: [(Self, &'static str); 8] = [
        (Self::IN, "IN"),
        (Self::PRI, "PRI"),
        (Self::OUT, "OUT"),
        (Self::ERR, "ERR"),
        (Self::HUP, "HUP"),
        (Self::RDNORM, "RDNORM"),
        (Self::WRNORM, "WRNORM"),
        (Self::RDHUP, "RDHUP"),
    ];

    /// Both sets.
    #[inline]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Every event of `other` is in `self`.
    #[inline]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Some event of `other` is in `self`.
    #[inline]
    pub const fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// No event.
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `EPOLLIN`.
    #[inline]
    pub const fn pollin(self) -> bool {
        self.contains(Self::IN)
    }

    /// `EPOLLPRI`.
    #[inline]
    pub const fn pollpri(self) -> bool {
        self.contains(Self::PRI)
    }

    /// `EPOLLOUT`.
    #[inline]
    pub const fn pollout(self) -> bool {
        self.contains(Self::OUT)
    }

    /// `EPOLLERR`.
    #[inline]
    pub const fn pollerr(self) -> bool {
        self.contains(Self::ERR)
    }

    /// `EPOLLHUP`.
    #[inline]
    pub const fn pollhup(self) -> bool {
        self.contains(Self::HUP)
    }

    /// `EPOLLRDNORM`.
    #[inline]
    pub const fn pollrdnorm(self) -> bool {
        self.contains(Self::RDNORM)
    }

    /// `EPOLLWRNORM`.
    #[inline]
    pub const fn pollwrnorm(self) -> bool {
        self.contains(Self::WRNORM)
    }

    /// `EPOLLRDHUP`.
    #[inline]
    pub const fn pollrdhup(self) -> bool {
        self.contains(Self::RDHUP)
    }
}

impl core::ops::BitOr for PollMask {
    type Output = Self;
    #[inline]
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

impl core::ops::BitOrAssign for PollMask {
    #[inline]
    fn bitor_assign(&mut self, rhs: Self) {
        *self = self.union(rhs);
    }
}

impl core::ops::BitAnd for PollMask {
    type Output = Self;
    #[inline]
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

impl core::fmt::Debug for PollMask {
    // By name: the private bit values would mean nothing in a failed test.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let set = Self::NAMES.iter().filter(|(b, _)| self.contains(*b)).map(|(_, n)| n);
        f.debug_set().entries(set).finish()
    }
}

/// An entry of `new_state[]`: the state a close or `SHUT_WR` moves to and
/// whether a FIN goes out (`TCP_ACTION_FIN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseState {
    /// The new `sk_state`.
    pub new_state: u8,
    /// `tcp_send_fin()` follows.
    pub send_fin: bool,
}

/// Linux `tcp_close_state(sk)`: the `new_state[]` table. ESTABLISHED and
/// SYN_RECV go to FIN_WAIT1 and CLOSE_WAIT to LAST_ACK, each sending a FIN;
/// FIN_WAIT1, FIN_WAIT2, LAST_ACK and CLOSING stay (a FIN was already
/// queued); SYN_SENT, TIME_WAIT, CLOSE, LISTEN and NEW_SYN_RECV go to CLOSE
/// without one. The table's unnamed entries (state 0 and 13..=15) hold 0 and
/// so does this beyond it.
pub const fn tcp_close_state(state: u8) -> CloseState {
    let (new_state, send_fin) = match state {
        0 => (TCP_CLOSE, false),
        TCP_ESTABLISHED => (TCP_FIN_WAIT1, true),
        TCP_SYN_SENT => (TCP_CLOSE, false),
        TCP_SYN_RECV => (TCP_FIN_WAIT1, true),
        TCP_FIN_WAIT1 => (TCP_FIN_WAIT1, false),
        TCP_FIN_WAIT2 => (TCP_FIN_WAIT2, false),
        TCP_TIME_WAIT => (TCP_CLOSE, false),
        TCP_CLOSE => (TCP_CLOSE, false),
        TCP_CLOSE_WAIT => (TCP_LAST_ACK, true),
        TCP_LAST_ACK => (TCP_LAST_ACK, false),
        TCP_LISTEN => (TCP_CLOSE, false),
        TCP_CLOSING => (TCP_CLOSING, false),
        TCP_NEW_SYN_RECV => (TCP_CLOSE, false),
        _ => (0, false),
    };
    CloseState {
        new_state,
        send_fin,
    }
}

/// Linux `tcp_shutdown(sk, how)`: with `SEND_SHUTDOWN` in `how` and the
/// socket in ESTABLISHED, SYN_SENT or CLOSE_WAIT, [`tcp_close_state`]
/// (FIN if it says so); otherwise nothing (`None`): a FIN was sent already
/// or the state is closed. A SYN_RECV socket (simultaneous open) defers it:
/// `tcp_rcv_state_process()` calls `tcp_shutdown(sk, SEND_SHUTDOWN)` when it
/// becomes ESTABLISHED with `SEND_SHUTDOWN` set.
pub const fn tcp_shutdown(state: u8, how: u8) -> Option<CloseState> {
    if how & SEND_SHUTDOWN == 0 {
        return None;
    }
    match state {
        TCP_ESTABLISHED | TCP_SYN_SENT | TCP_CLOSE_WAIT => Some(tcp_close_state(state)),
        _ => None,
    }
}

/// What [`inet_shutdown`] does to the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownAction {
    /// `sk_shutdown |= bits`, then `tcp_shutdown()`: `close` is its
    /// [`tcp_shutdown`] result (state change and FIN, if any).
    Shutdown {
        /// `RCV_SHUTDOWN` and/or `SEND_SHUTDOWN`.
        bits: u8,
        /// State change from `tcp_shutdown()`.
        close: Option<CloseState>,
    },
    /// `tcp_disconnect(sk, O_NONBLOCK)` ([`tcp_disconnect`]): a listener
    /// shut down for reading, or a SYN_SENT socket. `sk_shutdown` is not
    /// changed.
    Disconnect,
    /// A listener shut down for writing only: nothing.
    Nothing,
}

/// The outcome of a valid `shutdown()` call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shutdown {
    /// `None` (success), or `ENOTCONN` for a socket in CLOSE, whose
    /// `sk_shutdown` is still updated ("Hack to wake up other listeners").
    pub err: Option<Errno>,
    /// What to do.
    pub action: ShutdownAction,
    /// The new `socket->state`.
    pub sock_state: SocketState,
}

/// Linux `inet_shutdown(sock, how)` (6.12).
///
/// `how + 1` must be 1, 2 or 3 (`SHUT_RD`, `SHUT_WR`, `SHUT_RDWR` as
/// `RCV_SHUTDOWN`, `SEND_SHUTDOWN`, both), else `Err(EINVAL)` with no
/// effect. An `SS_CONNECTING` socket becomes `SS_DISCONNECTING` when in
/// SYN_SENT, SYN_RECV or CLOSE, else `SS_CONNECTED`. Then by `sk_state`:
/// CLOSE → `ENOTCONN` but the bits are still set; LISTEN with `SHUT_WR`
/// only → nothing; LISTEN otherwise and SYN_SENT → disconnect, `socket->state
/// = SS_UNCONNECTED` (`tcp_disconnect()` returns 0); any other state → set
/// the bits and run [`tcp_shutdown`]. Every case ends with
/// `sk_state_change()` (wake pollers).
pub fn inet_shutdown(how: i32, sk_state: u8, sock_state: SocketState) -> Result<Shutdown, Errno> {
    // "maps 0->1 has the advantage of making bit 1 rcvs and 1->2 bit 2
    // snds. 2->3"; MAXINT wraps to a negative value, refused like 0.
    let how = how.wrapping_add(1);
    if how & !i32::from(SHUTDOWN_MASK) != 0 || how == 0 {
        return Err(Errno::Inval);
    }
    let bits = how as u8;
    let mut sock_state = sock_state;
    if sock_state == SocketState::Connecting {
        sock_state = if matches!(sk_state, TCP_SYN_SENT | TCP_SYN_RECV | TCP_CLOSE) {
            SocketState::Disconnecting
        } else {
            SocketState::Connected
        };
    }
    let disconnect = Shutdown {
        err: None,
        action: ShutdownAction::Disconnect,
        sock_state: SocketState::Unconnected,
    };
    let out = match sk_state {
        TCP_LISTEN if bits & RCV_SHUTDOWN == 0 => Shutdown {
            err: None,
            action: ShutdownAction::Nothing,
            sock_state,
        },
        TCP_LISTEN | TCP_SYN_SENT => disconnect,
        _ => Shutdown {
            err: if sk_state == TCP_CLOSE { Some(Errno::NotConn) } else { None },
            action: ShutdownAction::Shutdown {
                bits,
                close: tcp_shutdown(sk_state, bits),
            },
            sock_state,
        },
    };
    Ok(out)
}

/// The states `tcp_need_reset()` lists ("These states need RST on ABORT
/// according to RFC793"): ESTABLISHED, CLOSE_WAIT, FIN_WAIT1, FIN_WAIT2,
/// SYN_RECV.
pub const fn tcp_need_reset(state: u8) -> bool {
    matches!(
        state,
        TCP_ESTABLISHED | TCP_CLOSE_WAIT | TCP_FIN_WAIT1 | TCP_FIN_WAIT2 | TCP_SYN_RECV
    )
}

/// The abort part of Linux `tcp_disconnect(sk, flags)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disconnect {
    /// The old state was LISTEN: `inet_csk_listen_stop()` (children and
    /// requests are dropped, those in the accept queue reset).
    pub listen_stop: bool,
    /// `tcp_send_active_reset()`: send an RST (`seq = snd_nxt`, RST|ACK).
    pub rst: bool,
    /// The error left in `sk_err`.
    pub err: Option<Errno>,
}

/// Linux `tcp_disconnect()`'s "ABORT function of RFC793": the state
/// becomes CLOSE; a listener stops; under TCP_REPAIR `ECONNABORTED`; in a
/// [`tcp_need_reset`] state an RST and `ECONNRESET`; in CLOSING or LAST_ACK
/// with unsent data (`snd_nxt != write_seq`) likewise ("adjusts for
/// discrepancy of Linux wrt. RFC states"); in SYN_SENT `ECONNRESET`
/// without a reset. Afterwards every queue is purged, `copied_seq =
/// rcv_nxt`, `sk_shutdown = 0` and the SACK state cleared.
pub const fn tcp_disconnect(old_state: u8, repair: bool, unsent_data: bool) -> Disconnect {
    let mut d = Disconnect {
        listen_stop: false,
        rst: false,
        err: None,
    };
    if old_state == TCP_LISTEN {
        d.listen_stop = true;
    } else if repair {
        d.err = Some(Errno::ConnAborted);
    } else if tcp_need_reset(old_state)
        || (unsent_data && matches!(old_state, TCP_CLOSING | TCP_LAST_ACK))
    {
        d.rst = true;
        d.err = Some(Errno::ConnReset);
    } else if old_state == TCP_SYN_SENT {
        d.err = Some(Errno::ConnReset);
    }
    d
}

/// The receive-queue scan of `__tcp_close()`: some queued byte was never
/// read. Every queued segment ends at or before `rcv_nxt`; a FIN does not
/// count as data (`end_seq--`), so when `fin_rcvd` (the peer's FIN is at
/// `rcv_nxt - 1`) the data ends one earlier. True when that end is after
/// `copied_seq`.
pub fn data_was_unread(rcv_nxt: SeqNum, copied_seq: SeqNum, fin_rcvd: bool) -> bool {
    let end = rcv_nxt - u32::from(fin_rcvd);
    end.after(copied_seq)
}

/// Inputs of [`tcp_close`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseCtx {
    /// `sk_state`.
    pub state: u8,
    /// [`data_was_unread`].
    pub data_was_unread: bool,
    /// `SO_LINGER` with `l_linger == 0` (`SOCK_LINGER && !sk_lingertime`).
    pub linger_zero: bool,
    /// `tp->repair` (TCP_REPAIR).
    pub repair: bool,
    /// `snd_nxt != write_seq` (for [`tcp_disconnect`]).
    pub unsent_data: bool,
}

/// What `__tcp_close()` does before orphaning the socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseAction {
    /// A listener: CLOSE and `inet_csk_listen_stop()`.
    ListenStop,
    /// Already CLOSE (e.g. reset by the peer): nothing to send.
    AlreadyClosed,
    /// TCP_REPAIR, or `SO_LINGER` 0 (`TCPAbortOnData`):
    /// `tcp_disconnect(sk, 0)`.
    Disconnect(Disconnect),
    /// Unread data was thrown away (`TCPAbortOnClose`, RFC 2525 2.17):
    /// CLOSE and `tcp_send_active_reset()`.
    AbortUnread,
    /// [`tcp_close_state`] said FIN: the state moves to `new_state` and a
    /// FIN goes out. Then, with SO_LINGER, `close()` waits while the state
    /// is FIN_WAIT1, CLOSING or LAST_ACK (`sk_stream_wait_close()`).
    Fin(CloseState),
    /// [`tcp_close_state`] without FIN: just the new state.
    NoFin(u8),
}

/// The decision of Linux `__tcp_close(sk, timeout)` (6.12), in its order:
/// LISTEN; (receive queue purged: [`data_was_unread`]) CLOSE; TCP_REPAIR;
/// unread data → reset; `SO_LINGER` 0 → [`tcp_disconnect`] (reset in the
/// synchronised states); else [`tcp_close_state`]. `sk_shutdown` becomes
/// `SHUTDOWN_MASK` in every case; what follows is [`orphan_close`].
pub const fn tcp_close(ctx: &CloseCtx) -> CloseAction {
    if ctx.state == TCP_LISTEN {
        return CloseAction::ListenStop;
    }
    if ctx.state == TCP_CLOSE {
        return CloseAction::AlreadyClosed;
    }
    if ctx.repair {
        return CloseAction::Disconnect(tcp_disconnect(ctx.state, true, ctx.unsent_data));
    }
    if ctx.data_was_unread {
        return CloseAction::AbortUnread;
    }
    if ctx.linger_zero {
        return CloseAction::Disconnect(tcp_disconnect(ctx.state, false, ctx.unsent_data));
    }
    let cs = tcp_close_state(ctx.state);
    if cs.send_fin {
        CloseAction::Fin(cs)
    } else {
        CloseAction::NoFin(cs.new_state)
    }
}

/// Linux `tcp_fin_time(sk)`: how long an orphaned FIN_WAIT2 socket lives:
/// TCP_LINGER2 (`linger2`, ms) if non-zero, else `net.ipv4.tcp_fin_timeout`
/// (ms), but at least 3.5 RTOs (`(rto << 2) - (rto >> 1)`, `int`
/// arithmetic). Linux halves the RTO in jiffies, so for an odd number of
/// jiffies its floor is half a jiffy longer than this one in milliseconds
/// (2 ms at HZ = 250); pass jiffies in all three for a bit-exact result.
pub const fn tcp_fin_time(linger2: i32, fin_timeout: i32, rto_ms: u32) -> i32 {
    let fin_timeout = if linger2 != 0 { linger2 } else { fin_timeout };
    let rto = rto_ms as i32;
    let min = rto.wrapping_shl(2).wrapping_sub(rto >> 1);
    if fin_timeout < min {
        min
    } else {
        fin_timeout
    }
}

/// `setsockopt(TCP_LINGER2, val)` (seconds): negative → -1 (orphans in
/// FIN_WAIT2 are reset at once), above 120 → [`TCP_FIN_TIMEOUT_MAX_MS`],
/// else `val` seconds in ms (0 means "use tcp_fin_timeout").
pub const fn linger2_from_sockopt(val: i32) -> i32 {
    if val < 0 {
        -1
    } else if val > TCP_FIN_TIMEOUT_MAX_MS / 1000 {
        TCP_FIN_TIMEOUT_MAX_MS
    } else {
        val * 1000
    }
}

/// `getsockopt(TCP_LINGER2)` in seconds: -1 stays, else `linger2` (or
/// `tcp_fin_timeout` when 0) divided down.
pub const fn linger2_to_sockopt(linger2: i32, fin_timeout: i32) -> i32 {
    if linger2 >= 0 {
        let v = if linger2 != 0 { linger2 } else { fin_timeout };
        v / 1000
    } else {
        linger2
    }
}

/// Why an orphan is reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortReason {
    /// FIN_WAIT2 with TCP_LINGER2 < 0 (`TCPAbortOnLinger`).
    Linger,
    /// Too many orphans or out of socket memory (`TCPAbortOnMemory`).
    Memory,
}

/// What happens to the socket once `close()` has orphaned it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrphanClose {
    /// Already CLOSE: `inet_csk_destroy_sock()`.
    Destroy,
    /// Lives on as an orphan until the protocol finishes it.
    Keep,
    /// FIN_WAIT2 with [`tcp_fin_time`] above 60 s: lives on, the keepalive
    /// timer armed for `tmo - 60 s` ([`fin_wait2_keepalive`] then).
    KeepaliveTimer(u32),
    /// FIN_WAIT2: replaced by a timewait socket in substate FIN_WAIT2
    /// (`tcp_time_wait(sk, TCP_FIN_WAIT2, tmo)`, see
    /// [`super::tcp_timewait::time_wait_timeo`]).
    TimeWait {
        /// `tmo` ([`tcp_fin_time`]).
        timeo: i32,
    },
    /// CLOSE and `tcp_send_active_reset()`; then destroyed.
    Reset(AbortReason),
}

/// The `adjudge_to_death` part of `__tcp_close()` for the state the socket
/// is in after [`tcp_close`] (and lingering). `oom` is
/// `tcp_check_oom(sk, 0)` (too many orphans or socket memory above
/// `tcp_mem[2]`). A FIN_WAIT2 orphan: reset when `linger2 < 0`, else a
/// keepalive timer when [`tcp_fin_time`] exceeds `TCP_TIMEWAIT_LEN`, else
/// timewait; then any state but CLOSE is reset when `oom` (also after the
/// keepalive timer was armed). A dying netns (`!check_net()`) is not
/// modelled.
pub const fn orphan_close(state: u8, linger2: i32, fin_time: i32, oom: bool) -> OrphanClose {
    let mut keepalive = None;
    if state == TCP_FIN_WAIT2 {
        if linger2 < 0 {
            return OrphanClose::Reset(AbortReason::Linger);
        }
        if fin_time > TCP_TIMEWAIT_LEN_MS as i32 {
            keepalive = Some((fin_time - TCP_TIMEWAIT_LEN_MS as i32) as u32);
        } else {
            return OrphanClose::TimeWait { timeo: fin_time };
        }
    }
    if state == TCP_CLOSE {
        return OrphanClose::Destroy;
    }
    if oom {
        return OrphanClose::Reset(AbortReason::Memory);
    }
    match keepalive {
        Some(t) => OrphanClose::KeepaliveTimer(t),
        None => OrphanClose::Keep,
    }
}

/// What the keepalive timer does to an orphaned FIN_WAIT2 socket
/// (`tcp_keepalive_timer()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinWait2Timer {
    /// `tcp_time_wait(sk, TCP_FIN_WAIT2, timeo)` for the rest of the time.
    TimeWait {
        /// `tcp_fin_time() - TCP_TIMEWAIT_LEN`.
        timeo: i32,
    },
    /// `tcp_send_active_reset()` and `tcp_done()`.
    Reset,
}

/// `tcp_keepalive_timer()` on an orphaned (`SOCK_DEAD`) FIN_WAIT2 socket:
/// with `linger2 >= 0` and time left beyond `TCP_TIMEWAIT_LEN`, timewait for
/// the rest; otherwise reset.
pub const fn fin_wait2_keepalive(linger2: i32, fin_time: i32) -> FinWait2Timer {
    if linger2 >= 0 {
        let tmo = fin_time.wrapping_sub(TCP_TIMEWAIT_LEN_MS as i32);
        if tmo > 0 {
            return FinWait2Timer::TimeWait { timeo: tmo };
        }
    }
    FinWait2Timer::Reset
}

/// What the peer's FIN does to the state (`tcp_fin()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinRcv {
    /// SYN_RECV or ESTABLISHED → CLOSE_WAIT, and
    /// `inet_csk_enter_pingpong_mode()` (the ACK may wait for our reply).
    CloseWait,
    /// CLOSE_WAIT or CLOSING (a retransmitted FIN) and LAST_ACK ("Remain in
    /// the LAST-ACK state"): no change.
    Stay,
    /// FIN_WAIT1 → CLOSING (simultaneous close): `tcp_send_ack()` now.
    Closing,
    /// FIN_WAIT2: `tcp_send_ack()` now, then `tcp_time_wait(sk,
    /// TCP_TIME_WAIT, 0)`.
    TimeWait,
    /// LISTEN, CLOSE or another state ("Impossible", logged): no change.
    Impossible,
}

impl FinRcv {
    /// The state after the FIN, from the state before.
    pub const fn new_state(self, old: u8) -> u8 {
        match self {
            Self::CloseWait => TCP_CLOSE_WAIT,
            Self::Closing => TCP_CLOSING,
            Self::TimeWait => TCP_TIME_WAIT,
            Self::Stay | Self::Impossible => old,
        }
    }
}

/// Linux `tcp_fin(sk)`: the peer's FIN has become in-sequence. Besides the
/// transition returned, in every state: `inet_csk_schedule_ack()`,
/// `sk_shutdown |= RCV_SHUTDOWN`, `SOCK_DONE`, the out-of-order queue
/// purged and the SACK state reset
/// ([`super::tcp_ofo::Reassembly::fin_purge`]), and, unless orphaned,
/// `sk_state_change()` plus SIGIO with `POLL_HUP` when [`fin_wake_hup`],
/// else `POLL_IN`.
pub const fn tcp_fin(state: u8) -> FinRcv {
    match state {
        TCP_SYN_RECV | TCP_ESTABLISHED => FinRcv::CloseWait,
        TCP_CLOSE_WAIT | TCP_CLOSING | TCP_LAST_ACK => FinRcv::Stay,
        TCP_FIN_WAIT1 => FinRcv::Closing,
        TCP_FIN_WAIT2 => FinRcv::TimeWait,
        _ => FinRcv::Impossible,
    }
}

/// `tcp_fin()`'s async wake-up kind: `POLL_HUP` when both directions are
/// shut down or the socket is closed ("Do not send POLL_HUP for half
/// duplex close"), else `POLL_IN`.
pub const fn fin_wake_hup(sk_shutdown: u8, state: u8) -> bool {
    sk_shutdown == SHUTDOWN_MASK || state == TCP_CLOSE
}

/// Inputs of [`fin_acked`]: the socket after `tcp_ack()` accepted the
/// segment, and the segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FinAckCtx {
    /// `sk_state`.
    pub state: u8,
    /// `snd_una == write_seq`: everything we sent, FIN included, is acked.
    pub all_acked: bool,
    /// `SOCK_DEAD`: the socket was orphaned by `close()`.
    pub dead: bool,
    /// `tp->linger2` (ms, -1 for "reset").
    pub linger2: i32,
    /// [`tcp_fin_time`] of the socket.
    pub fin_time: i32,
    /// `sock_owned_by_user()` (a user context holds the socket lock).
    pub owned_by_user: bool,
    /// The segment's `seq`.
    pub seq: SeqNum,
    /// The segment's `end_seq` (SYN, FIN and payload counted).
    pub end_seq: SeqNum,
    /// The segment has FIN.
    pub fin: bool,
    /// `rcv_nxt`.
    pub rcv_nxt: SeqNum,
}

/// What the acknowledgment of our FIN does (step 5 of
/// `tcp_rcv_state_process()`, after `tcp_ack()`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinAcked {
    /// Not all acked yet, or a state without a FIN to ack: go on.
    Continue,
    /// FIN_WAIT1 → FIN_WAIT2, `sk_shutdown |= SEND_SHUTDOWN`,
    /// `sk_dst_confirm()`; processing goes on (URG, data). A socket still
    /// owned by the application is woken (a lingering `close()`); for an
    /// orphan `keepalive` is the keepalive timer to arm (its expiry is
    /// [`fin_wait2_keepalive`]).
    FinWait2 {
        /// `inet_csk_reset_keepalive_timer()` length, for orphans.
        keepalive: Option<u32>,
    },
    /// FIN_WAIT1 → FIN_WAIT2 for an orphan, straight into a timewait socket
    /// in substate FIN_WAIT2 (`tcp_time_wait(sk, TCP_FIN_WAIT2, tmo)`); the
    /// segment is consumed.
    FinWait2TimeWait {
        /// `tmo` ([`tcp_fin_time`]).
        timeo: i32,
    },
    /// An orphan in FIN_WAIT1 whose FIN was acked, with TCP_LINGER2 < 0 or a
    /// segment bringing new data or an out-of-order FIN: `tcp_done()`
    /// without a reset (`TCPAbortOnData`); the segment is dropped.
    Abort,
    /// CLOSING → `tcp_time_wait(sk, TCP_TIME_WAIT, 0)`; consumed.
    TimeWait,
    /// LAST_ACK → `tcp_update_metrics()`, `tcp_done()` (CLOSE); consumed.
    Close,
}

/// The FIN_WAIT1, CLOSING and LAST_ACK cases of `tcp_rcv_state_process()`
/// (6.12.117, no Fast Open).
///
/// FIN_WAIT1 once everything is acked: FIN_WAIT2; an application-owned
/// socket is only woken. An orphan: `linger2 < 0` → [`FinAcked::Abort`];
/// data or FIN beyond `rcv_nxt` (`end_seq != seq && after(end_seq - fin,
/// rcv_nxt)`: "Receive out of order FIN after close()") → `Abort`; then with
/// `tmo` = [`tcp_fin_time`]: above `TCP_TIMEWAIT_LEN` → keepalive timer for
/// `tmo - TCP_TIMEWAIT_LEN`; a FIN in this segment, or the socket owned by
/// the user → keepalive timer for `tmo` ("We could lose such FIN
/// otherwise"); else timewait.
pub fn fin_acked(ctx: &FinAckCtx) -> FinAcked {
    if !ctx.all_acked {
        return FinAcked::Continue;
    }
    match ctx.state {
        TCP_FIN_WAIT1 => {
            if !ctx.dead {
                return FinAcked::FinWait2 { keepalive: None };
            }
            if ctx.linger2 < 0 {
                return FinAcked::Abort;
            }
            let fin = u32::from(ctx.fin);
            if ctx.end_seq != ctx.seq && (ctx.end_seq - fin).after(ctx.rcv_nxt) {
                return FinAcked::Abort;
            }
            let tmo = ctx.fin_time;
            if tmo > TCP_TIMEWAIT_LEN_MS as i32 {
                FinAcked::FinWait2 {
                    keepalive: Some((tmo - TCP_TIMEWAIT_LEN_MS as i32) as u32),
                }
            } else if ctx.fin || ctx.owned_by_user {
                FinAcked::FinWait2 {
                    keepalive: Some(tmo.max(0) as u32),
                }
            } else {
                FinAcked::FinWait2TimeWait { timeo: tmo }
            }
        }
        TCP_CLOSING => FinAcked::TimeWait,
        TCP_LAST_ACK => FinAcked::Close,
        _ => FinAcked::Continue,
    }
}

/// What step 7 of `tcp_rcv_state_process()` does with the segment text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextAction {
    /// `tcp_data_queue()` ([`super::tcp_ofo::Reassembly::data_queue`]).
    Queue,
    /// Not queued (the peer's FIN was already received and the segment
    /// starts at or beyond it, or a state that takes no data): dropped
    /// after the ACK checks.
    Ignore,
    /// New data after our side shut down reading (RFC 1122 "MUST send a
    /// reset"; `TCPAbortOnData`): `tcp_reset()` with this error.
    Reset {
        /// `ECONNRESET` (`EPIPE` in CLOSE_WAIT).
        err: Errno,
    },
}

/// Step 7 of `tcp_rcv_state_process()` ("process the segment text"):
/// in CLOSE_WAIT, CLOSING and LAST_ACK a segment not starting before
/// `rcv_nxt` is ignored; otherwise in those and in FIN_WAIT1/FIN_WAIT2,
/// with `RCV_SHUTDOWN` set, a segment bringing sequence space beyond
/// `rcv_nxt` (other than its FIN) resets the connection; ESTABLISHED and
/// the rest queue. Other states ignore the text.
pub fn rcv_text(
    state: u8,
    sk_shutdown: u8,
    seq: SeqNum,
    end_seq: SeqNum,
    fin: bool,
    rcv_nxt: SeqNum,
) -> TextAction {
    match state {
        TCP_CLOSE_WAIT | TCP_CLOSING | TCP_LAST_ACK if !seq.before(rcv_nxt) => TextAction::Ignore,
        TCP_CLOSE_WAIT | TCP_CLOSING | TCP_LAST_ACK | TCP_FIN_WAIT1 | TCP_FIN_WAIT2 => {
            if sk_shutdown & RCV_SHUTDOWN != 0
                && end_seq != seq
                && (end_seq - u32::from(fin)).after(rcv_nxt)
            {
                match tcp_reset_err(state) {
                    Some(err) => TextAction::Reset { err },
                    None => TextAction::Ignore,
                }
            } else {
                TextAction::Queue
            }
        }
        TCP_ESTABLISHED => TextAction::Queue,
        _ => TextAction::Ignore,
    }
}

/// What [`tcp_poll`] reads. Sizes are the C `int`s of `struct sock`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollInput {
    /// `sk_state`.
    pub state: u8,
    /// `sk_shutdown`.
    pub sk_shutdown: u8,
    /// LISTEN only: the accept queue is not empty.
    pub accept_queue_nonempty: bool,
    /// `rcv_nxt`.
    pub rcv_nxt: SeqNum,
    /// `copied_seq`: next byte the application reads.
    pub copied_seq: SeqNum,
    /// `sk_rcvlowat` (SO_RCVLOWAT, default 1).
    pub rcvlowat: i32,
    /// `urg_data` is set, `urg_seq == copied_seq` and not SO_OOBINLINE: the
    /// urgent byte does not count towards `rcvlowat`.
    pub urg_at_copied: bool,
    /// `urg_data & TCP_URG_VALID`: urgent data to read (`EPOLLPRI`).
    pub urg_valid: bool,
    /// `tcp_under_memory_pressure(sk)`.
    pub memory_pressure: bool,
    /// `sk_rmem_alloc`.
    pub rmem_alloc: i32,
    /// `sk_rcvbuf`.
    pub rcvbuf: i32,
    /// `rcv_wup`.
    pub rcv_wup: SeqNum,
    /// `rcv_wnd`.
    pub rcv_wnd: u32,
    /// `icsk_ack.rcv_mss`.
    pub rcv_mss: u32,
    /// `sk_sndbuf`.
    pub sndbuf: i32,
    /// `sk_wmem_queued`.
    pub wmem_queued: i32,
    /// `write_seq - snd_nxt`: bytes written but not sent.
    pub notsent_bytes: u32,
    /// `tcp_notsent_lowat(tp)`: TCP_NOTSENT_LOWAT, else
    /// `net.ipv4.tcp_notsent_lowat` (default `u32::MAX`).
    pub notsent_lowat: u32,
    /// `sk_err` is set.
    pub sk_err: bool,
    /// `sk_error_queue` is not empty.
    pub error_queue_nonempty: bool,
}

/// The result of [`tcp_poll`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollResult {
    /// The events.
    pub mask: PollMask,
    /// Not writeable although writing is allowed: Linux sets
    /// `SOCKWQ_ASYNC_NOSPACE` and `SOCK_NOSPACE` so that freeing send space
    /// wakes the poller (the mask is computed as the re-check after those
    /// flags, with the same inputs).
    pub nospace: bool,
}

/// Linux `tcp_epollin_ready(sk, target)`: some bytes are readable and
/// either `target` of them, or receive memory is short (memory pressure or
/// `rmem_alloc` above 7/8 of `rcvbuf`), or what is left of the advertised
/// window is at most one `rcv_mss` (the peer cannot send more).
pub fn tcp_epollin_ready(p: &PollInput, target: i32) -> bool {
    let avail = p.rcv_nxt.0.wrapping_sub(p.copied_seq.0) as i32;
    if avail <= 0 {
        return false;
    }
    let rmem_pressure = p.memory_pressure || p.rmem_alloc > p.rcvbuf - (p.rcvbuf >> 3);
    avail >= target
        || rmem_pressure
        || tcp_receive_window(p.rcv_wup, p.rcv_wnd, p.rcv_nxt) <= p.rcv_mss
}

/// Linux `__sk_stream_is_writeable(sk, 1)` for TCP: free send space is at
/// least a third of the total (`sndbuf - wmem_queued >= wmem_queued / 2`),
/// `wmem_queued < sndbuf`, and `tcp_stream_memory_free(sk, 1)`:
/// `(notsent_bytes << 1) < notsent_lowat`.
pub fn sk_stream_is_writeable(p: &PollInput) -> bool {
    let wspace = p.sndbuf.wrapping_sub(p.wmem_queued);
    wspace >= (p.wmem_queued >> 1)
        && p.wmem_queued < p.sndbuf
        && p.notsent_bytes.wrapping_shl(1) < p.notsent_lowat
}

/// Linux `tcp_poll()` (6.12), without Fast Open (a SYN_RECV socket here is
/// never a passive Fast Open child, and `DEFER_CONNECT` is never set):
///
/// * LISTEN: `EPOLLIN | EPOLLRDNORM` when the accept queue is non-empty.
/// * `EPOLLHUP` when both directions are shut down or the state is CLOSE.
/// * `EPOLLIN | EPOLLRDNORM | EPOLLRDHUP` when `RCV_SHUTDOWN`.
/// * Except in SYN_SENT and SYN_RECV: `EPOLLIN | EPOLLRDNORM` when
///   [`tcp_epollin_ready`] for `target` = SO_RCVLOWAT (at least 1, one more
///   when the next byte is the urgent byte); `EPOLLOUT | EPOLLWRNORM` when
///   `SEND_SHUTDOWN` or [`sk_stream_is_writeable`]; `EPOLLPRI` for valid
///   urgent data.
/// * `EPOLLERR` when `sk_err` or the error queue is non-empty.
pub fn tcp_poll(p: &PollInput) -> PollResult {
    if p.state == TCP_LISTEN {
        let mask = if p.accept_queue_nonempty {
            PollMask::IN | PollMask::RDNORM
        } else {
            PollMask::EMPTY
        };
        return PollResult {
            mask,
            nospace: false,
        };
    }
    let mut mask = PollMask::EMPTY;
    let mut nospace = false;
    let shutdown = p.sk_shutdown;
    if shutdown == SHUTDOWN_MASK || p.state == TCP_CLOSE {
        mask |= PollMask::HUP;
    }
    if shutdown & RCV_SHUTDOWN != 0 {
        mask |= PollMask::IN | PollMask::RDNORM | PollMask::RDHUP;
    }
    if p.state != TCP_SYN_SENT && p.state != TCP_SYN_RECV {
        // sock_rcvlowat(sk, 0, INT_MAX)
        let mut target = if p.rcvlowat == 0 { 1 } else { p.rcvlowat };
        if p.urg_at_copied {
            target = target.wrapping_add(1);
        }
        if tcp_epollin_ready(p, target) {
            mask |= PollMask::IN | PollMask::RDNORM;
        }
        if shutdown & SEND_SHUTDOWN == 0 {
            if sk_stream_is_writeable(p) {
                mask |= PollMask::OUT | PollMask::WRNORM;
            } else {
                nospace = true;
            }
        } else {
            mask |= PollMask::OUT | PollMask::WRNORM;
        }
        if p.urg_valid {
            mask |= PollMask::PRI;
        }
    }
    if p.sk_err || p.error_queue_nonempty {
        mask |= PollMask::ERR;
    }
    PollResult { mask, nospace }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_state_table() {
        let fin = |st| tcp_close_state(st);
        let cs = |new_state, send_fin| CloseState {
            new_state,
            send_fin,
        };
        assert_eq!(fin(TCP_ESTABLISHED), cs(TCP_FIN_WAIT1, true));
        assert_eq!(fin(TCP_SYN_RECV), cs(TCP_FIN_WAIT1, true));
        assert_eq!(fin(TCP_CLOSE_WAIT), cs(TCP_LAST_ACK, true));
        assert_eq!(fin(TCP_SYN_SENT), cs(TCP_CLOSE, false));
        assert_eq!(fin(TCP_FIN_WAIT1), cs(TCP_FIN_WAIT1, false));
        assert_eq!(fin(TCP_FIN_WAIT2), cs(TCP_FIN_WAIT2, false));
        assert_eq!(fin(TCP_TIME_WAIT), cs(TCP_CLOSE, false));
        assert_eq!(fin(TCP_CLOSE), cs(TCP_CLOSE, false));
        assert_eq!(fin(TCP_LAST_ACK), cs(TCP_LAST_ACK, false));
        assert_eq!(fin(TCP_LISTEN), cs(TCP_CLOSE, false));
        assert_eq!(fin(TCP_CLOSING), cs(TCP_CLOSING, false));
        assert_eq!(fin(TCP_NEW_SYN_RECV), cs(TCP_CLOSE, false));
        assert_eq!(fin(0), cs(TCP_CLOSE, false));
        assert_eq!(fin(13), cs(0, false));
        assert_eq!(fin(255), cs(0, false));
    }

    #[test]
    fn shutdown_protocol_part() {
        assert_eq!(tcp_shutdown(TCP_ESTABLISHED, RCV_SHUTDOWN), None);
        assert_eq!(
            tcp_shutdown(TCP_ESTABLISHED, SEND_SHUTDOWN),
            Some(tcp_close_state(TCP_ESTABLISHED))
        );
        assert_eq!(
            tcp_shutdown(TCP_CLOSE_WAIT, SHUTDOWN_MASK),
            Some(CloseState {
                new_state: TCP_LAST_ACK,
                send_fin: true
            })
        );
        assert_eq!(
            tcp_shutdown(TCP_SYN_SENT, SEND_SHUTDOWN),
            Some(CloseState {
                new_state: TCP_CLOSE,
                send_fin: false
            })
        );
        // FIN already sent, or SYN_RECV (deferred): nothing.
        for st in [
            TCP_FIN_WAIT1,
            TCP_FIN_WAIT2,
            TCP_LAST_ACK,
            TCP_CLOSING,
            TCP_SYN_RECV,
            TCP_CLOSE,
        ] {
            assert_eq!(tcp_shutdown(st, SEND_SHUTDOWN), None, "state {st}");
        }
    }

    #[test]
    fn inet_shutdown_arguments() {
        use SocketState::*;
        for how in [-1, 3, 4, i32::MAX, i32::MIN] {
            assert_eq!(
                inet_shutdown(how, TCP_ESTABLISHED, Connected),
                Err(Errno::Inval),
                "{how}"
            );
        }
        let got = inet_shutdown(SHUT_WR, TCP_ESTABLISHED, Connected).unwrap();
        assert_eq!(
            got,
            Shutdown {
                err: None,
                action: ShutdownAction::Shutdown {
                    bits: SEND_SHUTDOWN,
                    close: Some(CloseState {
                        new_state: TCP_FIN_WAIT1,
                        send_fin: true
                    })
                },
                sock_state: Connected
            }
        );
        let got = inet_shutdown(SHUT_RD, TCP_ESTABLISHED, Connected).unwrap();
        assert_eq!(
            got.action,
            ShutdownAction::Shutdown {
                bits: RCV_SHUTDOWN,
                close: None
            }
        );
        let got = inet_shutdown(SHUT_RDWR, TCP_CLOSE_WAIT, Connected).unwrap();
        assert_eq!(
            got.action,
            ShutdownAction::Shutdown {
                bits: SHUTDOWN_MASK,
                close: Some(CloseState {
                    new_state: TCP_LAST_ACK,
                    send_fin: true
                })
            }
        );
        // Unconnected socket: ENOTCONN, but the bits are still set.
        let got = inet_shutdown(SHUT_RDWR, TCP_CLOSE, Unconnected).unwrap();
        assert_eq!(
            got,
            Shutdown {
                err: Some(Errno::NotConn),
                action: ShutdownAction::Shutdown {
                    bits: SHUTDOWN_MASK,
                    close: None
                },
                sock_state: Unconnected
            }
        );
        // Listener: SHUT_WR does nothing, SHUT_RD disconnects.
        assert_eq!(
            inet_shutdown(SHUT_WR, TCP_LISTEN, Unconnected)
                .unwrap()
                .action,
            ShutdownAction::Nothing
        );
        let got = inet_shutdown(SHUT_RD, TCP_LISTEN, Unconnected).unwrap();
        assert_eq!((got.err, got.action), (None, ShutdownAction::Disconnect));
        // Connecting (non-blocking connect in progress): disconnect and
        // SS_UNCONNECTED.
        let got = inet_shutdown(SHUT_WR, TCP_SYN_SENT, Connecting).unwrap();
        assert_eq!(
            got,
            Shutdown {
                err: None,
                action: ShutdownAction::Disconnect,
                sock_state: Unconnected
            }
        );
        // SS_CONNECTING already established: becomes SS_CONNECTED.
        let got = inet_shutdown(SHUT_RD, TCP_ESTABLISHED, Connecting).unwrap();
        assert_eq!(got.sock_state, Connected);
        // SS_CONNECTING in SYN_RECV: SS_DISCONNECTING.
        let got = inet_shutdown(SHUT_RD, TCP_SYN_RECV, Connecting).unwrap();
        assert_eq!(got.sock_state, Disconnecting);
    }

    #[test]
    fn disconnect_resets() {
        let d = |st, repair, unsent| tcp_disconnect(st, repair, unsent);
        let rst = Disconnect {
            listen_stop: false,
            rst: true,
            err: Some(Errno::ConnReset),
        };
        for st in [
            TCP_ESTABLISHED,
            TCP_CLOSE_WAIT,
            TCP_FIN_WAIT1,
            TCP_FIN_WAIT2,
            TCP_SYN_RECV,
        ] {
            assert_eq!(d(st, false, false), rst, "state {st}");
        }
        assert_eq!(d(TCP_LAST_ACK, false, true), rst);
        assert_eq!(d(TCP_CLOSING, false, true), rst);
        let none = Disconnect {
            listen_stop: false,
            rst: false,
            err: None,
        };
        assert_eq!(d(TCP_LAST_ACK, false, false), none);
        assert_eq!(d(TCP_TIME_WAIT, false, true), none);
        assert_eq!(d(TCP_CLOSE, false, false), none);
        assert_eq!(
            d(TCP_SYN_SENT, false, false),
            Disconnect {
                listen_stop: false,
                rst: false,
                err: Some(Errno::ConnReset)
            }
        );
        assert_eq!(
            d(TCP_LISTEN, true, true),
            Disconnect {
                listen_stop: true,
                rst: false,
                err: None
            }
        );
        assert_eq!(
            d(TCP_ESTABLISHED, true, false),
            Disconnect {
                listen_stop: false,
                rst: false,
                err: Some(Errno::ConnAborted)
            }
        );
    }

    #[test]
    fn unread_data() {
        let s = SeqNum;
        assert!(!data_was_unread(s(100), s(100), false));
        assert!(data_was_unread(s(101), s(100), false));
        // FIN at rcv_nxt - 1: all data read, FIN not yet, or FIN read too.
        assert!(!data_was_unread(s(101), s(100), true));
        assert!(!data_was_unread(s(101), s(101), true));
        assert!(data_was_unread(s(101), s(99), true));
        assert!(data_was_unread(s(5), s(u32::MAX), false));
    }

    fn close_ctx(state: u8) -> CloseCtx {
        CloseCtx {
            state,
            data_was_unread: false,
            linger_zero: false,
            repair: false,
            unsent_data: false,
        }
    }

    #[test]
    fn close_decisions() {
        assert_eq!(tcp_close(&close_ctx(TCP_LISTEN)), CloseAction::ListenStop);
        assert_eq!(tcp_close(&close_ctx(TCP_CLOSE)), CloseAction::AlreadyClosed);
        assert_eq!(
            tcp_close(&close_ctx(TCP_ESTABLISHED)),
            CloseAction::Fin(CloseState {
                new_state: TCP_FIN_WAIT1,
                send_fin: true
            })
        );
        assert_eq!(
            tcp_close(&close_ctx(TCP_CLOSE_WAIT)),
            CloseAction::Fin(CloseState {
                new_state: TCP_LAST_ACK,
                send_fin: true
            })
        );
        assert_eq!(
            tcp_close(&close_ctx(TCP_FIN_WAIT2)),
            CloseAction::NoFin(TCP_FIN_WAIT2)
        );
        assert_eq!(
            tcp_close(&close_ctx(TCP_SYN_SENT)),
            CloseAction::NoFin(TCP_CLOSE)
        );
        // Unread data wins over linger and over the FIN.
        let mut c = close_ctx(TCP_ESTABLISHED);
        c.data_was_unread = true;
        c.linger_zero = true;
        assert_eq!(tcp_close(&c), CloseAction::AbortUnread);
        // ...and also in CLOSE_WAIT (peer's FIN in, our data unread).
        c.state = TCP_CLOSE_WAIT;
        assert_eq!(tcp_close(&c), CloseAction::AbortUnread);
        // SO_LINGER 0: disconnect with RST.
        let mut c = close_ctx(TCP_ESTABLISHED);
        c.linger_zero = true;
        assert_eq!(
            tcp_close(&c),
            CloseAction::Disconnect(Disconnect {
                listen_stop: false,
                rst: true,
                err: Some(Errno::ConnReset)
            })
        );
        // SO_LINGER 0 in LAST_ACK with everything sent: no RST.
        c.state = TCP_LAST_ACK;
        assert_eq!(
            tcp_close(&c),
            CloseAction::Disconnect(Disconnect {
                listen_stop: false,
                rst: false,
                err: None
            })
        );
        // Repair comes before unread data.
        let mut c = close_ctx(TCP_ESTABLISHED);
        c.repair = true;
        c.data_was_unread = true;
        assert!(matches!(
            tcp_close(&c),
            CloseAction::Disconnect(Disconnect {
                err: Some(Errno::ConnAborted),
                rst: false,
                ..
            })
        ));
        // A closed socket with unread data: nothing sent.
        let mut c = close_ctx(TCP_CLOSE);
        c.data_was_unread = true;
        assert_eq!(tcp_close(&c), CloseAction::AlreadyClosed);
    }

    #[test]
    fn fin_timeouts() {
        assert_eq!(tcp_fin_time(0, TCP_FIN_TIMEOUT_MS, 200), 60_000);
        assert_eq!(tcp_fin_time(5_000, TCP_FIN_TIMEOUT_MS, 200), 5_000);
        // At least 3.5 RTO: rto 2000 -> 7000.
        assert_eq!(tcp_fin_time(5_000, TCP_FIN_TIMEOUT_MS, 2000), 7_000);
        assert_eq!(tcp_fin_time(0, 1_000, 1001), 4004 - 500);
        assert_eq!(tcp_fin_time(-1, TCP_FIN_TIMEOUT_MS, 200), 700);
        let _ = tcp_fin_time(i32::MIN, i32::MIN, u32::MAX);
        assert_eq!(linger2_from_sockopt(-5), -1);
        assert_eq!(linger2_from_sockopt(0), 0);
        assert_eq!(linger2_from_sockopt(30), 30_000);
        assert_eq!(linger2_from_sockopt(120), 120_000);
        assert_eq!(linger2_from_sockopt(121), TCP_FIN_TIMEOUT_MAX_MS);
        assert_eq!(linger2_from_sockopt(i32::MAX), TCP_FIN_TIMEOUT_MAX_MS);
        assert_eq!(linger2_to_sockopt(0, TCP_FIN_TIMEOUT_MS), 60);
        assert_eq!(linger2_to_sockopt(30_000, TCP_FIN_TIMEOUT_MS), 30);
        assert_eq!(linger2_to_sockopt(-1, TCP_FIN_TIMEOUT_MS), -1);
    }

    #[test]
    fn orphans() {
        // FIN_WAIT2 with the default 60 s: timewait socket at once.
        assert_eq!(
            orphan_close(TCP_FIN_WAIT2, 0, 60_000, false),
            OrphanClose::TimeWait { timeo: 60_000 }
        );
        // 90 s: keepalive timer for the 30 s beyond TCP_TIMEWAIT_LEN.
        assert_eq!(
            orphan_close(TCP_FIN_WAIT2, 90_000, 90_000, false),
            OrphanClose::KeepaliveTimer(30_000)
        );
        // ...but memory trouble resets it.
        assert_eq!(
            orphan_close(TCP_FIN_WAIT2, 90_000, 90_000, true),
            OrphanClose::Reset(AbortReason::Memory)
        );
        assert_eq!(
            orphan_close(TCP_FIN_WAIT2, -1, 700, false),
            OrphanClose::Reset(AbortReason::Linger)
        );
        assert_eq!(
            orphan_close(TCP_FIN_WAIT1, 0, 60_000, false),
            OrphanClose::Keep
        );
        assert_eq!(
            orphan_close(TCP_LAST_ACK, 0, 60_000, true),
            OrphanClose::Reset(AbortReason::Memory)
        );
        assert_eq!(
            orphan_close(TCP_CLOSE, 0, 60_000, true),
            OrphanClose::Destroy
        );
        assert_eq!(
            fin_wait2_keepalive(90_000, 90_000),
            FinWait2Timer::TimeWait { timeo: 30_000 }
        );
        assert_eq!(fin_wait2_keepalive(0, 60_000), FinWait2Timer::Reset);
        assert_eq!(fin_wait2_keepalive(-1, 90_000), FinWait2Timer::Reset);
    }

    #[test]
    fn peer_fin_transitions() {
        assert_eq!(tcp_fin(TCP_ESTABLISHED), FinRcv::CloseWait);
        assert_eq!(tcp_fin(TCP_SYN_RECV), FinRcv::CloseWait);
        assert_eq!(tcp_fin(TCP_FIN_WAIT1), FinRcv::Closing);
        assert_eq!(tcp_fin(TCP_FIN_WAIT2), FinRcv::TimeWait);
        for st in [TCP_CLOSE_WAIT, TCP_CLOSING, TCP_LAST_ACK] {
            assert_eq!(tcp_fin(st), FinRcv::Stay);
        }
        for st in [TCP_LISTEN, TCP_CLOSE, TCP_SYN_SENT, TCP_TIME_WAIT, 0, 99] {
            assert_eq!(tcp_fin(st), FinRcv::Impossible);
        }
        assert_eq!(FinRcv::CloseWait.new_state(TCP_ESTABLISHED), TCP_CLOSE_WAIT);
        assert_eq!(FinRcv::Closing.new_state(TCP_FIN_WAIT1), TCP_CLOSING);
        assert_eq!(FinRcv::TimeWait.new_state(TCP_FIN_WAIT2), TCP_TIME_WAIT);
        assert_eq!(FinRcv::Stay.new_state(TCP_LAST_ACK), TCP_LAST_ACK);
        assert!(fin_wake_hup(SHUTDOWN_MASK, TCP_CLOSE_WAIT));
        assert!(!fin_wake_hup(RCV_SHUTDOWN, TCP_CLOSE_WAIT));
        assert!(fin_wake_hup(RCV_SHUTDOWN, TCP_CLOSE));
    }

    fn ack_ctx(state: u8) -> FinAckCtx {
        FinAckCtx {
            state,
            all_acked: true,
            dead: false,
            linger2: 0,
            fin_time: 60_000,
            owned_by_user: false,
            seq: SeqNum(1000),
            end_seq: SeqNum(1000),
            fin: false,
            rcv_nxt: SeqNum(1000),
        }
    }

    #[test]
    fn our_fin_acked() {
        assert_eq!(
            fin_acked(&ack_ctx(TCP_FIN_WAIT1)),
            FinAcked::FinWait2 { keepalive: None }
        );
        assert_eq!(fin_acked(&ack_ctx(TCP_CLOSING)), FinAcked::TimeWait);
        assert_eq!(fin_acked(&ack_ctx(TCP_LAST_ACK)), FinAcked::Close);
        assert_eq!(fin_acked(&ack_ctx(TCP_ESTABLISHED)), FinAcked::Continue);
        let mut c = ack_ctx(TCP_LAST_ACK);
        c.all_acked = false;
        assert_eq!(fin_acked(&c), FinAcked::Continue);
        // Orphans.
        let mut c = ack_ctx(TCP_FIN_WAIT1);
        c.dead = true;
        assert_eq!(fin_acked(&c), FinAcked::FinWait2TimeWait { timeo: 60_000 });
        c.fin_time = 90_000;
        assert_eq!(
            fin_acked(&c),
            FinAcked::FinWait2 {
                keepalive: Some(30_000)
            }
        );
        c.fin_time = 60_000;
        c.owned_by_user = true;
        assert_eq!(
            fin_acked(&c),
            FinAcked::FinWait2 {
                keepalive: Some(60_000)
            }
        );
        // The peer's FIN in this very segment: keepalive timer, the FIN is
        // processed next.
        let mut c = ack_ctx(TCP_FIN_WAIT1);
        c.dead = true;
        c.fin = true;
        c.end_seq = SeqNum(1001);
        assert_eq!(
            fin_acked(&c),
            FinAcked::FinWait2 {
                keepalive: Some(60_000)
            }
        );
        // Data with it: abort.
        c.end_seq = SeqNum(1011);
        assert_eq!(fin_acked(&c), FinAcked::Abort);
        // An old (duplicate) data segment does not abort.
        let mut c = ack_ctx(TCP_FIN_WAIT1);
        c.dead = true;
        c.seq = SeqNum(900);
        c.end_seq = SeqNum(1000);
        assert_eq!(fin_acked(&c), FinAcked::FinWait2TimeWait { timeo: 60_000 });
        c.linger2 = -1;
        assert_eq!(fin_acked(&c), FinAcked::Abort);
    }

    #[test]
    fn text_after_shutdown() {
        let s = SeqNum;
        // ESTABLISHED queues everything.
        assert_eq!(
            rcv_text(TCP_ESTABLISHED, 0, s(5), s(10), false, s(5)),
            TextAction::Queue
        );
        // CLOSE_WAIT: at/after rcv_nxt (beyond the FIN) ignored.
        assert_eq!(
            rcv_text(TCP_CLOSE_WAIT, RCV_SHUTDOWN, s(5), s(10), false, s(5)),
            TextAction::Ignore
        );
        // Starting before rcv_nxt but bringing new data: reset (EPIPE).
        assert_eq!(
            rcv_text(TCP_CLOSE_WAIT, RCV_SHUTDOWN, s(4), s(10), false, s(5)),
            TextAction::Reset { err: Errno::Pipe }
        );
        // Old retransmission: queued (tcp_data_queue() drops it as old).
        assert_eq!(
            rcv_text(TCP_CLOSE_WAIT, RCV_SHUTDOWN, s(1), s(5), false, s(5)),
            TextAction::Queue
        );
        // FIN_WAIT2 after shutdown(SHUT_RD): new data resets.
        assert_eq!(
            rcv_text(TCP_FIN_WAIT2, SHUTDOWN_MASK, s(5), s(10), false, s(5)),
            TextAction::Reset { err: Errno::ConnReset }
        );
        // A bare FIN at rcv_nxt is fine.
        assert_eq!(
            rcv_text(TCP_FIN_WAIT2, SHUTDOWN_MASK, s(5), s(6), true, s(5)),
            TextAction::Queue
        );
        // Without RCV_SHUTDOWN FIN_WAIT2 queues data.
        assert_eq!(
            rcv_text(TCP_FIN_WAIT2, SEND_SHUTDOWN, s(5), s(10), false, s(5)),
            TextAction::Queue
        );
        assert_eq!(
            rcv_text(TCP_TIME_WAIT, 0, s(5), s(10), false, s(5)),
            TextAction::Ignore
        );
    }

    fn poll_est() -> PollInput {
        PollInput {
            state: TCP_ESTABLISHED,
            sk_shutdown: 0,
            accept_queue_nonempty: false,
            rcv_nxt: SeqNum(1000),
            copied_seq: SeqNum(1000),
            rcvlowat: 1,
            urg_at_copied: false,
            urg_valid: false,
            memory_pressure: false,
            rmem_alloc: 0,
            rcvbuf: 131_072,
            rcv_wup: SeqNum(1000),
            rcv_wnd: 65_535,
            rcv_mss: 536,
            sndbuf: 16_384,
            wmem_queued: 0,
            notsent_bytes: 0,
            notsent_lowat: u32::MAX,
            sk_err: false,
            error_queue_nonempty: false,
        }
    }

    fn mask(p: &PollInput) -> PollMask {
        tcp_poll(p).mask
    }

    #[test]
    fn poll_by_state() {
        let w = PollMask::OUT | PollMask::WRNORM;
        let r = PollMask::IN | PollMask::RDNORM;
        let p = poll_est();
        assert_eq!(mask(&p), w);
        // Readable.
        let mut q = p;
        q.rcv_nxt = SeqNum(1010);
        q.rcv_wup = SeqNum(1010);
        assert_eq!(mask(&q), r | w);
        // CLOSE_WAIT after the peer's FIN.
        let mut q = p;
        q.state = TCP_CLOSE_WAIT;
        q.sk_shutdown = RCV_SHUTDOWN;
        assert_eq!(mask(&q), r | PollMask::RDHUP | w);
        // Both directions shut: HUP; writable since SEND_SHUTDOWN.
        q.state = TCP_LAST_ACK;
        q.sk_shutdown = SHUTDOWN_MASK;
        assert_eq!(mask(&q), PollMask::HUP | r | PollMask::RDHUP | w);
        // FIN_WAIT2 after shutdown(SHUT_WR): writable, no HUP.
        let mut q = p;
        q.state = TCP_FIN_WAIT2;
        q.sk_shutdown = SEND_SHUTDOWN;
        assert_eq!(mask(&q), w);
        // A fresh socket (CLOSE): HUP and, not being SYN_SENT, OUT.
        let mut q = p;
        q.state = TCP_CLOSE;
        assert_eq!(mask(&q), PollMask::HUP | w);
        // A reset connection: CLOSE with everything shut and an error.
        q.sk_shutdown = SHUTDOWN_MASK;
        q.sk_err = true;
        assert_eq!(mask(&q), PollMask::HUP | r | PollMask::RDHUP | w | PollMask::ERR);
        // Connecting: nothing.
        for st in [TCP_SYN_SENT, TCP_SYN_RECV] {
            let mut q = p;
            q.state = st;
            q.rcv_nxt = SeqNum(1010);
            assert_eq!(mask(&q), PollMask::EMPTY, "state {st}");
        }
        // Connect failed: SYN_SENT -> CLOSE with sk_err.
        let mut q = p;
        q.state = TCP_SYN_SENT;
        q.sk_err = true;
        assert_eq!(mask(&q), PollMask::ERR);
        // Listener.
        let mut q = p;
        q.state = TCP_LISTEN;
        q.sk_err = true;
        assert_eq!(mask(&q), PollMask::EMPTY);
        q.accept_queue_nonempty = true;
        assert_eq!(mask(&q), r);
        // TIME_WAIT/CLOSING treated like the others.
        let mut q = p;
        q.state = TCP_CLOSING;
        q.sk_shutdown = SHUTDOWN_MASK;
        assert_eq!(mask(&q), PollMask::HUP | r | PollMask::RDHUP | w);
    }

    #[test]
    fn poll_mask_accessors() {
        let all = [
            (PollMask::IN, PollMask::pollin as fn(PollMask) -> bool),
            (PollMask::PRI, PollMask::pollpri),
            (PollMask::OUT, PollMask::pollout),
            (PollMask::ERR, PollMask::pollerr),
            (PollMask::HUP, PollMask::pollhup),
            (PollMask::RDNORM, PollMask::pollrdnorm),
            (PollMask::WRNORM, PollMask::pollwrnorm),
            (PollMask::RDHUP, PollMask::pollrdhup),
        ];
        // Each accessor sees exactly its own bit, and the bits are distinct.
        for (i, (bit, _)) in all.iter().enumerate() {
            for (j, (_, get)) in all.iter().enumerate() {
                assert_eq!(get(*bit), i == j, "{bit:?} {j}");
            }
            assert!(!bit.is_empty());
        }
        let m = PollMask::IN | PollMask::HUP;
        assert!(m.contains(PollMask::IN) && !m.contains(PollMask::IN | PollMask::OUT));
        assert!(m.intersects(PollMask::HUP | PollMask::OUT));
        assert_eq!(m & PollMask::OUT, PollMask::EMPTY);
        assert_eq!(PollMask::default(), PollMask::EMPTY);
        extern crate std;
        assert_eq!(std::format!("{m:?}"), "{\"IN\", \"HUP\"}");
    }

    #[test]
    fn poll_readable_rules() {
        let r = PollMask::IN | PollMask::RDNORM;
        let mut p = poll_est();
        p.rcv_nxt = SeqNum(1100);
        p.rcv_wup = SeqNum(1100);
        p.rcvlowat = 200;
        // 100 bytes below SO_RCVLOWAT 200: not readable...
        assert_eq!(mask(&p) & r, PollMask::EMPTY);
        // ...unless the window left is at most one rcv_mss...
        let mut q = p;
        q.rcv_wnd = 536;
        assert_eq!(mask(&q) & r, r);
        // ...or receive memory is short (above 7/8 of rcvbuf)...
        let mut q = p;
        q.rmem_alloc = 131_072 - 16_384 + 1;
        assert_eq!(mask(&q) & r, r);
        q.rmem_alloc -= 1;
        assert_eq!(mask(&q) & r, PollMask::EMPTY);
        let mut q = p;
        q.memory_pressure = true;
        assert_eq!(mask(&q) & r, r);
        // rcvlowat 0 means 1; an urgent byte at copied_seq raises it.
        let mut q = poll_est();
        q.rcv_nxt = SeqNum(1001);
        q.rcv_wup = SeqNum(1001);
        q.rcvlowat = 0;
        assert_eq!(mask(&q) & r, r);
        q.urg_at_copied = true;
        assert_eq!(mask(&q) & r, PollMask::EMPTY);
        q.urg_valid = true;
        assert_eq!(mask(&q) & PollMask::PRI, PollMask::PRI);
        q.rcvlowat = i32::MAX;
        let _ = tcp_poll(&q);
    }

    #[test]
    fn poll_writable_rules() {
        let w = PollMask::OUT | PollMask::WRNORM;
        let mut p = poll_est();
        // wspace 16384 - 10000 = 6384 >= 5000: writable.
        p.wmem_queued = 10_000;
        assert_eq!(
            tcp_poll(&p),
            PollResult {
                mask: w,
                nospace: false
            }
        );
        // 16384 - 11000 = 5384 < 5500: not.
        p.wmem_queued = 11_000;
        assert_eq!(
            tcp_poll(&p),
            PollResult {
                mask: PollMask::EMPTY,
                nospace: true
            }
        );
        // Exactly a third free: writable.
        p.sndbuf = 15_000;
        p.wmem_queued = 10_000;
        assert_eq!(mask(&p), w);
        // TCP_NOTSENT_LOWAT: 2 * notsent must be below it.
        let mut q = poll_est();
        q.notsent_lowat = 1000;
        q.notsent_bytes = 499;
        assert_eq!(mask(&q), w);
        q.notsent_bytes = 500;
        assert_eq!(mask(&q), PollMask::EMPTY);
        // Full send buffer.
        let mut q = poll_est();
        q.wmem_queued = q.sndbuf;
        assert_eq!(mask(&q), PollMask::EMPTY);
        // After SHUT_WR always "writable" (write() then fails with EPIPE).
        q.sk_shutdown = SEND_SHUTDOWN;
        assert_eq!(mask(&q), w);
        let mut q = poll_est();
        q.sndbuf = i32::MIN;
        q.wmem_queued = i32::MAX;
        let _ = tcp_poll(&q);
    }
}
