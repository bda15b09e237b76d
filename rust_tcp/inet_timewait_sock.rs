// SPDX-License-Identifier: GPL-2.0

//! TIME_WAIT (net/ipv4/inet_timewait_sock.c and the timewait half of
//! tcp_minisocks.c): when a connection ends in TIME_WAIT, or an orphan
//! waits in FIN_WAIT2, a small timewait sock takes its place in the ehash
//! and its port's bind bucket, and the full sock goes (`tcp_time_wait()`,
//! `inet_twsk_hashdance()`). It answers segments as
//! `tcp_timewait_state_process()` says ([`TimeWaitSock`]) and dies when
//! its timer fires: after 60 s in TIME_WAIT (the module parameter
//! `tcp_timewait_len_ms` shortens it), after `tcp_fin_timeout` in FIN_WAIT2.
//!
//! A timewait sock holds no netns or module reference, as in Linux: a
//! netns's exit (and so module unload) purges them ([`purge`]).

use crate::inet_hashtables::{Ehash, Tables};
use crate::new_spinlock_bh;
use crate::proto::seq::SeqNum;
use crate::proto::tcp_hdr::TcpSegment;
use crate::proto::tcp_timewait::{TimeWaitSock, TwAction, TwCtx};
use crate::sys::lock::SpinLockBh;
use crate::sys::net::{Net, NetRef, Sysctl};
use crate::sys::sock::Sock;
use crate::sys::timer::{self, HasTimer, Timer};
use crate::tcp::FourTuple;
use crate::tcp_states::TIME_WAIT;
use kernel::prelude::*;
use kernel::sync::Arc;

/// A timewait sock.
#[pin_data]
pub(crate) struct TimeWait {
    pub(crate) tuple: FourTuple,
    /// The netns (no reference: see the module comment).
    net: NetRef,
    /// What bind() conflicts read of the sock it replaced.
    pub(crate) reuse: bool,
    pub(crate) reuseport: bool,
    pub(crate) uid: u32,
    pub(crate) dev: i32,
    #[pin]
    pub(crate) state: SpinLockBh<TimeWaitSock>,
    /// `tw_timer`: the end of TIME_WAIT.
    #[pin]
    timer: Timer,
}

// SAFETY: `TIMER_OFFSET` is the offset of the `timer` field, which
// `timer()` returns.
unsafe impl HasTimer for TimeWait {
    const TIMER_OFFSET: usize = core::mem::offset_of!(TimeWait, timer);

    fn timer(&self) -> &Timer {
        &self.timer
    }

    fn expired(this: Arc<Self>) {
        // `tw_timer_handler()`: out of the tables, silently.
        let net = this.net.get();
        let removed = unhash(&mut net.rtcp().tables.lock(), &this);
        drop(removed);
    }
}

/// TIME_WAIT's length now (ms).
fn timewait_len(net: &Net<'_>) -> u32 {
    u32::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_TCP_TIMEWAIT_LEN_MS)).unwrap_or(60_000).max(1)
}

/// Takes `tw` out of the ehash and its bind bucket; the table references
/// are returned to be dropped after the lock.
fn unhash(t: &mut Tables, tw: &Arc<TimeWait>) -> (Option<Ehash>, Option<Arc<TimeWait>>) {
    let e = t.ehash_remove(&tw.tuple, |e| matches!(e, Ehash::Tw(x) if Arc::ptr_eq(x, tw)));
    let b = t.bind_remove_tw(tw.tuple.lport, tw);
    (e, b)
}

/// `tcp_time_wait()`: `sk`'s connection ends in `substate`, for
/// `timeo_ms` (0: TIME_WAIT's length). Without memory for the timewait
/// sock the connection just closes, as Linux does.
pub(crate) fn time_wait(sk: &Sock<'_>, substate: u8, timeo_ms: u32) {
    let net = sk.net();
    let rt = net.rtcp();
    let (st, tuple) = {
        let i = sk.tcp().inner.lock();
        let (Some(c), Some(t)) = (i.est.as_ref(), i.tuple) else {
            drop(i);
            crate::tcp::conn_done(sk, 0);
            return;
        };
        let st = c.time_wait_sock(substate, t.laddr, t.raddr, sk.bound_dev_if());
        (st, t)
    };
    let tw = Arc::pin_init(
        pin_init!(TimeWait {
            tuple,
            // SAFETY: a timewait sock lives in this netns's tables, which
            // `purge` empties in `rust_tcp_net_exit` before the netns goes.
            net: unsafe { NetRef::new(&net) },
            reuse: sk.reuse(),
            reuseport: sk.reuseport(),
            uid: sk.uid(),
            dev: sk.bound_dev_if(),
            state <- new_spinlock_bh!(st, "rust_tcp_timewait"),
            timer <- Timer::new::<TimeWait>(),
        }),
        GFP_ATOMIC,
    );
    let Ok(tw) = tw else {
        crate::tcp::conn_done(sk, 0);
        return;
    };
    let timeo = if substate == TIME_WAIT || timeo_ms == 0 { timewait_len(&net) } else { timeo_ms };
    let old = {
        let mut t = rt.tables.lock();
        let mine = matches!(t.ehash_lookup(&tuple), Some(Ehash::Est(s)) if s.id() == sk.id());
        if !mine || t.bind_add_tw(tuple.lport, tw.clone()).is_err() {
            None
        } else {
            // inet_twsk_hashdance(): the timewait sock takes the
            // connection's place, then the sock closes.
            let old = t.ehash_replace(&tuple, Ehash::Tw(tw.clone()));
            timer::arm(&tw, timeo);
            old
        }
    };
    drop(old);
    crate::tcp::conn_done(sk, 0);
}

/// A segment for a timewait sock (`tcp_timewait_state_process()` and the
/// TCP_TW_* cases of `tcp_v4_rcv`). Returns the ISN to use when the
/// segment is a new SYN the listener should see, the timewait sock gone.
pub(crate) fn rcv(net: &Net<'_>, tw: &Arc<TimeWait>, seg: &TcpSegment<'_>) -> Option<SeqNum> {
    let now = crate::tcp::now();
    let mut ctx = TwCtx::new(crate::sys::clock_ms(), now.secs);
    ctx.invalid_ratelimit = net.sysctl(Sysctl::RUST_TCP_SYSCTL_INVALID_RATELIMIT_MS) as u32;
    ctx.tcp_timestamps = u8::try_from(net.sysctl(Sysctl::RUST_TCP_SYSCTL_TIMESTAMPS)).unwrap_or(1);
    ctx.rfc1337 = net.sysctl(Sysctl::RUST_TCP_SYSCTL_RFC1337) != 0;
    let mut st = tw.state.lock();
    let action = st.process(seg, &ctx);
    let reply = match action {
        TwAction::Ack { .. } => Some(st.ack_repr(seg, now.ms)),
        _ => None,
    };
    let substate_tw = st.substate == TIME_WAIT;
    drop(st);
    match action {
        TwAction::Ack { reschedule } | TwAction::Drop { reschedule } => {
            if let Some(r) = reply {
                let _ = crate::tcp_output::transmit(net, &tw.tuple, tw.dev, &r, &[], true);
            }
            if reschedule && substate_tw {
                timer::arm(tw, timewait_len(net));
            }
            None
        }
        TwAction::Rst => {
            if let Some(r) = crate::proto::tcp_ipv4::rst_for(seg) {
                crate::tcp_output::send_reset(net, &tw.tuple, tw.dev, &r, true);
            }
            kill(net, tw);
            None
        }
        TwAction::Kill => {
            kill(net, tw);
            None
        }
        TwAction::Syn { isn } => {
            kill(net, tw);
            Some(isn)
        }
    }
}

/// `inet_twsk_deschedule_put()`: the timewait sock goes now.
pub(crate) fn kill(net: &Net<'_>, tw: &Arc<TimeWait>) {
    let removed = unhash(&mut net.rtcp().tables.lock(), tw);
    timer::cancel(tw);
    drop(removed);
}

/// `inet_twsk_purge()`: the netns is going away; every timewait sock
/// goes, its timer stopped and waited for.
pub(crate) fn purge(net: &Net<'_>) {
    loop {
        let Some(tw) = net.rtcp().tables.lock().any_tw() else { break };
        let removed = unhash(&mut net.rtcp().tables.lock(), &tw);
        timer::cancel_sync(&tw);
        drop(removed);
    }
}
