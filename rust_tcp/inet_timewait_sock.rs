// SPDX-License-Identifier: GPL-2.0

//! The timewait sock (`struct inet_timewait_sock`): when a connection ends
//! in TIME_WAIT, or an orphan waits in FIN_WAIT2, this small object takes
//! its place in the ehash and its port's bind bucket (`tcp_time_wait()` in
//! `tcp_minisocks` makes it; `inet_hashtables` hashes, kills and purges
//! it). It answers segments as `tcp_timewait_state_process()` says and
//! dies when its timer fires.
//!
//! A timewait sock holds no netns or module reference, as in Linux: a
//! netns's exit (and so module unload) purges them. What it holds is its
//! tables (`H`, Linux's `tw_dr->hashinfo`), so that its timer can unhash it
//! even when it fires late: a timewait sock never outlives the memory it
//! points at.

use crate::new_spinlock_bh;
use crate::proto::tcp_timewait::TimeWaitSock;
use crate::sys::lock::SpinLockBh;
use crate::sys::timer::{Timer, TimerHandler};
use crate::tcp_sock::{FourTuple, TcpSk};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A timewait sock, hashed in the tables `H`.
#[pin_data]
pub(crate) struct TimeWait<H> {
    pub(crate) tuple: FourTuple,
    /// The tables it is hashed in (no netns reference: see above).
    pub(crate) hashinfo: Arc<H>,
    /// What bind() conflicts read of the sock it replaced.
    pub(crate) reuse: bool,
    pub(crate) reuseport: bool,
    pub(crate) uid: u32,
    pub(crate) dev: i32,
    #[pin]
    pub(crate) state: SpinLockBh<TimeWaitSock>,
    /// `tw_timer`: the end of TIME_WAIT.
    #[pin]
    pub(crate) timer: Timer<TimeWait<H>>,
}

impl<H: Send + Sync> TimeWait<H>
where
    Self: TimerHandler,
{
    /// The timewait sock replacing `sk`'s connection `tuple`.
    pub(crate) fn new(sk: &TcpSk, tuple: FourTuple, hashinfo: Arc<H>, st: TimeWaitSock) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                tuple,
                hashinfo,
                reuse: sk.reuse(),
                reuseport: sk.reuseport(),
                uid: sk.uid(),
                dev: sk.bound_dev_if(),
                state <- new_spinlock_bh!(st, "rust_tcp_timewait"),
                timer <- Timer::new(),
            }),
            GFP_ATOMIC,
        )
    }
}
