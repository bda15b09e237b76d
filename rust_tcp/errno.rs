// SPDX-License-Identifier: GPL-2.0

//! The one place where the core's errors ([`Errno`]) become the kernel's
//! errno values, and the errno stored in `sk_err` becomes an [`Errno`]
//! again. The numbers come from the kernel's own headers (bindgen), so
//! they are right on every architecture.

use crate::proto::errno::Errno;
use crate::sys::bindings as b;
use kernel::error::Error;

/// The kernel's errno constant (positive) of `e`.
pub(crate) fn errno_value(e: Errno) -> i32 {
    let v = match e {
        Errno::Intr => b::EINTR,
        Errno::Inval => b::EINVAL,
        Errno::Pipe => b::EPIPE,
        Errno::NoNet => b::ENONET,
        Errno::Proto => b::EPROTO,
        Errno::NoProtoOpt => b::ENOPROTOOPT,
        Errno::OpNotSupp => b::EOPNOTSUPP,
        Errno::AfNoSupport => b::EAFNOSUPPORT,
        Errno::NetUnreach => b::ENETUNREACH,
        Errno::ConnAborted => b::ECONNABORTED,
        Errno::ConnReset => b::ECONNRESET,
        Errno::IsConn => b::EISCONN,
        Errno::NotConn => b::ENOTCONN,
        Errno::TimedOut => b::ETIMEDOUT,
        Errno::ConnRefused => b::ECONNREFUSED,
        Errno::HostDown => b::EHOSTDOWN,
        Errno::HostUnreach => b::EHOSTUNREACH,
        Errno::Already => b::EALREADY,
        Errno::InProgress => b::EINPROGRESS,
        Errno::RestartSys => b::ERESTARTSYS,
        Errno::Other(v) => return v,
    };
    v as i32
}

/// `e` as a kernel error, to return from a system call.
pub(crate) fn to_error(e: Errno) -> Error {
    Error::from_errno(-errno_value(e))
}

/// An errno the kernel hands in (a positive `sk_err`, or a negative
/// return of a kernel call), by name when the core has one; 0 is `None`.
pub(crate) fn from_value(v: i32) -> Option<Errno> {
    const NAMED: [Errno; 20] = [
        Errno::Intr,
        Errno::Inval,
        Errno::Pipe,
        Errno::NoNet,
        Errno::Proto,
        Errno::NoProtoOpt,
        Errno::OpNotSupp,
        Errno::AfNoSupport,
        Errno::NetUnreach,
        Errno::ConnAborted,
        Errno::ConnReset,
        Errno::IsConn,
        Errno::NotConn,
        Errno::TimedOut,
        Errno::ConnRefused,
        Errno::HostDown,
        Errno::HostUnreach,
        Errno::Already,
        Errno::InProgress,
        Errno::RestartSys,
    ];
    let v = v.checked_abs()?;
    if v == 0 {
        return None;
    }
    Some(NAMED.into_iter().find(|&e| errno_value(e) == v).unwrap_or(Errno::Other(v)))
}
