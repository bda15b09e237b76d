// SPDX-License-Identifier: GPL-2.0

//! Which `socket(family, type, protocol)` calls create a rust_tcp socket.
//!
//! `inet_create` (net/ipv4/af_inet.c) checks the protocol range first, then
//! looks the type up in `inetsw[]` and the protocol in that type's list. Our
//! family's only entry is `SOCK_STREAM`/`IPPROTO_TCP`, so the answers are
//! exactly AF_INET's would be with TCP as its one protocol. The type's range
//! (`0..SOCK_MAX`) and its flag bits are checked by `__sys_socket` before a
//! family sees the call.

/// `SOCK_STREAM` (linux/net.h).
pub const SOCK_STREAM: i32 = 1;
/// `IPPROTO_IP`: "the default protocol of the type".
pub const IPPROTO_IP: i32 = 0;
/// `IPPROTO_TCP`.
pub const IPPROTO_TCP: i32 = 6;
/// `IPPROTO_MAX` in 6.12 (one past `IPPROTO_MPTCP`, 262).
pub const IPPROTO_MAX: i32 = 263;

/// Why a socket cannot be created; each maps to one errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateError {
    /// Protocol outside `0..IPPROTO_MAX`: `EINVAL`.
    InvalidProtocol,
    /// No protocol of the family has this type: `ESOCKTNOSUPPORT`.
    TypeNotSupported,
    /// The type exists but not with this protocol: `EPROTONOSUPPORT`.
    ProtocolNotSupported,
}

/// Answers `socket(AF_RUST_TCP, sock_type, protocol)` as `inet_create` would;
/// `Ok` means a TCP socket (protocol 0 selects TCP).
pub fn check_create(sock_type: i32, protocol: i32) -> Result<(), CreateError> {
    if !(0..IPPROTO_MAX).contains(&protocol) {
        return Err(CreateError::InvalidProtocol);
    }
    if sock_type != SOCK_STREAM {
        return Err(CreateError::TypeNotSupported);
    }
    match protocol {
        IPPROTO_IP | IPPROTO_TCP => Ok(()),
        _ => Err(CreateError::ProtocolNotSupported),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_tcp_and_default() {
        assert_eq!(check_create(SOCK_STREAM, 0), Ok(()));
        assert_eq!(check_create(SOCK_STREAM, IPPROTO_TCP), Ok(()));
    }

    #[test]
    fn protocol_range_is_checked_before_type() {
        // inet_create returns EINVAL before looking at the type.
        for t in [SOCK_STREAM, 2, 3, 5, 10] {
            assert_eq!(check_create(t, -1), Err(CreateError::InvalidProtocol));
            assert_eq!(check_create(t, IPPROTO_MAX), Err(CreateError::InvalidProtocol));
        }
    }

    #[test]
    fn other_types_and_protocols() {
        assert_eq!(check_create(2, 0), Err(CreateError::TypeNotSupported));
        assert_eq!(check_create(3, IPPROTO_TCP), Err(CreateError::TypeNotSupported));
        assert_eq!(check_create(SOCK_STREAM, 17), Err(CreateError::ProtocolNotSupported));
        assert_eq!(check_create(SOCK_STREAM, 262), Err(CreateError::ProtocolNotSupported));
        assert_eq!(check_create(SOCK_STREAM, IPPROTO_MAX - 1), Err(CreateError::ProtocolNotSupported));
    }
}
