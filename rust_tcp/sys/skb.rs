// SPDX-License-Identifier: GPL-2.0

//! `struct sk_buff`: [`RxSkb`], a received IPv4 packet as the netfilter hook
//! hands it over, and [`TxSkb`], a packet we build and send.

use super::bindings as b;
use super::net::{Net, NetData, Route};
use super::page::{PageBuf, PAGE};
use super::sock::{Sock, SockData};
use kernel::error::to_result;
use kernel::prelude::*;

/// A received IPv4 packet, lent by the LOCAL_IN hook (or by
/// `release_sock` from a sock's backlog): `skb->data` is the IP header.
/// Whether we keep it is the hook's verdict, unless it was queued on a
/// sock's backlog ([`super::sock::Sock::bh_lock_or_backlog`]): then it is
/// no longer ours to touch, and every accessor finds nothing.
///
/// # Invariants
///
/// Unless `stolen`, `raw` is a live skb owned by the lender for our whole
/// use.
pub(crate) struct RxSkb {
    raw: *mut b::sk_buff,
    stolen: bool,
}

impl RxSkb {
    /// # Safety
    ///
    /// `raw` must satisfy the type invariant while the value lives.
    pub(super) unsafe fn from_raw(raw: *mut b::sk_buff) -> Self {
        // INVARIANT: the caller's contract.
        Self { raw, stolen: false }
    }

    pub(super) fn as_raw(&self) -> *mut b::sk_buff {
        self.raw
    }

    /// Queued on a backlog: the lender neither frees nor reads it.
    pub(super) fn stolen(&self) -> bool {
        self.stolen
    }

    /// The skb went to a backlog: from now on this value refers to nothing.
    pub(super) fn set_stolen(&mut self) {
        self.stolen = true;
    }

    /// The first `len` bytes, made linear if they were not
    /// (`pskb_may_pull`); `None` if the packet is shorter.
    pub(crate) fn head(&mut self, len: usize) -> Option<&[u8]> {
        if self.stolen {
            return None;
        }
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
        if self.stolen {
            return Err(EINVAL);
        }
        // SAFETY: `raw` is live; after a successful skb_linearize all `len`
        // bytes are in the head at `data`.
        unsafe {
            to_result(b::skb_linearize(self.raw))?;
            Ok(core::slice::from_raw_parts((*self.raw).data, (*self.raw).len as usize))
        }
    }

    /// Runs `f` on the whole packet as one slice: a linear skb's own bytes;
    /// a paged (GRO or GSO) one's copied into this CPU's scratch buffer
    /// (no allocation), or made linear if that cannot serve (too long,
    /// busy, not in softirq).
    pub(crate) fn with_flat<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
        if self.stolen {
            return Err(EINVAL);
        }
        // SAFETY: `raw` is live (invariant).
        let (nonlinear, len) = unsafe { ((*self.raw).data_len != 0, (*self.raw).len as usize) };
        if nonlinear {
            // SAFETY: `raw` is live; a non-null result holds all `len` bytes
            // and stays ours (BHs off, the busy flag set) until
            // `skb_flat_done`, called below once `f` is done with it.
            unsafe {
                let p = b::rust_tcp_glue_skb_flat(self.raw);
                if !p.is_null() {
                    let r = f(core::slice::from_raw_parts(p.cast::<u8>(), len));
                    b::rust_tcp_glue_skb_flat_done();
                    return Ok(r);
                }
            }
        }
        Ok(f(self.linear()?))
    }

    /// Whether the checksum was already verified (by the device) or never
    /// needed computing (a local sender's CHECKSUM_PARTIAL).
    pub(crate) fn csum_trusted(&self) -> bool {
        if self.stolen {
            return false;
        }
        // SAFETY: `raw` is live.
        unsafe { b::rust_tcp_glue_skb_csum_trusted(self.raw) }
    }

    /// The interface the packet came in on.
    pub(crate) fn iif(&self) -> i32 {
        if self.stolen {
            return 0;
        }
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
    /// Appends `src` to the packet in page fragments from `frag` (as
    /// `tcp_sendmsg` fills `sk_page_frag`): the bytes are copied once, into
    /// pages the skb references. `atomic` for softirq or spinlocked
    /// context. On error part of `src` may have been appended.
    pub(crate) fn append_frags(&mut self, frag: &mut PageFrag, src: &[u8], atomic: bool) -> Result {
        let gfp = if atomic {
            kernel::bindings::GFP_ATOMIC
        } else {
            kernel::bindings::GFP_KERNEL
        };
        let mut done = 0;
        while done < src.len() {
            let want = u32::try_from(src.len() - done).unwrap_or(u32::MAX);
            let mut n = 0u32;
            // SAFETY: `raw` is ours; `frag.raw` is this `PageFrag`'s, which
            // `&mut` keeps to us.
            let p = unsafe { b::rust_tcp_glue_skb_frag_room(self.raw, &mut frag.raw, want, gfp, &mut n) };
            if p.is_null() || n == 0 {
                return Err(ENOMEM);
            }
            let n = (n as usize).min(src.len() - done);
            // SAFETY: the glue gave `n` bytes at `p`, in a page the skb now
            // references and no one else writes; `src` is a different
            // object (ours to read).
            unsafe { core::ptr::copy_nonoverlapping(src.as_ptr().add(done), p.cast::<u8>(), n) };
            done += n;
        }
        Ok(())
    }

    /// Appends bytes `off..off + len` of `page` to the packet without
    /// copying them: the skb takes a page reference of its own (merged
    /// with its last fragment when they continue it), as `tcp_sendmsg`'s
    /// skbs reference `sk_page_frag` pages. The bytes must not change
    /// while the page is shared (see [`PageBuf`]'s invariant).
    pub(crate) fn append_page(&mut self, page: &PageBuf, off: usize, len: usize) -> Result {
        if off.checked_add(len).is_none_or(|end| end > PAGE) || len == 0 {
            return Err(EINVAL);
        }
        // SAFETY: `raw` is ours, not yet sent; the page is live (`page`'s
        // reference) and the skb takes its own; `off + len` is within it.
        if unsafe { b::rust_tcp_glue_skb_append_page(self.raw, page.as_ptr().cast(), off as u32, len as u32) } {
            Ok(())
        } else {
            Err(ENOMEM)
        }
    }

    /// The TCP checksum is left to the device or the stack
    /// (`CHECKSUM_PARTIAL`; the header's field holds the pseudo-header
    /// sum), the TCP header `ihl` bytes after the IP header; with `segs` >
    /// 1 the packet is a GSO packet of `gso_size`-byte TCPv4 segments.
    pub(crate) fn tcp_offload(&mut self, ihl: u32, gso_size: u32, segs: u32) -> Result {
        // SAFETY: `raw` is ours, not yet sent.
        if unsafe { b::rust_tcp_glue_skb_tcp_offload(self.raw, ihl, gso_size, segs) } {
            Ok(())
        } else {
            Err(EINVAL)
        }
    }

    /// [`TxSkb::send`] on `route`, looked up by the caller.
    pub(crate) fn send_route<N: NetData>(self, net: &Net<N>, route: &Route) -> Result {
        let raw = core::mem::ManuallyDrop::new(self).raw;
        // SAFETY: the skb is ours and is handed over (the glue frees it on
        // every path); the route is live for the call and the skb takes a
        // reference of its own.
        to_result(unsafe { b::rust_tcp_glue_ip_send_dst(net.as_raw(), raw, route.as_raw()) })
    }

    /// [`TxSkb::send`] on `sk`'s connection: the route cached on the sock
    /// (`sk_dst_cache`) while it is valid, looked up and cached otherwise;
    /// the packet is the sock's (`skb->sk`, SO_MARK, SO_PRIORITY).
    /// The caller calls [`Sock::dst_reset`] when the addresses change.
    pub(crate) fn send_sk<D: SockData>(self, sk: &Sock<D>, saddr: [u8; 4], daddr: [u8; 4], oif: i32) -> Result {
        let raw = core::mem::ManuallyDrop::new(self).raw;
        // SAFETY: the skb is ours and is handed over (the glue frees it on
        // every path); `sk` is live for the call (the borrow), and its
        // route cache is only used through the kernel's atomic
        // sk_dst_check/sk_dst_set. The skb becomes the sock's
        // (skb_set_owner_w): its `sk_wmem_alloc` share keeps the sock, and
        // the module, until the skb is freed (sk_free defers __sk_free).
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

/// A page that packets' payload is copied into (`struct page_frag`, as
/// `sk_page_frag()`'s): filled from its start, each packet holding a
/// reference to what it uses, and reused from the start once none does.
///
/// # Invariants
///
/// `raw.page` is null or a page this value holds one reference to.
pub(crate) struct PageFrag {
    raw: b::page_frag,
}

// SAFETY: the page reference may be dropped on any CPU; the value is only
// used through `&mut`.
unsafe impl Send for PageFrag {}

impl PageFrag {
    /// No page yet.
    pub(crate) fn new() -> Self {
        // INVARIANT: no page.
        Self {
            raw: b::page_frag {
                page: core::ptr::null_mut(),
                offset: 0,
                size: 0,
            },
        }
    }

    /// Gives the page back (packets still in flight keep theirs): an idle
    /// connection holds none.
    pub(crate) fn release(&mut self) {
        if !self.raw.page.is_null() {
            // SAFETY: our reference (invariant), dropped once: the glue
            // clears `page`.
            unsafe { b::rust_tcp_glue_page_frag_release(&mut self.raw) };
        }
    }
}

impl Drop for PageFrag {
    fn drop(&mut self) {
        self.release();
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

/// The most payload one GSO packet of ours carries: a legacy GSO packet
/// (`GSO_LEGACY_MAX_SIZE`, 64 KiB) less `MAX_TCP_HEADER + 1`, as
/// `sk_setup_caps` leaves `sk_gso_max_size`.
pub(crate) fn gso_max_payload() -> u32 {
    (64 * 1024 - 1u32).saturating_sub(skb_sizes().max_tcp_header)
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
