// SPDX-License-Identifier: GPL-2.0

//! The socket layer of rust_tcp, as `net/ipv4/af_inet.c` is for AF_INET:
//! which socket() calls create a TCP socket, and the stream proto_ops,
//! which hand over to `inet_connection_sock` for the work.

use crate::inet_connection_sock as icsk;
use crate::proto::create::{check_create, CreateError};
use crate::sys::bindings as b;
use crate::sys::errno;
use crate::sys::sock::{Sock, SockRef};
use crate::sys::socket::{poll, Family, Name, StreamOps, SOL_SOCKET, SO_REUSEPORT};
use crate::tcp_states::{CLOSE, LISTEN, SYN_SENT};
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

    fn created(_sk: &Sock<'_>) {}
}

#[vtable]
impl StreamOps for TcpStream {
    fn release(sk: SockRef) -> Result {
        icsk::close(&sk);
        sk.orphan();
        Ok(())
    }

    fn poll(sk: &Sock<'_>) -> u32 {
        let state = sk.state();
        if state == LISTEN {
            // inet_csk_listen_poll.
            return if sk.ack_backlog() > 0 {
                poll::EPOLLIN | poll::EPOLLRDNORM
            } else {
                0
            };
        }
        // tcp_poll, for the states that exist so far.
        let shutdown = sk.shutdown();
        let mut mask = 0;
        if shutdown == b::SHUTDOWN_MASK as u8 || state == CLOSE {
            mask |= poll::EPOLLHUP;
        }
        if shutdown & b::RCV_SHUTDOWN as u8 != 0 {
            mask |= poll::EPOLLIN | poll::EPOLLRDNORM | poll::EPOLLRDHUP;
        }
        if state != SYN_SENT && shutdown & b::SEND_SHUTDOWN as u8 == 0 {
            mask |= poll::EPOLLOUT | poll::EPOLLWRNORM;
        }
        if sk.err() != 0 {
            mask |= poll::EPOLLERR;
        }
        mask
    }

    fn bind(sk: &Sock<'_>, addr: &[u8], addr_len: usize) -> Result {
        icsk::bind(sk, addr, addr_len)
    }

    fn listen(sk: &Sock<'_>, backlog: u32, sock_state_ok: bool) -> Result {
        if !sock_state_ok {
            return Err(EINVAL);
        }
        icsk::listen(sk, backlog)
    }

    fn accept(sk: &Sock<'_>, nonblock: bool) -> Result<SockRef> {
        icsk::accept(sk, nonblock)
    }

    fn getname(sk: &Sock<'_>, peer: bool) -> Result<Name> {
        // inet_getname.
        let i = sk.tcp().inner.lock();
        if peer {
            let state = sk.state();
            match i.tuple {
                Some(t) if state != CLOSE && state != SYN_SENT => Ok(Name {
                    addr: t.raddr,
                    port: t.rport,
                }),
                _ => Err(errno(b::ENOTCONN)),
            }
        } else {
            let addr = match (i.rcv_saddr, i.tuple) {
                ([0, 0, 0, 0], Some(t)) => t.laddr,
                (a, _) => a,
            };
            Ok(Name { addr, port: i.num })
        }
    }

    fn setsockopt(sk: &Sock<'_>, level: i32, optname: i32, val: i32) -> Result {
        match (level, optname) {
            // sk_setsockopt, minus the sk_is_inet() refusal that would hit
            // a family of our own.
            (SOL_SOCKET, SO_REUSEPORT) => {
                sk.set_reuseport(val != 0);
                Ok(())
            }
            // TCP-level options come with the connection state they touch.
            _ => Err(errno(b::EOPNOTSUPP)),
        }
    }
}
