// SPDX-License-Identifier: GPL-2.0

//! `struct sk_buff`: [`RxSkb`], a received IPv4 packet as the netfilter hook
//! hands it over, and [`TxSkb`], a packet we build and send.

use super::bindings as b;
use super::net::{Net, NetData, Route};
use super::sock::{Sock, SockData};
use kernel::error::to_result;
use kernel::prelude::*;

/// A received IPv4 packet, lent by the LOCAL_IN hook: `skb->data` is the
/// IP header. Whether we keep it is the hook's verdict.
///
/// # Invariants
///
/// `raw` is a live skb owned by the hook's caller for our whole use.
pub(crate) struct RxSkb {
    raw: *mut b::sk_buff,
}

impl RxSkb {
    /// # Safety
    ///
    /// `raw` must satisfy the type invariant while the value lives.
    pub(super) unsafe fn from_raw(raw: *mut b::sk_buff) -> Self {
        // INVARIANT: the caller's contract.
        Self { raw }
    }

    pub(super) fn as_raw(&self) -> *mut b::sk_buff {
        self.raw
    }

    /// The first `len` bytes, made linear if they were not
    /// (`pskb_may_pull`); `None` if the packet is shorter.
    pub(crate) fn head(&mut self, len: usize) -> Option<&[u8]> {
        let l = u32::try_from(len).ok()?;
        // SAFETY: `raw` is live (invariant); pskb_may_pull may reallocate
        // the head, so `data` is read after it.
        unsafe {
            if !b::pskb_may_pull(self.raw, l) {
                return None;
            }
            Some(core::slice::from_raw_parts((*self.raw).data, len))
        }
    }

    /// The whole packet as one slice, linearising a paged or GRO skb.
    pub(crate) fn linear(&mut self) -> Result<&[u8]> {
        // SAFETY: `raw` is live; after a successful skb_linearize all `len`
        // bytes are in the head at `data`.
        unsafe {
            to_result(b::skb_linearize(self.raw))?;
            Ok(core::slice::from_raw_parts((*self.raw).data, (*self.raw).len as usize))
        }
    }

    /// Whether the checksum was already verified (by the device) or never
    /// needed computing (a local sender's CHECKSUM_PARTIAL).
    pub(crate) fn csum_trusted(&self) -> bool {
        // SAFETY: `raw` is live.
        unsafe { b::rust_tcp_glue_skb_csum_trusted(self.raw) }
    }

    /// The interface the packet came in on.
    pub(crate) fn iif(&self) -> i32 {
        // SAFETY: `raw` is live.
        unsafe { b::rust_tcp_glue_skb_iif(self.raw) }
    }
}

/// A packet we are building: headroom for the link and IP layers, then
/// the bytes we `put`. Dropping it frees it.
///
/// # Invariants
///
/// `raw` is an skb we own.
pub(crate) struct TxSkb {
    raw: *mut b::sk_buff,
}

impl TxSkb {
    /// An skb with room for `len` bytes of IP packet. `atomic` for softirq
    /// or spinlocked context.
    pub(crate) fn alloc(len: usize, atomic: bool) -> Result<Self> {
        let gfp = if atomic {
            kernel::bindings::GFP_ATOMIC
        } else {
            kernel::bindings::GFP_KERNEL
        };
        let l = u32::try_from(len).map_err(|_| EINVAL)?;
        // SAFETY: plain allocation.
        let raw = unsafe { b::rust_tcp_glue_alloc_skb(l, gfp) };
        if raw.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: a new skb, ours.
        Ok(Self { raw })
    }

    /// Appends `len` bytes and returns them, zeroed, for the caller to fill.
    /// At most the `len` given to `alloc` in all.
    pub(crate) fn put(&mut self, len: usize) -> Result<&mut [u8]> {
        let l = u32::try_from(len).map_err(|_| EINVAL)?;
        // SAFETY: `raw` is ours; the tailroom check keeps skb_put from
        // panicking on overflow.
        unsafe {
            if (b::skb_tailroom(self.raw) as usize) < len {
                return Err(EINVAL);
            }
            let p = b::skb_put(self.raw, l).cast::<u8>();
            core::ptr::write_bytes(p, 0, len);
            Ok(core::slice::from_raw_parts_mut(p, len))
        }
    }

    /// Routes the IPv4 packet (its header written by the caller) from
    /// `saddr` to `daddr` and sends it. Consumes the skb either way.
    pub(crate) fn send<N: NetData>(self, net: &Net<N>, saddr: [u8; 4], daddr: [u8; 4], oif: i32) -> Result {
        let raw = core::mem::ManuallyDrop::new(self).raw;
        // SAFETY: the skb is ours and is handed over; the glue frees it on
        // every path. Addresses go as __be32: their wire bytes.
        to_result(unsafe {
            b::rust_tcp_glue_ip_send(
                net.as_raw(),
                raw,
                u32::from_ne_bytes(saddr),
                u32::from_ne_bytes(daddr),
                oif,
            )
        })
    }
}

impl TxSkb {
    /// [`TxSkb::send`] on `route`, looked up by the caller.
    pub(crate) fn send_route<N: NetData>(self, net: &Net<N>, route: &Route) -> Result {
        let raw = core::mem::ManuallyDrop::new(self).raw;
        // SAFETY: the skb is ours and is handed over (the glue frees it on
        // every path); the route is live for the call and the skb takes a
        // reference of its own.
        to_result(unsafe { b::rust_tcp_glue_ip_send_dst(net.as_raw(), raw, route.as_raw()) })
    }

    /// [`TxSkb::send`] on `sk`'s connection: the route cached on the sock
    /// (`sk_dst_cache`) while it is valid, looked up and cached otherwise.
    /// The caller calls [`Sock::dst_reset`] when the addresses change.
    pub(crate) fn send_sk<D: SockData>(self, sk: &Sock<D>, saddr: [u8; 4], daddr: [u8; 4], oif: i32) -> Result {
        let raw = core::mem::ManuallyDrop::new(self).raw;
        // SAFETY: the skb is ours and is handed over (the glue frees it on
        // every path); `sk` is live for the call (the borrow), and its
        // route cache is only used through the kernel's atomic
        // sk_dst_check/sk_dst_set.
        to_result(unsafe {
            b::rust_tcp_glue_ip_send_sk(sk.raw(), raw, u32::from_ne_bytes(saddr), u32::from_ne_bytes(daddr), oif)
        })
    }
}

impl Drop for TxSkb {
    fn drop(&mut self) {
        // SAFETY: the skb is ours and not yet handed over.
        unsafe { b::kfree_skb(self.raw) }
    }
}

/// What an skb costs beyond its data, for buffer accounting (`truesize`):
/// `SKB_DATA_ALIGN(sizeof(struct sk_buff))`,
/// `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` and `MAX_TCP_HEADER`
/// of the running kernel.
#[derive(Clone, Copy)]
pub(crate) struct SkbSizes {
    pub(crate) skb_aligned: u32,
    pub(crate) shinfo_aligned: u32,
    pub(crate) max_tcp_header: u32,
}

/// The running kernel's [`SkbSizes`].
pub(crate) fn skb_sizes() -> SkbSizes {
    let (mut skb, mut shinfo, mut max) = (0u32, 0u32, 0u32);
    // SAFETY: the three pointers are valid for writes of a `u32` each.
    unsafe { b::rust_tcp_glue_skb_sizes(&mut skb, &mut shinfo, &mut max) };
    SkbSizes {
        skb_aligned: skb,
        shinfo_aligned: shinfo,
        max_tcp_header: max,
    }
}
