// SPDX-License-Identifier: GPL-2.0

//! The TIME_WAIT half of net/ipv4/tcp_minisocks.c: `tcp_time_wait()` puts
//! a timewait sock in a connection's place, and
//! `tcp_timewait_state_process()` (with the TCP_TW_* cases of
//! `tcp_v4_rcv`) answers the segments that reach it. The decisions are
//! `proto::tcp_timewait`'s; the timewait sock and its table operations
//! are `inet_timewait_sock`'s and `inet_hashtables`'.

use crate::inet_hashtables::{Tw, TwRef};
use crate::inet_timewait_sock::{TimeWait, TwTimer};
use crate::netns::{NetNs, RtcpNet};
use crate::proto::seq::SeqNum;
use crate::proto::tcp_hdr::TcpSegment;
use crate::proto::tcp_states::TCP_TIME_WAIT;
use crate::proto::tcp_timewait::{TimeWaitSock, TwAction, TwCtx};
use crate::sys::net::Sysctl;
use crate::sys::minisock::CommonInit;
use crate::sys::timer::{self, SockTimerHandler};
use crate::sysctl::timewait_len;
use crate::tcp_sock::{FourTuple, TcpSk};

/// A connection's end in TIME_WAIT (or an orphan's FIN_WAIT2), taken
/// under its lock ([`crate::tcp::with_conn`]) for [`tcp_time_wait`].
pub(crate) struct TimeWaitArgs {
    pub(crate) st: TimeWaitSock,
    pub(crate) tuple: FourTuple,
    pub(crate) substate: u8,
    pub(crate) timeo: u32,
}

/// `tcp_time_wait()`: `sk`'s connection ends in `tw.substate` with the
/// state `tw.st` (taken under its lock, [`crate::tcp::with_conn`]), for
/// `tw.timeo` ms (0: TIME_WAIT's length); a timewait sock takes its place
/// in the ehash and its port. Without memory for it, or when the
/// connection is no longer hashed, nothing is left behind, as in Linux.
/// The caller then closes the sock (`tcp_done`).
pub(crate) fn tcp_time_wait(sk: &TcpSk, tw: TimeWaitArgs) {
    let net = sk.net();
    let rt = net.data();
    let TimeWaitArgs { st, tuple, substate, timeo: timeo_ms } = tw;
    let key = CommonInit {
        laddr: tuple.laddr,
        lport: tuple.lport,
        raddr: tuple.raddr,
        rport: tuple.rport,
        bound_dev_if: sk.bound_dev_if(),
    };
    let init = TimeWait::new(sk, tuple, rt.ports.clone(), st);
    let Ok(tw) = rt.tables.tw_cache.alloc(net, &key, init) else { return };
    let timeo = if substate == TCP_TIME_WAIT || timeo_ms == 0 { timewait_len(net) } else { timeo_ms };
    // inet_twsk_hashdance_schedule(): the port first (under its bucket's
    // lock), then the connection's place in the ehash, the timer armed
    // under that chain's lock.
    if rt.tables.bind_lock(net, &rt.ports, tuple.lport).insert_tw(&tw).is_err() {
        return;
    }
    let (ok, old) = rt.tables.replace_with_tw(sk, &tw, &tuple, timeo);
    if !ok {
        // The connection was no longer hashed: nothing is left behind.
        let b = rt.tables.bind_lock(net, &rt.ports, tuple.lport).remove_tw(&tw);
        drop(b);
    }
    drop(old);
}

impl SockTimerHandler for TwTimer {
    type Host = Tw;

    fn expired(tw: TwRef) {
        // The tables outlive every timewait sock (netns exit purges them).
        if let Some(tables) = crate::sys::net::global::<RtcpNet>() {
            tables.tw_expired(tw);
        }
    }
}

/// A segment for a timewait sock. Returns the ISN to use when the segment
/// is a new SYN the listener should see, the timewait sock gone
/// (TCP_TW_SYN).
pub(crate) fn tcp_timewait_state_process(net: &NetNs, tw: &Tw, seg: &TcpSegment<'_>) -> Option<SeqNum> {
    let now = crate::tcp_sock::now();
    let mut ctx = TwCtx::new(now.ms, now.secs);
    ctx.invalid_ratelimit = net.sysctl(Sysctl::RUST_TCP_SYSCTL_INVALID_RATELIMIT_MS) as u32;
    ctx.tcp_timestamps = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_TIMESTAMPS)).unwrap_or(1);
    ctx.rfc1337 = net.sysctl(Sysctl::RUST_TCP_SYSCTL_RFC1337) != 0;
    let d = tw.data();
    let mut st = d.state.lock();
    let action = st.process(seg, &ctx);
    let reply = match action {
        TwAction::Ack { .. } => Some(st.ack_repr(seg, now.ms)),
        _ => None,
    };
    let substate_tw = st.substate == TCP_TIME_WAIT;
    drop(st);
    match action {
        TwAction::Ack { reschedule } | TwAction::Drop { reschedule } => {
            if let Some(r) = reply {
                let _ = crate::tcp_output::transmit(net, &d.tuple, d.dev, &r, &[], true);
            }
            if reschedule && substate_tw {
                // inet_twsk_reschedule(): only a timer still pending is
                // pushed back. One that fired (or is firing) has unhashed,
                // or is unhashing, the timewait sock; re-arming it would
                // leave a timer that no unhash or purge can find, to fire
                // after the netns (or the module) is gone.
                timer::rearm_pending(tw, &d.timer, timewait_len(net));
            }
            None
        }
        TwAction::Rst => {
            if let Some(r) = crate::proto::tcp_ipv4::rst_for(seg) {
                crate::tcp_output::send_reset(net, &d.tuple, d.dev, &r, true);
            }
            kill_tw(net, tw);
            None
        }
        TwAction::Kill => {
            kill_tw(net, tw);
            None
        }
        TwAction::Syn { isn } => {
            kill_tw(net, tw);
            Some(isn)
        }
    }
}

/// `inet_twsk_deschedule_put()`: `tw` goes now.
fn kill_tw(net: &NetNs, tw: &Tw) {
    let rt = net.data();
    rt.tables.kill_tw(net, &rt.ports, tw);
}
