// SPDX-License-Identifier: GPL-2.0

//! `struct sock`: the registered `struct proto` our socks are allocated
//! from, and [`Sock`], a safe handle to one sock.

use super::bindings as b;
use crate::netns::RtcpNet;
use core::pin::Pin;
use kernel::error::to_result;
use kernel::prelude::*;

/// Keeps the `struct proto` registered (its slab cache, /proc/net/protocols).
pub(crate) struct ProtoRegistration(());

impl ProtoRegistration {
    pub(crate) fn new() -> Result<Self> {
        let size = u32::try_from(core::mem::size_of::<b::sock>()).map_err(|_| EINVAL)?;
        // SAFETY: the glue's struct proto is a static, registered once here.
        to_result(unsafe { b::rust_tcp_glue_proto_register(size) })?;
        Ok(Self(()))
    }
}

impl Drop for ProtoRegistration {
    fn drop(&mut self) {
        // SAFETY: registered in `new`. No sock can exist: each holds a
        // reference on this module, so unload cannot get here before the
        // last one is freed.
        unsafe { b::rust_tcp_glue_proto_unregister() }
    }
}

/// A sock in use by a system call or by the stack.
///
/// # Invariants
///
/// `raw` points to a live sock allocated from our `struct proto`, and the
/// holder owns a reference to it (the socket's, or one taken with
/// `sock_hold`) for as long as this value exists.
pub(crate) struct Sock {
    raw: *mut b::sock,
}

impl Sock {
    /// Allocates a sock of `family` in `net` for `sock`, and attaches it.
    ///
    /// # Safety
    ///
    /// `net` and `sock` come from the `create` callback of our family:
    /// `sock` is a new socket with no sock attached.
    pub(crate) unsafe fn alloc_for(
        net: *mut b::net,
        sock: *mut b::socket,
        family: i32,
        kern: bool,
    ) -> Result<Self> {
        // SAFETY: `net` is live (the caller's contract); `sk_alloc` zeroes
        // the object and takes a netns reference unless `kern`.
        let sk = unsafe {
            b::sk_alloc(
                net,
                family,
                kernel::bindings::GFP_KERNEL,
                b::rust_tcp_glue_proto(),
                kern as i32,
            )
        };
        if sk.is_null() {
            return Err(super::errno(b::ENOBUFS));
        }
        // SAFETY: `sock` has no sock yet and `sk` was just allocated;
        // sock_init_data links them and sets the generic defaults.
        unsafe {
            b::sock_init_data(sock, sk);
            (*sk).sk_protocol = b::IPPROTO_TCP as u16;
            (*sk).sk_destruct = Some(rust_tcp_sk_destruct);
        }
        // INVARIANT: the reference from sk_alloc now belongs to `sock`.
        Ok(Self { raw: sk })
    }

    /// The netns-wide rust_tcp state of this sock's netns.
    pub(crate) fn netns(&self) -> Pin<&RtcpNet> {
        // SAFETY: a live sock holds its netns alive (sk_alloc took a
        // reference, or, for kernel sockets, the netns owns the socket).
        unsafe { super::net::state((*self.raw).__sk_common.skc_net.net) }
    }

    /// The TCP state (`sk_state`), read without the socket lock as Linux's
    /// poll does: a racing change is seen on the next wakeup.
    pub(crate) fn state(&self) -> u8 {
        // SAFETY: by the invariant `raw` is live; a volatile byte read is
        // READ_ONCE.
        unsafe { core::ptr::read_volatile(&(*self.raw).__sk_common.skc_state) }
    }

    /// `sk_shutdown`: which directions are shut down (RCV/SEND_SHUTDOWN).
    pub(crate) fn shutdown(&self) -> u8 {
        // SAFETY: as in `state`.
        unsafe { core::ptr::read_volatile(&(*self.raw).sk_shutdown) }
    }

    /// Detaches the sock from its socket and drops the socket's reference:
    /// the last part of `release`.
    pub(crate) fn orphan_and_put(self) {
        // SAFETY: we own the socket's reference (invariant); after
        // sock_orphan the sock no longer points at the socket, and
        // sock_put may free it, so `self` is consumed.
        unsafe {
            b::lock_sock_nested(self.raw, 0);
            b::sock_orphan(self.raw);
            b::release_sock(self.raw);
            b::sock_put(self.raw);
        }
    }

    /// # Safety
    ///
    /// `raw` must satisfy the type invariant for the returned value's life.
    pub(super) unsafe fn from_raw(raw: *mut b::sock) -> Self {
        // INVARIANT: the caller's contract.
        Self { raw }
    }
}

/// `sk_destruct` of our socks: runs once, when the last reference is put.
///
/// # Safety
///
/// Called by `__sk_destruct` with a sock of ours that nothing else uses.
unsafe extern "C" fn rust_tcp_sk_destruct(sk: *mut b::sock) {
    // SAFETY: the sock is still whole here (its netns reference is dropped
    // after this callback) and no other reference exists.
    let sk = unsafe { Sock::from_raw(sk) };
    sk.netns().sock_destroyed();
}
