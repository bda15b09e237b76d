// SPDX-License-Identifier: GPL-2.0

//! Per-network-namespace state: a pernet subsystem whose one-pointer slot
//! holds a pinned [`RtcpNet`], created with the netns and dropped with it.

use super::bindings as b;
use crate::netns::RtcpNet;
use kernel::ffi::c_int;
use core::pin::Pin;
use kernel::error::{from_result, to_result};
use kernel::prelude::*;

/// Keeps the pernet subsystem registered; unregistering runs the exit
/// callback for every live netns, so nothing is left behind.
pub(crate) struct PernetRegistration(());

impl PernetRegistration {
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: the glue's pernet_operations is a static, registered once
        // (module init) and unregistered once, by `Drop` below.
        to_result(unsafe { b::rust_tcp_glue_pernet_register() })?;
        Ok(Self(()))
    }
}

impl Drop for PernetRegistration {
    fn drop(&mut self) {
        // SAFETY: registered in `new`; nothing else unregisters it.
        unsafe { b::rust_tcp_glue_pernet_unregister() }
    }
}

/// The rust_tcp state of the netns `net`.
///
/// # Safety
///
/// `net` must be a live netns (a socket's `sk_net`, or one in its pernet
/// init/exit), whose rust_tcp state therefore exists and outlives `'a`.
pub(crate) unsafe fn state<'a>(net: *const b::net) -> Pin<&'a RtcpNet> {
    // SAFETY: per the function's contract the slot was filled by
    // `rust_tcp_net_init` and is emptied only by `rust_tcp_net_exit`, after
    // the last socket of the netns (each holds a netns reference) is gone.
    unsafe {
        let p = (*b::rust_tcp_glue_net_slot(net)).cast::<RtcpNet>();
        Pin::new_unchecked(&*p)
    }
}

/// Pernet init: allocate this netns's state.
///
/// # Safety
///
/// Called by the pernet core with a netns being set up.
#[no_mangle]
unsafe extern "C" fn rust_tcp_net_init(net: *mut b::net) -> c_int {
    from_result(|| {
        let data = KBox::pin_init(RtcpNet::new(), GFP_KERNEL)?;
        // SAFETY: the box is turned back into a `Pin<KBox>` only in
        // `rust_tcp_net_exit` and never moved meanwhile.
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(data) });
        // SAFETY: the pernet core gives this netns a zeroed slot of
        // `sizeof(void *)`, ours alone.
        unsafe { *b::rust_tcp_glue_net_slot(net) = raw.cast() };
        Ok(0)
    })
}

/// Pernet exit: free this netns's state.
///
/// # Safety
///
/// Called by the pernet core once per netns whose init succeeded, after
/// every socket of the netns is gone.
#[no_mangle]
unsafe extern "C" fn rust_tcp_net_exit(net: *mut b::net) {
    // SAFETY: `net` is a netns in its exit; its slot holds what init stored.
    let slot = unsafe { &mut *b::rust_tcp_glue_net_slot(net) };
    let raw = core::mem::replace(slot, core::ptr::null_mut()).cast::<RtcpNet>();
    // SAFETY: `raw` came from `KBox::into_raw` in init and is dropped once.
    let data = unsafe { Pin::new_unchecked(KBox::from_raw(raw)) };
    data.as_ref().exit();
}
