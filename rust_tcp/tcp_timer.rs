// SPDX-License-Identifier: GPL-2.0

//! TCP timers of a sock (net/ipv4/tcp_timer.c): the retransmission timer
//! of an active open resends the SYN (the SYN-ACK after crossed SYNs) with
//! Linux's backoff, and gives up with ETIMEDOUT (`tcp_retransmit_timer`,
//! `tcp_write_timeout`). The decisions are `proto::tcp_timer`'s.

use crate::errno::errno_value;
use crate::netns::Mib;
use crate::proto::errno::Errno;
use crate::proto::tcp_states::{TCP_SYN_RECV, TCP_SYN_SENT};
use crate::proto::tcp_timer::{syn_retries, SynTimerCtx, SynTimerStep};
use crate::sys::net::Sysctl;
use crate::sys::sock::SHUTDOWN_MASK;
use crate::sys::timer::SockTimerHandler;
use crate::tcp_sock::{DelackTimer, RetransmitTimer, SockRef, TcpSk};

impl SockTimerHandler for RetransmitTimer {
    type Host = TcpSk;

    /// `tcp_retransmit_timer()`, and the SYN timer of an active open.
    fn expired(sk: SockRef) {
        let st = sk.state();
        if st != TCP_SYN_SENT && st != TCP_SYN_RECV {
            // A synchronised connection: RTO or zero-window probe.
            crate::tcp::with_conn(&sk, |c, tx| c.retransmit_timer(tx, &crate::tcp_sock::now()));
            return;
        }
        let net = sk.net();
        let rt = net.data();
        let sysctls = crate::sysctl::client_sysctls(net);
        let sysctl_retries = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_SYN_RETRIES)).unwrap_or(6);
        let linear = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_SYN_LINEAR_TIMEOUTS)).unwrap_or(4);
        let now = crate::sys::clock_ms();
        let oif = sk.bound_dev_if();
        // Giving up unhashes the sock, under this lock (which comes before
        // the tables' in the lock order).
        let mut i = sk.data().inner.lock();
        let state = sk.state();
        // Connected, closed or disconnected meanwhile: nothing to resend.
        if state != TCP_SYN_SENT && state != TCP_SYN_RECV {
            return;
        }
        let Some(tuple) = i.tuple else { return };
        let ctx = SynTimerCtx {
            now_ms: now,
            syn_sent: state == TCP_SYN_SENT,
            syn_retries: syn_retries(i.syn_retries, sysctl_retries),
            linear_timeouts: linear,
            user_timeout_ms: 0,
        };
        let Some(cs) = i.connecting_mut() else { return };
        match cs.on_timer(&ctx) {
            SynTimerStep::Retransmit => {
                let repr = cs.retransmit_repr(now, &sysctls);
                let next = cs.rtx.after_retransmit(false, &ctx);
                let id = i.next_ip_id();
                // Re-armed under the sock's lock, after the state check
                // above: whoever ends the active open takes this lock
                // first, and then stops the timer.
                sk.reset_timer(&sk.data().retrans_timer, next);
                let _ = crate::tcp_output::transmit_id(net, &tuple, oif, &repr, &[], true, id);
                drop(i);
                rt.inc(Mib::SynRetrans);
            }
            SynTimerStep::Expire => {
                // tcp_write_err(): ETIMEDOUT, tcp_done().
                sk.write_err(errno_value(Errno::TimedOut));
                let unhashed = crate::tcp::set_close_locked(&sk, &mut i);
                sk.set_shutdown(SHUTDOWN_MASK);
                drop(i);
                rt.inc(Mib::AttemptFails);
                sk.state_change();
                sk.error_report();
                drop(unhashed);
            }
        }
        // `sk`, the armed timer's reference, is put here.
    }
}

impl SockTimerHandler for DelackTimer {
    type Host = TcpSk;

    /// `tcp_delack_timer()`.
    fn expired(sk: SockRef) {
        crate::tcp::with_conn(&sk, |c, tx| c.delack_timer(tx, &crate::tcp_sock::now()));
    }
}
