// SPDX-License-Identifier: GPL-2.0

//! The errors the protocol core reports, by name.
//!
//! Errno values are part of the kernel's architecture ABI (they differ on
//! alpha, mips, parisc and sparc, and `ERESTARTSYS` is kernel-internal), so
//! the core never holds a number: it says which error it means, and the
//! kernel side turns an [`Errno`] into `kernel::error::code::*` in one
//! place. Each variant is named after its Linux constant without the `E`
//! (`ConnRefused` is `ECONNREFUSED`) and is listed because some function of
//! the core returns or records it.

/// An error of the core, to be returned to user space or stored in
/// `sk_err` by the kernel side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    /// `EINTR`: connect() interrupted by a signal with SO_SNDTIMEO set.
    Intr,
    /// `EINVAL`: a bad argument (address length, `shutdown()`'s `how`) or
    /// a socket in the wrong state.
    Inval,
    /// `EPIPE`: an RST in CLOSE_WAIT (`tcp_reset()`), or a connect()
    /// whose socket was disconnected meanwhile.
    Pipe,
    /// `ENONET`: ICMP host isolated.
    NoNet,
    /// `EPROTO`: ICMP parameter problem.
    Proto,
    /// `ENOPROTOOPT`: ICMP protocol unreachable.
    NoProtoOpt,
    /// `EOPNOTSUPP`: ICMP source route failed.
    OpNotSupp,
    /// `EAFNOSUPPORT`: connect() to an address that is not AF_INET.
    AfNoSupport,
    /// `ENETUNREACH`: ICMP network unreachable (and its variants), or a
    /// connect() to a multicast or broadcast route.
    NetUnreach,
    /// `ECONNABORTED`: a connect() that ended without a recorded error,
    /// or `tcp_disconnect()` under TCP_REPAIR.
    ConnAborted,
    /// `ECONNRESET`: reset by the peer, or aborted by us.
    ConnReset,
    /// `EISCONN`: connect() on a connected (or listening) socket.
    IsConn,
    /// `ENOTCONN`: `shutdown()` of a socket in CLOSE.
    NotConn,
    /// `ETIMEDOUT`: retransmissions or probes gave up.
    TimedOut,
    /// `ECONNREFUSED`: an RST answered our SYN, or ICMP port unreachable.
    ConnRefused,
    /// `EHOSTDOWN`: ICMP host unknown.
    HostDown,
    /// `EHOSTUNREACH`: ICMP host unreachable (and its variants), or time
    /// exceeded.
    HostUnreach,
    /// `EALREADY`: connect() again while one is in progress.
    Already,
    /// `EINPROGRESS`: a non-blocking connect() sent its SYN.
    InProgress,
    /// `ERESTARTSYS`: connect() interrupted by a signal without a send
    /// timeout (the system call restarts, or fails with `EINTR` without
    /// SA_RESTART).
    RestartSys,
    /// A positive errno the kernel handed in and the core only passes
    /// back: an `sk_err` it did not set itself, or a route lookup's error
    /// (see [`super::af_inet::check_connect`]). The core never makes one;
    /// the kernel side should map the errnos that have a variant to that
    /// variant and keep this for the rest.
    Other(i32),
}
