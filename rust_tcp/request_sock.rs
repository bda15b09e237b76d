// SPDX-License-Identifier: GPL-2.0

//! Request socks: the SYN queue. A SYN to a listener makes one of these
//! small objects, not a full sock (as `request_sock` in Linux): a mini sock
//! (`sys::minisock`) in state TCP_NEW_SYN_RECV, from a TYPESAFE_BY_RCU
//! cache, hashed in the ehash under its 4-tuple until the final ACK turns
//! it into a child sock, or its SYN-ACK timer gives up
//! (`reqsk_timer_handler`, in `inet_connection_sock`).

use crate::new_spinlock_bh;
use crate::proto::request_sock::RequestSock as ReqState;
use crate::sys::lock::SpinLockBh;
use crate::sys::minisock::{MiniData, REQ_STATE};
use crate::sys::timer::SockTimer;
use crate::tcp_sock::{FourTuple, SockRef};
use kernel::prelude::*;

/// The handler of a request's SYN-ACK timer (`rsk_timer`).
pub(crate) struct ReqTimer;

/// A request sock's state.
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
    pub(crate) timer: SockTimer<ReqTimer>,
}

crate::impl_sock_timer!(RequestSock, timer, ReqTimer);

impl MiniData for RequestSock {
    const STATE: u8 = REQ_STATE;
}

impl RequestSock {
    pub(crate) fn new(listener: SockRef, tuple: FourTuple, oif: i32, st: ReqState) -> impl PinInit<Self> {
        pin_init!(Self {
            listener,
            tuple,
            oif,
            state <- new_spinlock_bh!(st, "rust_tcp_request_sock"),
            timer <- SockTimer::new(),
        })
    }
}
