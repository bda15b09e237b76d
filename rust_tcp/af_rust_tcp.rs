// SPDX-License-Identifier: GPL-2.0

//! The socket layer of rust_tcp, as `net/ipv4/af_inet.c` is for AF_INET:
//! which socket() calls create a TCP socket, and the stream proto_ops.

use crate::proto::create::{check_create, CreateError};
use crate::sys::errno;
use crate::sys::sock::Sock;
use crate::sys::socket::{poll, Family, StreamOps};
use crate::sys::bindings as b;
use kernel::prelude::*;

/// TCP stream sockets: the family's only protocol.
pub(crate) struct TcpStream;

impl Family for TcpStream {
    fn check_create(sock_type: i32, protocol: i32) -> Result {
        check_create(sock_type, protocol).map_err(|e| match e {
            CreateError::InvalidProtocol => EINVAL,
            CreateError::TypeNotSupported => errno(b::ESOCKTNOSUPPORT),
            CreateError::ProtocolNotSupported => errno(b::EPROTONOSUPPORT),
        })
    }

    fn created(sk: &Sock) {
        sk.netns().sock_created();
    }
}

#[vtable]
impl StreamOps for TcpStream {
    fn release(sk: Sock) -> Result {
        sk.orphan_and_put();
        Ok(())
    }

    fn poll(sk: &Sock) -> u32 {
        // tcp_poll for the states that exist so far: a closed socket hangs
        // up, and has room to write (nothing queued), so a poller never
        // blocks on it.
        let mut mask = 0;
        if sk.shutdown() == b::SHUTDOWN_MASK as u8 || sk.state() == b::TCP_CLOSE as u8 {
            mask |= poll::EPOLLHUP;
        }
        if sk.state() == b::TCP_CLOSE as u8 {
            mask |= poll::EPOLLOUT | poll::EPOLLWRNORM;
        }
        mask
    }
}
