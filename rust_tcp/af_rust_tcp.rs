// SPDX-License-Identifier: GPL-2.0

//! The socket layer of rust_tcp, as `net/ipv4/af_inet.c` is for AF_INET:
//! which socket() calls create a TCP socket, and the stream proto_ops,
//! which hand over to `inet_connection_sock` for the work.

use crate::inet_connection_sock as icsk;
use crate::proto::create::{check_create, CreateError};
use crate::sys::bindings as b;
use crate::sys::errno;
use crate::proto::af_inet::{
    sock_error, stream_connect_start, stream_connect_wait, stream_connect_woken, ConnectError, ConnectStart, ConnectStep,
    SocketState,
};
use crate::proto::tcp_timer::MAX_TCP_SYNCNT;
use crate::sys::net::Sysctl;
use crate::sys::sock::{Sock, SockLockGuard, SockRef, WaitFor};
use crate::sys::socket::{Family, Msg, Name, OptVal, StreamOps, SOL_SOCKET, SO_REUSEPORT};
use crate::proto::seq::SeqNum;
use crate::proto::tcp_conn::TcpInfo;
use crate::proto::tcp_fin::{tcp_poll, PollInput};
use crate::tcp_ipv4::connect_errno;
use crate::tcp_states::{CLOSE, LISTEN, SYN_RECV, SYN_SENT};
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
        // tcp_poll().
        let state = sk.state();
        let mut p = PollInput {
            state,
            sk_shutdown: sk.shutdown(),
            accept_queue_nonempty: sk.ack_backlog() > 0,
            rcv_nxt: SeqNum(0),
            copied_seq: SeqNum(0),
            rcvlowat: sk.rcvlowat().max(1),
            urg_at_copied: false,
            urg_valid: false,
            memory_pressure: false,
            rmem_alloc: 0,
            rcvbuf: sk.rcvbuf(),
            rcv_wup: SeqNum(0),
            rcv_wnd: 0,
            rcv_mss: 536,
            sndbuf: 1,
            wmem_queued: 0,
            notsent_bytes: 0,
            notsent_lowat: u32::MAX,
            sk_err: sk.err() != 0,
            error_queue_nonempty: false,
        };
        let mut i = sk.tcp().inner.lock();
        let Some(c) = i.est.as_mut() else { return tcp_poll(&p).mask };
        c.poll_fill(&mut p);
        let mask = tcp_poll(&p).mask;
        // Not writable while it could be: SOCK_NOSPACE, so that the ACK
        // which frees room may also grow the buffer.
        if mask & crate::proto::tcp_fin::EPOLLOUT == 0 && p.sk_shutdown & crate::proto::tcp_fin::SEND_SHUTDOWN == 0 {
            c.set_nospace();
        }
        mask
    }

    fn ioctl(sk: &Sock<'_>, cmd: u32) -> Result<Option<i32>> {
        crate::tcp::ioctl(sk, cmd)
    }

    fn sendmsg(sk: &Sock<'_>, g: &SockLockGuard<'_>, m: &mut Msg, flags: i32) -> Result<usize> {
        crate::tcp::sendmsg(sk, g, m, flags)
    }

    fn recvmsg(sk: &Sock<'_>, g: &SockLockGuard<'_>, m: &mut Msg, flags: i32) -> Result<usize> {
        crate::tcp::recvmsg(sk, g, m, flags)
    }

    fn shutdown(sk: &Sock<'_>, how: i32, state: &mut SocketState) -> Result {
        crate::tcp::shutdown(sk, how, state)
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

    fn connect(
        sk: &Sock<'_>,
        g: &SockLockGuard<'_>,
        state: &mut SocketState,
        addr: &[u8],
        addr_len: usize,
        nonblock: bool,
    ) -> Result {
        // __inet_stream_connect().
        let family = match addr {
            [a, b, ..] => u16::from_ne_bytes([*a, *b]),
            _ => 0,
        };
        // Linux holds the socket lock from tcp_v4_connect() to here, so the
        // answer to the SYN waits in the backlog and the state is still
        // SYN_SENT; our receive path does not wait for that lock, so the
        // state it may already have changed is read only after sleeping.
        let mut just_sent = false;
        let pending = match stream_connect_start(addr_len, family, *state, sk.state(), false, false) {
            ConnectStart::Fail(e) => return Err(connect_errno(e)),
            ConnectStart::Disconnect => {
                sk.inc_disconnects();
                crate::tcp::disconnect(sk);
                *state = SocketState::Unconnected;
                return Ok(());
            }
            ConnectStart::Connect => {
                crate::tcp_ipv4::v4_connect(sk, addr, addr_len)?;
                *state = SocketState::Connecting;
                just_sent = true;
                ConnectError::InProgress
            }
            ConnectStart::Wait(e) => e,
        };
        let mut timeo = sk.sndtimeo(nonblock);
        let now = if just_sent { SYN_SENT } else { sk.state() };
        let mut step = stream_connect_wait(pending, now, timeo.is_zero());
        if step == ConnectStep::Wait {
            let infinite = timeo.is_infinite();
            let disconnects = sk.disconnects();
            let signal = sk.wait_locked::<ConnectDone>(g, &mut timeo);
            step = stream_connect_woken(
                pending,
                timeo.is_zero(),
                signal,
                infinite,
                sk.disconnects() != disconnects,
                sk.state(),
            );
        }
        match step {
            ConnectStep::Connected => {
                *state = SocketState::Connected;
                Ok(())
            }
            ConnectStep::SockError => {
                // Refused, timed out or reset: report it and start over.
                let err = sock_error(sk.take_err());
                *state = SocketState::Unconnected;
                sk.inc_disconnects();
                crate::tcp::disconnect(sk);
                Err(connect_errno(err))
            }
            ConnectStep::Return(e) => Err(connect_errno(e)),
            ConnectStep::Wait => Err(connect_errno(pending)),
        }
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
            Ok(Name { addr, port: i.sport })
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
            (SOL_TCP, TCP_SYNCNT) => {
                // tcp_sock_set_syncnt().
                if !(1..=i32::from(MAX_TCP_SYNCNT)).contains(&val) {
                    return Err(EINVAL);
                }
                sk.tcp().inner.lock().syn_retries = val as u8;
                Ok(())
            }
            (SOL_IP, IP_BIND_ADDRESS_NO_PORT) => {
                sk.tcp().inner.lock().bind_address_no_port = val != 0;
                Ok(())
            }
            (SOL_TCP, TCP_NODELAY) => {
                // tcp_sock_set_nodelay(): on, it also pushes what waits.
                let on = val != 0;
                let mut i = sk.tcp().inner.lock();
                i.nodelay = on;
                if let Some(c) = i.est.as_mut() {
                    c.nagle.set_nodelay(on);
                }
                drop(i);
                if on {
                    crate::tcp::with_conn(sk, |c, tx| c.push(tx, &crate::tcp::now()));
                }
                Ok(())
            }
            // Other options come with the connection state they touch.
            _ => Err(errno(b::EOPNOTSUPP)),
        }
    }

    fn getsockopt(sk: &Sock<'_>, level: i32, optname: i32) -> Result<OptVal> {
        if (level, optname) == (SOL_TCP, TCP_INFO) {
            return Ok(OptVal::TcpInfo(tcp_info(sk)));
        }
        getsockopt_int(sk, level, optname).map(OptVal::Int)
    }
}

/// `tcp_get_info()`: a connection's own account, or what a socket without
/// one reports (its state; a listener's accept queue length and limit in
/// `unacked`/`sacked`; `tcp_init_sock()`'s defaults).
fn tcp_info(sk: &Sock<'_>) -> TcpInfo {
    let now = crate::tcp::now();
    if let Some(c) = sk.tcp().inner.lock().est.as_ref() {
        let mut i = c.info(&now);
        // A connection that ended reports CLOSE, as its sock does.
        i.state = sk.state();
        return i;
    }
    let state = sk.state();
    let (unacked, sacked) = if state == LISTEN {
        (sk.ack_backlog(), sk.max_ack_backlog())
    } else {
        (0, 0)
    };
    TcpInfo {
        state,
        unacked,
        sacked,
        rto_us: 1_000_000,
        rttvar_us: 250_000,
        snd_mss: 536,
        snd_cwnd: 10,
        snd_ssthresh: 0x7fff_ffff,
        reordering: 3,
        min_rtt_us: u32::MAX,
        ..TcpInfo::default()
    }
}

fn getsockopt_int(sk: &Sock<'_>, level: i32, optname: i32) -> Result<i32> {
    match (level, optname) {
        (SOL_TCP, TCP_SYNCNT) => {
            let own = sk.tcp().inner.lock().syn_retries;
            Ok(if own != 0 {
                i32::from(own)
            } else {
                sk.net().sysctl(Sysctl::RUST_TCP_SYSCTL_SYN_RETRIES)
            })
        }
        (SOL_IP, IP_BIND_ADDRESS_NO_PORT) => Ok(i32::from(sk.tcp().inner.lock().bind_address_no_port)),
        (SOL_TCP, TCP_NODELAY) => Ok(i32::from(sk.tcp().inner.lock().nodelay)),
        // mss_cache: the connection's MSS (options every segment carries
        // taken off), TCP_MSS_DEFAULT before there is one. Setting it is
        // not supported yet.
        (SOL_TCP, TCP_MAXSEG) => Ok(sk.tcp().inner.lock().est.as_ref().map_or(536, |c| c.mss as i32)),
        _ => Err(errno(b::EOPNOTSUPP)),
    }
}

/// `SOL_IP` and `IP_BIND_ADDRESS_NO_PORT` (uapi/linux/in.h).
const SOL_IP: i32 = 0;
const IP_BIND_ADDRESS_NO_PORT: i32 = 24;
/// `SOL_TCP` and `TCP_SYNCNT` (uapi/linux/tcp.h).
const SOL_TCP: i32 = 6;
const TCP_SYNCNT: i32 = 7;
const TCP_NODELAY: i32 = 1;
const TCP_INFO: i32 = 11;
const TCP_MAXSEG: i32 = 2;

/// `inet_wait_for_connect()` sleeps until the socket leaves SYN_SENT and
/// SYN_RECV.
struct ConnectDone;

impl WaitFor for ConnectDone {
    fn ready(sk: &Sock<'_>) -> bool {
        let s = sk.state();
        s != SYN_SENT && s != SYN_RECV
    }
}
