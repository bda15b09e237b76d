// SPDX-License-Identifier: GPL-2.0

//! Request socks: the SYN queue. A SYN to a listener makes one of these
//! small objects, not a full sock (as `request_sock` in Linux); it lives in
//! the netns's ehash under its 4-tuple until the final ACK turns it into a
//! child sock, or its SYN-ACK timer gives up.

use crate::new_spinlock_bh;
use crate::proto::request_sock::RequestSock as ReqState;
use crate::sys::lock::SpinLockBh;
use crate::sys::sock::SockRef;
use crate::sys::timer::{HasTimer, Timer};
use crate::tcp::FourTuple;
use kernel::prelude::*;
use kernel::sync::Arc;

/// A request sock.
#[pin_data]
pub(crate) struct RequestSock {
    /// The listener the SYN came to; holds it (and so the module) alive.
    pub(crate) listener: SockRef,
    pub(crate) tuple: FourTuple,
    /// The device the SYN came in on, for the replies' route when the
    /// listener is bound to one.
    pub(crate) oif: i32,
    /// The negotiated state and the retransmission counts.
    #[pin]
    pub(crate) state: SpinLockBh<ReqState>,
    /// SYN-ACK retransmission (`rsk_timer`).
    #[pin]
    timer: Timer,
}

impl RequestSock {
    pub(crate) fn new(listener: SockRef, tuple: FourTuple, oif: i32, st: ReqState) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                listener,
                tuple,
                oif,
                state <- new_spinlock_bh!(st, "rust_tcp_request_sock"),
                timer <- Timer::new::<Self>(),
            }),
            GFP_ATOMIC,
        )
    }
}

// SAFETY: `TIMER_OFFSET` is the offset of the `timer` field, which
// `timer()` returns.
unsafe impl HasTimer for RequestSock {
    const TIMER_OFFSET: usize = core::mem::offset_of!(RequestSock, timer);

    fn timer(&self) -> &Timer {
        &self.timer
    }

    fn expired(this: Arc<Self>) {
        crate::inet_connection_sock::reqsk_timer_handler(this);
    }
}
