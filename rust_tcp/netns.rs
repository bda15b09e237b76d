// SPDX-License-Identifier: GPL-2.0

//! rust_tcp's state of one network namespace. The bind hash, the
//! established hash and the counters are per netns, as in Linux
//! (`net->ipv4`): they join [`Tables`] as they are built.

use crate::new_spinlock_bh;
use crate::sys::lock::SpinLockBh;
use kernel::prelude::*;

/// What the receive path (softirq) and system calls share; hence the
/// BH-disabling lock around it.
pub(crate) struct Tables {
    /// Live socks of this netns, checked to be zero at netns exit.
    socks: usize,
}

/// Per-netns state.
#[pin_data]
pub(crate) struct RtcpNet {
    #[pin]
    tables: SpinLockBh<Tables>,
}

impl RtcpNet {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            tables <- new_spinlock_bh!(Tables { socks: 0 }, "rust_tcp_net_tables"),
        })
    }

    /// A sock of this netns was created.
    pub(crate) fn sock_created(&self) {
        self.tables.lock().socks += 1;
    }

    /// A sock of this netns was destroyed.
    pub(crate) fn sock_destroyed(&self) {
        let mut t = self.tables.lock();
        // A mismatch here is a refcounting bug: say so, loudly, once.
        if t.socks == 0 {
            pr_warn!("rust_tcp: sock count underflow\n");
        } else {
            t.socks -= 1;
        }
    }

    /// The netns is going away: every sock holds a netns reference, so none
    /// may be left.
    pub(crate) fn exit(&self) {
        let socks = self.tables.lock().socks;
        if socks != 0 {
            pr_err!("rust_tcp: netns exit with {} socks left\n", socks);
        }
    }
}
