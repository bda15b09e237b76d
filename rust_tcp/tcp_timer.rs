// SPDX-License-Identifier: GPL-2.0

//! TCP timers of a sock (net/ipv4/tcp_timer.c): the retransmission timer
//! of an active open resends the SYN (the SYN-ACK after crossed SYNs) with
//! Linux's backoff, and gives up with ETIMEDOUT (`tcp_retransmit_timer`,
//! `tcp_write_timeout`). The decisions are `proto::tcp_timer`'s.

use crate::netns::Mib;
use crate::proto::tcp_timer::{syn_retries, SynTimerCtx, SynTimerStep};
use crate::sys::bindings as b;
use crate::sys::net::Sysctl;
use crate::sys::sock::SockRef;
use crate::sys::timer::SockTimerHandler;
use crate::tcp_states::{SYN_RECV, SYN_SENT};

/// `icsk_retransmit_timer`'s handler.
pub(crate) struct RetransmitTimer;

// SAFETY: `retrans_timer` is set up with this handler (`TcpSock::new`).
unsafe impl SockTimerHandler for RetransmitTimer {
    const FIELD: usize = core::mem::offset_of!(crate::tcp::TcpSock, retrans_timer);

    fn expired(sk: SockRef) {
        let st = sk.state();
        if st != SYN_SENT && st != SYN_RECV {
            // A synchronised connection: RTO or zero-window probe.
            crate::tcp::with_conn(&sk, |c, tx| c.retransmit_timer(tx, &crate::tcp::now()));
            return;
        }
        let net = sk.net();
        let rt = net.rtcp();
        let sysctls = crate::tcp_ipv4::client_sysctls(&net);
        let sysctl_retries = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_SYN_RETRIES)).unwrap_or(6);
        let linear = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_SYN_LINEAR_TIMEOUTS)).unwrap_or(4);
        let now = crate::sys::clock_ms();
        let oif = sk.bound_dev_if();
        // The tables first (lock order): giving up unhashes the sock.
        let mut t = rt.tables.lock();
        let mut i = sk.tcp().inner.lock();
        let state = sk.state();
        // Connected, closed or disconnected meanwhile: nothing to resend.
        if state != SYN_SENT && state != SYN_RECV {
            return;
        }
        let Some(tuple) = i.tuple else { return };
        let ctx = SynTimerCtx {
            now_ms: now,
            syn_sent: state == SYN_SENT,
            syn_retries: syn_retries(i.syn_retries, sysctl_retries),
            linear_timeouts: linear,
            user_timeout_ms: 0,
        };
        let Some(cs) = i.active.as_mut() else { return };
        match cs.on_timer(&ctx) {
            SynTimerStep::Retransmit => {
                drop(t);
                let repr = cs.retransmit_repr(now, &sysctls);
                let next = cs.rtx.after_retransmit(false, &ctx);
                let id = i.next_ip_id();
                sk.reset_timer(&sk.tcp().retrans_timer, next);
                let _ = crate::tcp_output::transmit_id(&net, &tuple, oif, &repr, &[], true, id);
                drop(i);
                rt.inc(Mib::SynRetrans);
            }
            SynTimerStep::Expire => {
                // tcp_write_err(): ETIMEDOUT, tcp_done().
                sk.write_err(b::ETIMEDOUT);
                let unhashed = crate::tcp::set_close_locked(&sk, &mut t, &mut i);
                sk.set_shutdown(b::SHUTDOWN_MASK as u8);
                drop(i);
                drop(t);
                rt.inc(Mib::AttemptFails);
                sk.state_change();
                sk.error_report();
                drop(unhashed);
            }
        }
        // `sk`, the armed timer's reference, is put here.
    }
}

/// `icsk_delack_timer`'s handler (`tcp_delack_timer()`).
pub(crate) struct DelackTimer;

// SAFETY: `delack_timer` is set up with this handler (`TcpSock::new`).
unsafe impl SockTimerHandler for DelackTimer {
    const FIELD: usize = core::mem::offset_of!(crate::tcp::TcpSock, delack_timer);

    fn expired(sk: SockRef) {
        crate::tcp::with_conn(&sk, |c, tx| c.delack_timer(tx, &crate::tcp::now()));
    }
}
