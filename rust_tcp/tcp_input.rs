// SPDX-License-Identifier: GPL-2.0

//! What a segment does to a sock that owns its 4-tuple
//! (`tcp_rcv_state_process`, net/ipv4/tcp_input.c): an active open in
//! SYN_SENT or SYN_RECV, or a synchronised connection. The decisions are
//! `proto::tcp_connect`'s; this file applies them to the sock.

use crate::proto::tcp_connect::{synrecv_rcv, synsent_rcv, ConnInit, SynRecvAction, SynSentAction, SynSentCtx};
use crate::proto::tcp_hdr::{TcpFlags, TcpRepr, TcpSegment};
use crate::sys::bindings as b;
use crate::sys::net::{Net, Verdict};
use crate::sys::sock::Sock;
use crate::tcp::{tcp_done, Conn, FourTuple, TcpInner};
use crate::tcp_output::{send_reset, transmit_id};
use crate::tcp_states::{ESTABLISHED, SYN_RECV, SYN_SENT};
use kernel::prelude::*;

/// Dispatches by state; every segment that reaches a sock is consumed.
pub(crate) fn rcv_state_process(net: &Net<'_>, sk: &Sock<'_>, seg: &TcpSegment<'_>) -> Verdict {
    match sk.state() {
        SYN_SENT | SYN_RECV => active_open_rcv(net, sk, seg),
        _ => established_rcv(sk, seg),
    }
    Verdict::Consumed
}

/// The clocks and buffers a SYN_SENT/SYN_RECV decision reads.
fn ctx(net: &Net<'_>, sk: &Sock<'_>) -> SynSentCtx {
    let (j, hz) = crate::sys::jiffies64();
    let space = crate::tcp_ipv4::full_space(sk);
    SynSentCtx {
        now_ms: crate::sys::clock_ms(),
        now_secs: (j / u64::from(hz.max(1))) as u32,
        sysctls: crate::tcp_ipv4::client_sysctls(net),
        full_space: space,
        free_space: space,
        memory_pressure: false,
        delay_ack: false,
    }
}

/// Sends `repr` on the connection under its lock, with its next IP ID.
fn send(net: &Net<'_>, sk: &Sock<'_>, i: &mut TcpInner, t: &FourTuple, repr: &TcpRepr) {
    let id = i.next_ip_id();
    let _ = transmit_id(net, t, sk.bound_dev_if(), repr, &[], true, id);
}

/// How a decision leaves the sock, once its lock is dropped.
enum After {
    Nothing,
    /// The handshake completed: stop the SYN timer, wake connect().
    Established,
    /// `tcp_reset()`/`tcp_done()` with this errno.
    Done(u32),
}

/// A segment for an active open (`tcp_rcv_synsent_state_process`, and
/// `tcp_rcv_state_process` in SYN_RECV after crossed SYNs).
fn active_open_rcv(net: &Net<'_>, sk: &Sock<'_>, seg: &TcpSegment<'_>) {
    let ctx = ctx(net, sk);
    let after = {
        let mut i = sk.tcp().inner.lock();
        let state = sk.state();
        let Some(t) = i.tuple else { return };
        // Hashed but tcp_connect() has not run yet: nothing to match.
        let Some(mut cs) = i.active else { return };
        let after = if state == SYN_SENT {
            match synsent_rcv(&mut cs, seg, &ctx) {
                SynSentAction::Reset { rst, rearm_jiffies, .. } => {
                    if let Some(r) = rst {
                        send_reset(net, &t, sk.bound_dev_if(), &r, true);
                    }
                    if let Some(j) = rearm_jiffies {
                        // "Previous FIN/ACK or RST/ACK might be ignored."
                        let (_, hz) = crate::sys::jiffies64();
                        let ms = (j * 1000).div_ceil(hz.max(1));
                        sk.reset_timer(&sk.tcp().retrans_timer, ms);
                    }
                    After::Nothing
                }
                SynSentAction::Refused => After::Done(b::ECONNREFUSED),
                SynSentAction::Drop => After::Nothing,
                SynSentAction::Established(init) => {
                    establish(sk, &mut i, &init);
                    if let Some(ack) = init.ack {
                        send(net, sk, &mut i, &t, &ack);
                    }
                    After::Established
                }
                SynSentAction::SynRecv(synack) => {
                    i.active = Some(cs);
                    sk.set_state(SYN_RECV);
                    send(net, sk, &mut i, &t, &synack);
                    After::Nothing
                }
            }
        } else if state == SYN_RECV {
            match synrecv_rcv(&mut cs, seg, &ctx) {
                SynRecvAction::Drop => After::Nothing,
                SynRecvAction::Ack(a) => {
                    i.active = Some(cs);
                    send(net, sk, &mut i, &t, &a);
                    After::Nothing
                }
                SynRecvAction::Reset(rst) => {
                    if let Some(r) = rst {
                        send_reset(net, &t, sk.bound_dev_if(), &r, true);
                    }
                    After::Nothing
                }
                SynRecvAction::ResetByPeer => After::Done(b::ECONNRESET),
                SynRecvAction::Established(init) => {
                    establish(sk, &mut i, &init);
                    After::Established
                }
            }
        } else {
            return;
        };
        if matches!(after, After::Established) {
            sk.set_state(ESTABLISHED);
        }
        after
    };
    match after {
        After::Nothing => (),
        After::Established => {
            sk.stop_timer(&sk.tcp().retrans_timer);
            sk.state_change();
        }
        After::Done(err) => tcp_done(sk, err),
    }
}

/// The connection state an active open starts ESTABLISHED with.
fn establish(sk: &Sock<'_>, i: &mut TcpInner, init: &ConnInit) {
    i.conn = Conn::from_child(&init.sock);
    i.active = None;
    // The active side's advmss already has the timestamp option taken
    // off (tcp_connect_init); the path MTU is what it came from.
    let pmtu = u32::from(init.sock.advmss) + 40 + u32::from(init.sock.tcp_header_len).saturating_sub(20);
    if crate::tcp::conn_init(sk, i, &init.sock, pmtu, true).is_err() {
        pr_warn!("no memory for a connection's buffers\n");
    }
}

/// A segment for a synchronised connection (`tcp_rcv_established()` and
/// the synchronised states of `tcp_rcv_state_process()`).
fn established_rcv(sk: &Sock<'_>, seg: &TcpSegment<'_>) {
    let handled = crate::tcp::with_conn(sk, |c, tx| {
        c.rcv(seg, tx, &crate::tcp::now(), crate::sys::random_u32);
    });
    if handled.is_none() && seg.flags.contains(TcpFlags::RST) {
        // No data path (allocation failed): still honour an exact reset.
        if seg.seq == sk.tcp().inner.lock().conn.rcv_nxt {
            tcp_done(sk, b::ECONNRESET);
        }
    }
}

/// An ICMP error for this connection (`tcp_v4_err`): fatal to an active
/// open when it quotes the SYN (`seq` within `snd_una..=snd_nxt`), which
/// then fails with `err` (EHOSTUNREACH, ECONNREFUSED, ...). Linux keeps
/// errors on synchronised connections as soft errors (`sk_err_soft`), which
/// only a timeout reports; without a data path there is nothing to report.
pub(crate) fn icmp_err(sk: &Sock<'_>, seq: crate::proto::seq::SeqNum, err: u32) {
    let state = sk.state();
    if state != SYN_SENT && state != SYN_RECV {
        return;
    }
    let in_window = sk
        .tcp()
        .inner
        .lock()
        .active
        .is_some_and(|a| seq.between(a.snd_una(), a.snd_nxt()));
    if in_window {
        tcp_done(sk, err);
    }
}
