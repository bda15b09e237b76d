// SPDX-License-Identifier: GPL-2.0

//! The socket layer of rust_tcp, as `net/ipv4/af_inet.c` is for AF_INET:
//! which socket() calls create a TCP socket, and the stream proto_ops,
//! which hand over to `inet_connection_sock` for the work.

use crate::errno::{from_value, to_error};
use crate::inet_connection_sock as icsk;
use crate::proto::af_inet::{
    sock_error, stream_connect_start, stream_connect_wait, stream_connect_woken, ConnectStart, ConnectStep,
    SocketState as SockState,
};
use crate::proto::create::{check_create, CreateError};
use crate::proto::errno::Errno;
use crate::proto::seq::SeqNum;
use crate::proto::tcp_fin::{tcp_poll, PollInput, PollMask};
use crate::proto::tcp_states::{TCP_CLOSE, TCP_LISTEN, TCP_SYN_RECV, TCP_SYN_SENT};
use crate::proto::tcp_timer::MAX_TCP_SYNCNT;
use crate::sys::bindings as b;
use crate::sys::errno;
use crate::sys::net::Sysctl;
use crate::sys::sock::{SockLockGuard, WaitFor};
use crate::sys::socket::{epoll, Msg, Name, OptVal, SocketState, StreamOps, TcpInfo, SOL_SOCKET, SO_REUSEPORT};
use crate::tcp_sock::{SockRef, TcpSk, TcpSock};
use kernel::prelude::*;

/// TCP stream sockets: the family's only protocol.
pub(crate) struct TcpStream;

/// `socket->state` as the core names it, and back.
fn sock_state(s: SocketState) -> SockState {
    match s {
        SocketState::Free => SockState::Free,
        SocketState::Unconnected => SockState::Unconnected,
        SocketState::Connecting => SockState::Connecting,
        SocketState::Connected => SockState::Connected,
        SocketState::Disconnecting => SockState::Disconnecting,
    }
}

fn socket_state(s: SockState) -> SocketState {
    match s {
        SockState::Free => SocketState::Free,
        SockState::Unconnected => SocketState::Unconnected,
        SockState::Connecting => SocketState::Connecting,
        SockState::Connected => SocketState::Connected,
        SockState::Disconnecting => SocketState::Disconnecting,
    }
}

/// The core's poll mask in the kernel's `EPOLL*` bits.
fn poll_bits(m: PollMask) -> u32 {
    [
        (m.pollin(), epoll::IN),
        (m.pollpri(), epoll::PRI),
        (m.pollout(), epoll::OUT),
        (m.pollerr(), epoll::ERR),
        (m.pollhup(), epoll::HUP),
        (m.pollrdnorm(), epoll::RDNORM),
        (m.pollwrnorm(), epoll::WRNORM),
        (m.pollrdhup(), epoll::RDHUP),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .fold(0, |acc, (_, bit)| acc | bit)
}

#[vtable]
impl StreamOps for TcpStream {
    type Data = TcpSock;

    fn check_create(sock_type: i32, protocol: i32) -> Result {
        check_create(sock_type, protocol).map_err(|e| match e {
            CreateError::InvalidProtocol => EINVAL,
            CreateError::TypeNotSupported => errno(b::ESOCKTNOSUPPORT),
            CreateError::ProtocolNotSupported => errno(b::EPROTONOSUPPORT),
        })
    }

    fn release(sk: SockRef) -> Result {
        crate::tcp::close(&sk);
        sk.orphan();
        Ok(())
    }

    fn poll(sk: &TcpSk) -> u32 {
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
        let mut i = sk.data().inner.lock();
        let Some(c) = i.conn_mut() else { return poll_bits(tcp_poll(&p).mask) };
        c.poll_fill(&mut p);
        let r = tcp_poll(&p);
        // Not writable while it could be: SOCK_NOSPACE, so that the ACK
        // which frees room may also grow the buffer.
        if r.nospace {
            c.set_nospace();
        }
        poll_bits(r.mask)
    }

    fn ioctl(sk: &TcpSk, cmd: u32) -> Result<Option<i32>> {
        crate::tcp::ioctl(sk, cmd)
    }

    fn sendmsg(sk: &TcpSk, g: &SockLockGuard<'_, TcpSock>, m: &mut Msg, flags: i32) -> Result<usize> {
        crate::tcp::sendmsg(sk, g, m, flags)
    }

    fn recvmsg(sk: &TcpSk, g: &SockLockGuard<'_, TcpSock>, m: &mut Msg, flags: i32) -> Result<usize> {
        crate::tcp::recvmsg(sk, g, m, flags)
    }

    fn shutdown(sk: &TcpSk, how: i32, state: &mut SocketState) -> Result {
        let mut st = sock_state(*state);
        let r = crate::tcp::shutdown(sk, how, &mut st);
        *state = socket_state(st);
        r
    }

    fn bind(sk: &TcpSk, addr: &[u8], addr_len: usize) -> Result {
        icsk::bind(sk, addr, addr_len)
    }

    fn listen(sk: &TcpSk, backlog: u32, sock_state_ok: bool) -> Result {
        if !sock_state_ok {
            return Err(EINVAL);
        }
        icsk::listen(sk, backlog)
    }

    fn accept(sk: &TcpSk, nonblock: bool) -> Result<SockRef> {
        icsk::accept(sk, nonblock)
    }

    fn connect(
        sk: &TcpSk,
        g: &SockLockGuard<'_, TcpSock>,
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
        let pending = match stream_connect_start(addr_len, family, sock_state(*state), sk.state(), false, false) {
            ConnectStart::Fail(e) => return Err(to_error(e)),
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
                Errno::InProgress
            }
            ConnectStart::Wait(e) => e,
        };
        let mut timeo = sk.sndtimeo(nonblock);
        let now = if just_sent { TCP_SYN_SENT } else { sk.state() };
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
                let err = sock_error(from_value(sk.take_err()));
                *state = SocketState::Unconnected;
                sk.inc_disconnects();
                crate::tcp::disconnect(sk);
                Err(to_error(err))
            }
            ConnectStep::Return(e) => Err(to_error(e)),
            ConnectStep::Wait => Err(to_error(pending)),
        }
    }

    fn getname(sk: &TcpSk, peer: bool) -> Result<Name> {
        // inet_getname.
        let i = sk.data().inner.lock();
        if peer {
            let state = sk.state();
            match i.tuple {
                Some(t) if state != TCP_CLOSE && state != TCP_SYN_SENT => Ok(Name {
                    addr: t.raddr,
                    port: t.rport,
                }),
                _ => Err(to_error(Errno::NotConn)),
            }
        } else {
            let addr = match (i.rcv_saddr, i.tuple) {
                ([0, 0, 0, 0], Some(t)) => t.laddr,
                (a, _) => a,
            };
            Ok(Name { addr, port: i.sport })
        }
    }

    fn setsockopt(sk: &TcpSk, level: i32, optname: i32, val: i32) -> Result {
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
                sk.data().inner.lock().syn_retries = val as u8;
                Ok(())
            }
            (SOL_IP, IP_BIND_ADDRESS_NO_PORT) => {
                sk.data().inner.lock().bind_address_no_port = val != 0;
                Ok(())
            }
            (SOL_TCP, TCP_NODELAY) => {
                // tcp_sock_set_nodelay(): on, it also pushes what waits.
                let on = val != 0;
                let mut i = sk.data().inner.lock();
                i.nodelay = on;
                if let Some(c) = i.conn_mut() {
                    c.nagle.set_nodelay(on);
                }
                drop(i);
                if on {
                    crate::tcp::with_conn(sk, |c, tx| c.push(tx, &crate::tcp_sock::now()));
                }
                Ok(())
            }
            // Other options come with the connection state they touch.
            _ => Err(to_error(Errno::OpNotSupp)),
        }
    }

    fn getsockopt(sk: &TcpSk, level: i32, optname: i32) -> Result<OptVal> {
        if (level, optname) == (SOL_TCP, TCP_INFO) {
            return Ok(OptVal::TcpInfo(tcp_info(sk)));
        }
        getsockopt_int(sk, level, optname).map(OptVal::Int)
    }
}

/// `tcp_get_info()`: a connection's own account, or what a socket without
/// one reports (its state; a listener's accept queue length and limit in
/// `unacked`/`sacked`; `tcp_init_sock()`'s defaults).
fn tcp_info(sk: &TcpSk) -> TcpInfo {
    let now = crate::tcp_sock::now();
    if let Some(c) = sk.data().inner.lock().conn() {
        let mut i = c.info(&now);
        // A connection that ended reports CLOSE, as its sock does.
        i.state = sk.state();
        return tcp_info_abi(&i);
    }
    let state = sk.state();
    let (unacked, sacked) = if state == TCP_LISTEN {
        (sk.ack_backlog(), sk.max_ack_backlog())
    } else {
        (0, 0)
    };
    tcp_info_abi(&crate::proto::tcp_conn::TcpInfo {
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
        ..Default::default()
    })
}

/// The core's account in the glue's `struct rust_tcp_info`, which the
/// glue copies into `struct tcp_info` (whose bitfields Rust cannot lay
/// out).
fn tcp_info_abi(i: &crate::proto::tcp_conn::TcpInfo) -> TcpInfo {
    TcpInfo {
        state: i.state,
        ca_state: i.ca_state,
        retransmits: i.retransmits,
        probes: i.probes,
        backoff: i.backoff,
        options: i.options,
        snd_wscale: i.snd_wscale,
        rcv_wscale: i.rcv_wscale,
        rto: i.rto_us,
        ato: i.ato_us,
        snd_mss: i.snd_mss,
        rcv_mss: i.rcv_mss,
        unacked: i.unacked,
        sacked: i.sacked,
        lost: i.lost,
        retrans: i.retrans,
        last_data_sent: i.last_data_sent_ms,
        last_data_recv: i.last_data_recv_ms,
        last_ack_recv: i.last_ack_recv_ms,
        pmtu: i.pmtu,
        rcv_ssthresh: i.rcv_ssthresh,
        rtt: i.rtt_us,
        rttvar: i.rttvar_us,
        snd_ssthresh: i.snd_ssthresh,
        snd_cwnd: i.snd_cwnd,
        advmss: i.advmss,
        reordering: i.reordering,
        rcv_rtt: i.rcv_rtt_us,
        rcv_space: i.rcv_space,
        total_retrans: i.total_retrans,
        bytes_acked: i.bytes_acked,
        bytes_received: i.bytes_received,
        segs_out: i.segs_out,
        segs_in: i.segs_in,
        notsent_bytes: i.notsent_bytes,
        min_rtt: i.min_rtt_us,
        data_segs_in: i.data_segs_in,
        data_segs_out: i.data_segs_out,
        delivered: i.delivered,
        snd_wnd: i.snd_wnd,
        rcv_wnd: i.rcv_wnd,
        reord_seen: i.reord_seen,
        bytes_sent: i.bytes_sent,
        bytes_retrans: i.bytes_retrans,
        total_rto: i.total_rto,
        total_rto_recoveries: i.total_rto_recoveries,
    }
}

fn getsockopt_int(sk: &TcpSk, level: i32, optname: i32) -> Result<i32> {
    match (level, optname) {
        (SOL_TCP, TCP_SYNCNT) => {
            let own = sk.data().inner.lock().syn_retries;
            Ok(if own != 0 {
                i32::from(own)
            } else {
                sk.net().sysctl(Sysctl::RUST_TCP_SYSCTL_SYN_RETRIES)
            })
        }
        (SOL_IP, IP_BIND_ADDRESS_NO_PORT) => Ok(i32::from(sk.data().inner.lock().bind_address_no_port)),
        (SOL_TCP, TCP_NODELAY) => Ok(i32::from(sk.data().inner.lock().nodelay)),
        // mss_cache: the connection's MSS (options every segment carries
        // taken off), TCP_MSS_DEFAULT before there is one. Setting it is
        // not supported yet.
        (SOL_TCP, TCP_MAXSEG) => Ok(sk.data().inner.lock().conn().map_or(536, |c| c.mss as i32)),
        _ => Err(to_error(Errno::OpNotSupp)),
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

impl WaitFor<TcpSock> for ConnectDone {
    fn ready(sk: &TcpSk) -> bool {
        let s = sk.state();
        s != TCP_SYN_SENT && s != TCP_SYN_RECV
    }
}
