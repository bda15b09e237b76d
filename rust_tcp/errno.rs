// SPDX-License-Identifier: GPL-2.0

//! The one place where the core's errors ([`Errno`]) become the kernel's
//! errno values, and the errno stored in `sk_err` becomes an [`Errno`]
//! again. The numbers come from the kernel's own headers (bindgen), so
//! they are right on every architecture.

use crate::proto::errno::Errno;
use crate::sys::bindings as b;
use kernel::error::Error;

/// Generates both directions of the mapping from one table, so the two
/// cannot disagree or miss a variant: `errno_value` must match every
/// named variant (the compiler checks that), and `from_value` tries the
/// same list.
macro_rules! errno_map {
    ($($name:ident => $c:ident,)*) => {
        /// The kernel's errno constant (positive) of `e`.
        pub(crate) fn errno_value(e: Errno) -> i32 {
            match e {
                $(Errno::$name => b::$c as i32,)*
                Errno::Other(v) => v,
            }
        }

        /// An errno the kernel hands in (a positive `sk_err`, or a
        /// negative return of a kernel call), by name when the core has
        /// one; 0 is `None`.
        pub(crate) fn from_value(v: i32) -> Option<Errno> {
            let v = v.checked_abs()?;
            match v {
                0 => None,
                $(_ if v == b::$c as i32 => Some(Errno::$name),)*
                _ => Some(Errno::Other(v)),
            }
        }
    };
}

errno_map! {
    Intr => EINTR,
    Inval => EINVAL,
    Pipe => EPIPE,
    NoNet => ENONET,
    Proto => EPROTO,
    NoProtoOpt => ENOPROTOOPT,
    OpNotSupp => EOPNOTSUPP,
    AfNoSupport => EAFNOSUPPORT,
    NetUnreach => ENETUNREACH,
    ConnAborted => ECONNABORTED,
    ConnReset => ECONNRESET,
    IsConn => EISCONN,
    NotConn => ENOTCONN,
    TimedOut => ETIMEDOUT,
    ConnRefused => ECONNREFUSED,
    HostDown => EHOSTDOWN,
    HostUnreach => EHOSTUNREACH,
    Already => EALREADY,
    InProgress => EINPROGRESS,
    RestartSys => ERESTARTSYS,
}

/// `e` as a kernel error, to return from a system call.
pub(crate) fn to_error(e: Errno) -> Error {
    Error::from_errno(-errno_value(e))
}
