// SPDX-License-Identifier: GPL-2.0

//! `connect()` on a stream socket: the socket-level state machine of
//! `__inet_stream_connect()` (net/ipv4/af_inet.c) and the argument checks
//! at the start of `tcp_v4_connect()` (net/ipv4/tcp_ipv4.c).
//!
//! # The call, step by step
//!
//! 1. [`stream_connect_start`]: address length and AF_UNSPEC (which means
//!    "disconnect": `tcp_disconnect()`, then `SS_UNCONNECTED`, or
//!    `SS_DISCONNECTING` if that failed; its result is connect()'s), then
//!    the `socket->state` switch.
//! 2. For [`ConnectStart::Connect`]: [`check_connect`] (the checks of
//!    `tcp_v4_connect()` before it touches the socket), the route, the
//!    port ([`super::inet_hash_connect`]) and the SYN
//!    ([`super::tcp_connect`]). An error is returned as is; on success
//!    `socket->state = SS_CONNECTING` and the pending error becomes
//!    `EINPROGRESS`.
//! 3. [`stream_connect_wait`]: return the pending error at once when
//!    non-blocking (O_NONBLOCK: `sock_sndtimeo()` is 0; SO_SNDTIMEO 0
//!    means "forever"), else sleep while the socket is in
//!    SYN_SENT/SYN_RECV, then [`stream_connect_woken`].
//! 4. [`ConnectStep::Connected`] or [`ConnectStep::SockError`].
//!
//! `socket->state` is [`SocketState`]; `sk_state` a
//! [`super::tcp_states`] value. TCP Fast Open (`DEFER_CONNECT`) and the BPF
//! pre-connect hook are not modelled beyond the `defer_connect` answer of
//! an `SS_CONNECTING` socket.

use super::errno::Errno;
use super::inet_hashtables::{AF_INET, AF_UNSPEC, SOCKADDR_IN_LEN};
use super::tcp_states::{state_in, TCP_CLOSE, TCP_SYN_RECV, TCP_SYN_SENT};

/// `sizeof(uaddr->sa_family)`.
pub const SA_FAMILY_LEN: usize = 2;

/// `socket->state` (`socket_state`, include/uapi/linux/net.h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketState {
    /// `SS_FREE`.
    Free,
    /// `SS_UNCONNECTED`.
    Unconnected,
    /// `SS_CONNECTING`.
    Connecting,
    /// `SS_CONNECTED`.
    Connected,
    /// `SS_DISCONNECTING`.
    Disconnecting,
}

/// What `__inet_stream_connect()` does before any waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectStart {
    /// `sa_family == AF_UNSPEC`: `sk_disconnects++`, `tcp_disconnect()`;
    /// `socket->state` becomes `SS_UNCONNECTED`, or `SS_DISCONNECTING` if
    /// it failed; return its result.
    Disconnect,
    /// Return this error; nothing changes.
    Fail(Errno),
    /// `SS_UNCONNECTED` and `TCP_CLOSE`: run `tcp_v4_connect()`
    /// ([`check_connect`] first). On error return it; on success set
    /// `SS_CONNECTING` and continue with [`stream_connect_wait`] and
    /// [`Errno::InProgress`].
    Connect,
    /// `SS_CONNECTING` (a connect is under way): continue with
    /// [`stream_connect_wait`] and this pending error.
    Wait(Errno),
}

/// The start of `__inet_stream_connect(sock, uaddr, addr_len, flags,
/// is_sendmsg)`, with `uaddr` present (always, for `connect()`).
///
/// * `addr_len < 2` → `EINVAL` (before the family is read; lengths outside
///   `0..=128` were refused with `EINVAL` by `move_addr_to_kernel()`).
/// * `AF_UNSPEC` → [`ConnectStart::Disconnect`], whatever the state.
/// * `SS_CONNECTED` → `EISCONN`; `SS_CONNECTING` → wait with `EALREADY`
///   (with `defer_connect`, TCP_FASTOPEN_CONNECT: `EINPROGRESS` from
///   sendmsg, `EISCONN` from connect); `SS_UNCONNECTED` → `EISCONN`
///   unless `sk_state` is `TCP_CLOSE` (so a listener answers `EISCONN`),
///   else connect; `SS_FREE`/`SS_DISCONNECTING` → `EINVAL`.
pub fn stream_connect_start(
    addr_len: usize,
    sa_family: u16,
    sock_state: SocketState,
    sk_state: u8,
    defer_connect: bool,
    is_sendmsg: bool,
) -> ConnectStart {
    if addr_len < SA_FAMILY_LEN {
        return ConnectStart::Fail(Errno::Inval);
    }
    if sa_family == AF_UNSPEC {
        return ConnectStart::Disconnect;
    }
    match sock_state {
        SocketState::Connected => ConnectStart::Fail(Errno::IsConn),
        SocketState::Connecting => ConnectStart::Wait(if defer_connect {
            if is_sendmsg {
                Errno::InProgress
            } else {
                Errno::IsConn
            }
        } else {
            Errno::Already
        }),
        SocketState::Unconnected => {
            if sk_state != TCP_CLOSE {
                ConnectStart::Fail(Errno::IsConn)
            } else {
                ConnectStart::Connect
            }
        }
        SocketState::Free | SocketState::Disconnecting => ConnectStart::Fail(Errno::Inval),
    }
}

/// What the route to the destination is, as far as `tcp_v4_connect()`
/// cares (`rt->rt_flags`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// Unicast or local (`0.0.0.0` routes to loopback: `127.0.0.1` unless
    /// a source address was bound).
    Unicast,
    /// `RTCF_MULTICAST`.
    Multicast,
    /// `RTCF_BROADCAST` (255.255.255.255 or a subnet broadcast).
    Broadcast,
}

/// The checks of `tcp_v4_connect()` in order, up to the route:
///
/// 1. `addr_len < sizeof(struct sockaddr_in)` → `EINVAL`;
/// 2. `sin_family != AF_INET` → `EAFNOSUPPORT` (AF_UNSPEC never gets here,
///    see [`stream_connect_start`]);
/// 3. the route lookup (`ip_route_connect()`): its error is returned as
///    is (the kernel side converts it to an [`Errno`]: `ENETUNREACH` is
///    [`Errno::NetUnreach`], an errno without a variant [`Errno::Other`]);
/// 4. a multicast or broadcast route → `ENETUNREACH`.
///
/// IP source-route options (`-EINVAL` without a destination) are not
/// modelled. Later failures: `EADDRNOTAVAIL` from the port search, errors
/// of `tcp_connect()`.
pub fn check_connect(
    addr_len: usize,
    sin_family: u16,
    route: Result<RouteKind, Errno>,
) -> Result<(), Errno> {
    if addr_len < SOCKADDR_IN_LEN {
        return Err(Errno::Inval);
    }
    if sin_family != AF_INET {
        return Err(Errno::AfNoSupport);
    }
    match route {
        Err(e) => Err(e),
        Ok(RouteKind::Multicast | RouteKind::Broadcast) => Err(Errno::NetUnreach),
        Ok(RouteKind::Unicast) => Ok(()),
    }
}

/// A step of the second half of `__inet_stream_connect()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectStep {
    /// Return this error; `socket->state` unchanged.
    Return(Errno),
    /// Sleep in `inet_wait_for_connect()` until the socket leaves
    /// SYN_SENT/SYN_RECV, a signal, or the timeout; then
    /// [`stream_connect_woken`].
    Wait,
    /// `sock_error`: the connection was closed (RST, timeout, ICMP error,
    /// or another thread's disconnect): return `sk_err` (cleared) or
    /// `ECONNABORTED` ([`sock_error`]), set `SS_UNCONNECTED`,
    /// `sk_disconnects++`, `tcp_disconnect()` (`SS_DISCONNECTING` if that
    /// fails).
    SockError,
    /// Set `SS_CONNECTED` and return 0.
    Connected,
}

/// `sk_state` decides once the wait is over (or skipped).
fn closed_or_connected(sk_state: u8) -> ConnectStep {
    if sk_state == TCP_CLOSE {
        ConnectStep::SockError
    } else {
        ConnectStep::Connected
    }
}

/// After the state switch: `pending` is the error set there
/// (`EINPROGRESS` for a new connect, `EALREADY`...), `timeo_zero` is
/// `sock_sndtimeo(sk, O_NONBLOCK) == 0`.
pub fn stream_connect_wait(pending: Errno, sk_state: u8, timeo_zero: bool) -> ConnectStep {
    if state_in(sk_state, &[TCP_SYN_SENT, TCP_SYN_RECV]) {
        if timeo_zero {
            return ConnectStep::Return(pending);
        }
        return ConnectStep::Wait;
    }
    // "Connection was closed by RST, timeout, ICMP error or another
    // process disconnected us."
    closed_or_connected(sk_state)
}

/// After `inet_wait_for_connect()`: `timed_out` when it returned 0 (the
/// send timeout ran out: the pending error, e.g. `EINPROGRESS`, is
/// returned), else `signal_pending` → `ERESTARTSYS` when there is no send
/// timeout (`timeo_infinite`, `MAX_SCHEDULE_TIMEOUT`) or `EINTR`;
/// `disconnected` (`sk_disconnects` changed while asleep) → `EPIPE`;
/// otherwise `sk_state` decides. A signal wins even when the connection
/// completed meanwhile.
pub fn stream_connect_woken(
    pending: Errno,
    timed_out: bool,
    signal_pending: bool,
    timeo_infinite: bool,
    disconnected: bool,
    sk_state: u8,
) -> ConnectStep {
    if timed_out {
        return ConnectStep::Return(pending);
    }
    if signal_pending {
        return ConnectStep::Return(if timeo_infinite {
            Errno::RestartSys
        } else {
            Errno::Intr
        });
    }
    if disconnected {
        return ConnectStep::Return(Errno::Pipe);
    }
    closed_or_connected(sk_state)
}

/// `sock_error(sk) ?: -ECONNABORTED`: the pending `sk_err` (`None` for
/// 0), which the kernel side has already taken and cleared, else
/// `ECONNABORTED`. `sk_err` may hold an errno the core never produced
/// (another part of the kernel set it); it comes back as it went in.
#[inline]
pub const fn sock_error(sk_err: Option<Errno>) -> Errno {
    match sk_err {
        Some(e) => e,
        None => Errno::ConnAborted,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tcp_states::{TCP_ESTABLISHED, TCP_LISTEN};
    use super::*;
    use Errno::*;
    use SocketState::*;

    #[test]
    fn start_order() {
        let s = stream_connect_start;
        // Length first, even for AF_UNSPEC.
        assert_eq!(
            s(1, AF_UNSPEC, Connected, TCP_ESTABLISHED, false, false),
            ConnectStart::Fail(Inval)
        );
        assert_eq!(
            s(0, AF_INET, Unconnected, TCP_CLOSE, false, false),
            ConnectStart::Fail(Inval)
        );
        // AF_UNSPEC disconnects in any state.
        for st in [Unconnected, Connecting, Connected, Free] {
            assert_eq!(
                s(2, AF_UNSPEC, st, TCP_CLOSE, false, false),
                ConnectStart::Disconnect
            );
        }
        // State before family and full length: EISCONN even for garbage.
        assert_eq!(
            s(2, 99, Connected, TCP_ESTABLISHED, false, false),
            ConnectStart::Fail(IsConn)
        );
        assert_eq!(
            s(2, 99, Connecting, TCP_SYN_SENT, false, false),
            ConnectStart::Wait(Already)
        );
        assert_eq!(
            s(2, 99, Connecting, TCP_SYN_SENT, true, false),
            ConnectStart::Wait(IsConn)
        );
        assert_eq!(
            s(2, 99, Connecting, TCP_SYN_SENT, true, true),
            ConnectStart::Wait(InProgress)
        );
        // A listener (SS_UNCONNECTED, TCP_LISTEN): EISCONN.
        assert_eq!(
            s(16, AF_INET, Unconnected, TCP_LISTEN, false, false),
            ConnectStart::Fail(IsConn)
        );
        assert_eq!(
            s(16, AF_INET, Unconnected, TCP_CLOSE, false, false),
            ConnectStart::Connect
        );
        // The family is tcp_v4_connect()'s business.
        assert_eq!(
            s(2, 10, Unconnected, TCP_CLOSE, false, false),
            ConnectStart::Connect
        );
        assert_eq!(
            s(16, AF_INET, Disconnecting, TCP_CLOSE, false, false),
            ConnectStart::Fail(Inval)
        );
        assert_eq!(
            s(16, AF_INET, Free, TCP_CLOSE, false, false),
            ConnectStart::Fail(Inval)
        );
    }

    #[test]
    fn v4_checks() {
        let ok = Ok(RouteKind::Unicast);
        assert_eq!(check_connect(15, AF_INET, ok), Err(Inval));
        assert_eq!(check_connect(2, 10, ok), Err(Inval));
        assert_eq!(check_connect(16, 10, ok), Err(AfNoSupport));
        assert_eq!(check_connect(16, AF_UNSPEC, ok), Err(AfNoSupport));
        // The route's error comes back as it went in, even one the core
        // has no name for.
        assert_eq!(
            check_connect(16, AF_INET, Err(NetUnreach)),
            Err(NetUnreach)
        );
        assert_eq!(
            check_connect(16, AF_INET, Err(Other(-1))),
            Err(Other(-1))
        );
        // But the address checks come first.
        assert_eq!(check_connect(15, AF_INET, Err(NetUnreach)), Err(Inval));
        assert_eq!(
            check_connect(16, AF_INET, Ok(RouteKind::Multicast)),
            Err(NetUnreach)
        );
        assert_eq!(
            check_connect(16, AF_INET, Ok(RouteKind::Broadcast)),
            Err(NetUnreach)
        );
        assert_eq!(check_connect(128, AF_INET, ok), Ok(()));
    }

    #[test]
    fn nonblocking_connect_sequence() {
        // connect(): SYN sent, non-blocking -> EINPROGRESS.
        assert_eq!(
            stream_connect_wait(InProgress, TCP_SYN_SENT, true),
            ConnectStep::Return(InProgress)
        );
        // Again while in progress -> EALREADY.
        let ConnectStart::Wait(p) =
            stream_connect_start(16, AF_INET, Connecting, TCP_SYN_SENT, false, false)
        else {
            panic!();
        };
        assert_eq!(
            stream_connect_wait(p, TCP_SYN_RECV, true),
            ConnectStep::Return(Already)
        );
        // After the handshake -> 0, SS_CONNECTED; then EISCONN.
        assert_eq!(
            stream_connect_wait(p, TCP_ESTABLISHED, true),
            ConnectStep::Connected
        );
        assert_eq!(
            stream_connect_start(16, AF_INET, Connected, TCP_ESTABLISHED, false, false),
            ConnectStart::Fail(IsConn)
        );
        // Refused meanwhile -> the recorded error, SS_UNCONNECTED.
        assert_eq!(
            stream_connect_wait(p, TCP_CLOSE, true),
            ConnectStep::SockError
        );
        assert_eq!(sock_error(Some(ConnRefused)), ConnRefused);
        assert_eq!(sock_error(Some(Other(1000))), Other(1000));
        assert_eq!(sock_error(None), ConnAborted);
    }

    #[test]
    fn blocking_connect_wakeups() {
        assert_eq!(
            stream_connect_wait(InProgress, TCP_SYN_SENT, false),
            ConnectStep::Wait
        );
        let w = stream_connect_woken;
        assert_eq!(
            w(InProgress, true, false, false, false, TCP_SYN_SENT),
            ConnectStep::Return(InProgress)
        );
        assert_eq!(
            w(InProgress, false, true, true, false, TCP_SYN_SENT),
            ConnectStep::Return(RestartSys)
        );
        assert_eq!(
            w(InProgress, false, true, false, false, TCP_ESTABLISHED),
            ConnectStep::Return(Intr)
        );
        assert_eq!(
            w(InProgress, false, false, true, true, TCP_CLOSE),
            ConnectStep::Return(Pipe)
        );
        assert_eq!(
            w(InProgress, false, false, true, false, TCP_ESTABLISHED),
            ConnectStep::Connected
        );
        assert_eq!(
            w(InProgress, false, false, true, false, TCP_CLOSE),
            ConnectStep::SockError
        );
    }
}
