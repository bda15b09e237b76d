// SPDX-License-Identifier: GPL-2.0

//! What a segment does to a sock that owns its 4-tuple
//! (`tcp_rcv_state_process`, net/ipv4/tcp_input.c): an active open in
//! SYN_SENT or SYN_RECV, or a synchronised connection. The decisions are
//! `proto::tcp_connect`'s; this file applies them to the sock.

use crate::netns::NetNs;
use crate::proto::errno::Errno;
use crate::proto::tcp_connect::{synrecv_rcv, synsent_rcv, ConnInit, SynRecvAction, SynSentAction, SynSentCtx};
use crate::proto::tcp_hdr::{TcpRepr, TcpSegment};
use crate::proto::tcp_states::{TCP_ESTABLISHED, TCP_SYN_RECV, TCP_SYN_SENT};
use crate::sys::bindings as b;
use crate::sys::net::Verdict;
use crate::tcp::tcp_done;
use crate::tcp_output::{send_active_reset, send_reset, transmit_id};
use crate::tcp_sock::{FourTuple, Role, TcpInner, TcpSk};

/// Dispatches by state; every segment that reaches a sock is consumed.
pub(crate) fn rcv_state_process(net: &NetNs, sk: &TcpSk, seg: &TcpSegment<'_>) -> Verdict {
    match sk.state() {
        TCP_SYN_SENT | TCP_SYN_RECV => active_open_rcv(net, sk, seg),
        _ => established_rcv(sk, seg),
    }
    Verdict::Consumed
}

/// The clocks and buffers a SYN_SENT/SYN_RECV decision reads.
fn ctx(net: &NetNs, sk: &TcpSk) -> SynSentCtx {
    let (j, hz) = crate::sys::jiffies64();
    let space = crate::sysctl::full_space(sk);
    SynSentCtx {
        now_ms: crate::sys::clock_ms(),
        now_secs: (j / u64::from(hz.max(1))) as u32,
        sysctls: crate::sysctl::client_sysctls(net),
        full_space: space,
        free_space: space,
        memory_pressure: false,
        delay_ack: false,
    }
}

/// Sends `repr` on the connection under its lock, with its next IP ID.
fn send(net: &NetNs, sk: &TcpSk, i: &mut TcpInner, t: &FourTuple, repr: &TcpRepr) {
    let id = i.next_ip_id();
    let _ = transmit_id(net, t, sk.bound_dev_if(), repr, &[], true, id);
}

/// How a decision leaves the sock, once its lock is dropped.
enum After {
    Nothing,
    /// The handshake completed: stop the SYN timer, wake connect().
    Established,
    /// `tcp_reset()`/`tcp_done()` with this error.
    Done(Errno),
    /// No memory for the connection's buffers: the peer is reset and
    /// connect() fails with ENOMEM.
    Abort,
}

/// A segment for an active open (`tcp_rcv_synsent_state_process`, and
/// `tcp_rcv_state_process` in SYN_RECV after crossed SYNs).
fn active_open_rcv(net: &NetNs, sk: &TcpSk, seg: &TcpSegment<'_>) {
    let ctx = ctx(net, sk);
    let after = {
        let mut i = sk.data().inner.lock();
        let state = sk.state();
        let Some(t) = i.tuple else { return };
        // Hashed but tcp_connect() has not run yet: nothing to match.
        let Some(mut cs) = i.connecting().copied() else { return };
        let after = if state == TCP_SYN_SENT {
            match synsent_rcv(&mut cs, seg, &ctx) {
                SynSentAction::Reset { rst, rearm_jiffies, .. } => {
                    if let Some(r) = rst {
                        send_reset(net, &t, sk.bound_dev_if(), &r, true);
                    }
                    if let Some(j) = rearm_jiffies {
                        // "Previous FIN/ACK or RST/ACK might be ignored."
                        let (_, hz) = crate::sys::jiffies64();
                        let ms = (j * 1000).div_ceil(hz.max(1));
                        sk.reset_timer(&sk.data().retrans_timer, ms);
                    }
                    After::Nothing
                }
                SynSentAction::Refused => After::Done(Errno::ConnRefused),
                SynSentAction::Drop => After::Nothing,
                SynSentAction::Established(init) => {
                    i.role = Role::Connecting(cs);
                    if establish(sk, &mut i, &init) {
                        if let Some(ack) = init.ack {
                            send(net, sk, &mut i, &t, &ack);
                        }
                        After::Established
                    } else {
                        After::Abort
                    }
                }
                SynSentAction::SynRecv(synack) => {
                    i.role = Role::Connecting(cs);
                    sk.set_state(TCP_SYN_RECV);
                    send(net, sk, &mut i, &t, &synack);
                    After::Nothing
                }
            }
        } else if state == TCP_SYN_RECV {
            match synrecv_rcv(&mut cs, seg, &ctx) {
                SynRecvAction::Drop => After::Nothing,
                SynRecvAction::Ack(a) => {
                    i.role = Role::Connecting(cs);
                    send(net, sk, &mut i, &t, &a);
                    After::Nothing
                }
                SynRecvAction::Reset(rst) => {
                    if let Some(r) = rst {
                        send_reset(net, &t, sk.bound_dev_if(), &r, true);
                    }
                    After::Nothing
                }
                SynRecvAction::ResetByPeer => After::Done(Errno::ConnReset),
                SynRecvAction::Established(init) => {
                    i.role = Role::Connecting(cs);
                    if establish(sk, &mut i, &init) {
                        After::Established
                    } else {
                        After::Abort
                    }
                }
            }
        } else {
            return;
        };
        if matches!(after, After::Established) {
            // The SYN timer stops before the state is published, under
            // the lock: a writer that sees ESTABLISHED may at once arm
            // this timer for its data or FIN, which a later stop would
            // cancel.
            sk.stop_timer(&sk.data().retrans_timer);
            sk.set_state(TCP_ESTABLISHED);
        }
        after
    };
    match after {
        After::Nothing => (),
        After::Established => {
            sk.state_change();
        }
        After::Done(err) => tcp_done(sk, Some(err)),
        After::Abort => {
            send_active_reset(sk);
            tcp_done(sk, Some(Errno::Other(b::ENOMEM as i32)));
        }
    }
}

/// The connection state an active open becomes synchronised with
/// (`tcp_finish_connect`); false, the active open left as it was, when its
/// buffers cannot be allocated.
fn establish(sk: &TcpSk, i: &mut TcpInner, init: &ConnInit) -> bool {
    // The active side's advmss already has the timestamp option taken
    // off (tcp_connect_init); the path MTU is what it came from.
    let pmtu = u32::from(init.sock.advmss) + 40 + u32::from(init.sock.tcp_header_len).saturating_sub(20);
    crate::tcp::conn_init(sk, i, &init.sock, pmtu, true).is_ok()
}

/// A segment for a synchronised connection (`tcp_rcv_established()` and
/// the synchronised states of `tcp_rcv_state_process()`).
fn established_rcv(sk: &TcpSk, seg: &TcpSegment<'_>) {
    // A sock without a connection (closed meanwhile) ignores it.
    crate::tcp::with_conn(sk, |c, tx| {
        c.rcv(seg, tx, &crate::tcp_sock::now(), crate::sys::random_u32);
    });
}

/// An ICMP error for this connection (`tcp_v4_err`): fatal to an active
/// open when it quotes the SYN (`seq` within `snd_una..=snd_nxt`), which
/// then fails with `err` (EHOSTUNREACH, ECONNREFUSED, ...). Linux keeps
/// errors on synchronised connections as soft errors (`sk_err_soft`), which
/// only a timeout reports (not kept here yet).
pub(crate) fn icmp_err(sk: &TcpSk, seq: crate::proto::seq::SeqNum, err: Errno) {
    let state = sk.state();
    if state != TCP_SYN_SENT && state != TCP_SYN_RECV {
        return;
    }
    let in_window = sk
        .data()
        .inner
        .lock()
        .connecting()
        .is_some_and(|a| seq.between(a.snd_una(), a.snd_nxt()));
    if in_window {
        tcp_done(sk, Some(err));
    }
}
