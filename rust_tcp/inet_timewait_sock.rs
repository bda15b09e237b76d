// SPDX-License-Identifier: GPL-2.0

//! The timewait sock (`struct inet_timewait_sock`): when a connection ends
//! in TIME_WAIT, or an orphan waits in FIN_WAIT2, this small object takes
//! its place in the ehash and its port's bind bucket (`tcp_time_wait()` in
//! `tcp_minisocks` makes it; `inet_hashtables` hashes, kills and purges
//! it). It answers segments as `tcp_timewait_state_process()` says and
//! dies when its timer fires. It is a mini sock (`sys::minisock`): a
//! `sock_common` in state TCP_TIME_WAIT, from a TYPESAFE_BY_RCU cache.
//!
//! A timewait sock holds no netns or module reference, as in Linux: a
//! netns's exit (and so module unload) purges them, waiting for their
//! timers. What it holds is its netns's map of held ports (`P`), so that
//! its timer can release its port even after the netns began to go; the
//! tables themselves outlive every netns.

use crate::new_spinlock_bh;
use crate::proto::tcp_timewait::TimeWaitSock;
use crate::sys::lock::SpinLockBh;
use crate::sys::minisock::{MiniData, TW_STATE};
use crate::sys::timer::SockTimer;
use crate::tcp_sock::{FourTuple, TcpSk};
use core::sync::atomic::AtomicUsize;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The handler of a timewait sock's timer (`tw_timer`): the end of
/// TIME_WAIT (its code is with the tables, in `inet_hashtables`).
pub(crate) struct TwTimer;

/// What a timewait sock's netns keeps of it: a count of the live ones,
/// so that the netns's exit can wait until the last is freed (a timer
/// callback may still be finishing with one it already unhashed).
pub(crate) trait TwOwner: Send + Sync {
    fn tw_born(&self);
    fn tw_gone(&self);
}

/// A timewait sock's state; `P` is its netns's map of held ports.
#[pin_data(PinnedDrop)]
pub(crate) struct TimeWait<P: TwOwner> {
    pub(crate) tuple: FourTuple,
    /// Its netns's map of held ports, and the netns's identity (no netns
    /// reference: see above).
    pub(crate) ports: Arc<P>,
    pub(crate) net_id: usize,
    /// Its index among the port's timewait holders.
    pub(crate) bind_idx: AtomicUsize,
    /// What bind() conflicts read of the sock it replaced.
    pub(crate) reuse: bool,
    pub(crate) reuseport: bool,
    pub(crate) uid: u32,
    pub(crate) dev: i32,
    #[pin]
    pub(crate) state: SpinLockBh<TimeWaitSock>,
    #[pin]
    pub(crate) timer: SockTimer<TwTimer>,
}

impl<P: TwOwner> TimeWait<P> {
    /// The state of the timewait sock replacing `sk`'s connection `tuple`.
    pub(crate) fn new(sk: &TcpSk, tuple: FourTuple, ports: Arc<P>, st: TimeWaitSock) -> impl PinInit<Self>
    where
        TwTimer: crate::sys::timer::SockTimerField,
    {
        let (net_id, reuse, reuseport, uid, dev) = (sk.net().id(), sk.reuse(), sk.reuseport(), sk.uid(), sk.bound_dev_if());
        pin_init!(Self {
            tuple,
            // Counted when built (the initialiser runs only once the
            // memory is there), uncounted by `drop`.
            net_id: {
                ports.tw_born();
                net_id
            },
            ports,
            bind_idx: AtomicUsize::new(0),
            reuse,
            reuseport,
            uid,
            dev,
            state <- new_spinlock_bh!(st, "rust_tcp_timewait"),
            timer <- SockTimer::new(),
        })
    }
}

impl<P: TwOwner + 'static> MiniData for TimeWait<P> {
    const STATE: u8 = TW_STATE;
}

#[pinned_drop]
impl<P: TwOwner> PinnedDrop for TimeWait<P> {
    fn drop(self: Pin<&mut Self>) {
        self.ports.tw_gone();
    }
}
