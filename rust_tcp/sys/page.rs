// SPDX-License-Identifier: GPL-2.0

//! [`PageBuf`]: one reference to an order-0 page used as a byte buffer, the
//! way `sk_page_frag` pages are: its owner writes it, and packets may hold
//! references of their own to parts of it ([`super::skb::TxSkb::append_page`])
//! while they are in flight, so that the bytes go out without a copy.

use super::bindings as b;
use core::ptr::NonNull;

/// Bytes in a [`PageBuf`].
pub(crate) const PAGE: usize = 4096;

/// A reference to a page of [`PAGE`] bytes, allocated zeroed.
///
/// # Invariants
///
/// `addr` is the direct-map address of an order-0 page of which this value
/// holds one reference. Other references are only ever taken by packets
/// (`TxSkb::append_page`), which read the bytes they were given and never
/// write them (ESP would encrypt a non-cloned skb's fragments in place: the
/// glue copies a packet out of its fragments when an IPsec policy could
/// take it); the owner writes only bytes no packet was given since the
/// page was last [`PageBuf::is_unique`] (the byte rings write past their
/// tail and reuse a chunk only when it is unique), so the bytes a packet
/// holds do not change under it.
pub(crate) struct PageBuf {
    addr: NonNull<u8>,
}

// SAFETY: a page reference may be used and dropped on any CPU.
unsafe impl Send for PageBuf {}
// SAFETY: `&PageBuf` only reads.
unsafe impl Sync for PageBuf {}

impl PageBuf {
    /// A zeroed page (`gfp`: GFP_ATOMIC in softirq or under spinlocks).
    pub(crate) fn alloc_zeroed(atomic: bool) -> Option<Self> {
        let gfp = if atomic { kernel::bindings::GFP_ATOMIC } else { kernel::bindings::GFP_KERNEL };
        // SAFETY: plain allocation.
        let p = unsafe { b::rust_tcp_glue_page_alloc_zeroed(gfp) };
        // INVARIANT: a new page, zeroed (so every byte is initialised),
        // with its one reference ours.
        NonNull::new(p.cast::<u8>()).map(|addr| Self { addr })
    }

    /// The page's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: the page is live while we hold our reference; its bytes
        // are initialised (zeroed at allocation) and not written while this
        // borrow lasts (`&self`; packets never write).
        unsafe { core::slice::from_raw_parts(self.addr.as_ptr(), PAGE) }
    }

    /// The page's bytes, for the owner to write (see the invariant on which
    /// bytes).
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`; `&mut self` excludes every other Rust
        // access, and packets only read bytes the owner does not write.
        unsafe { core::slice::from_raw_parts_mut(self.addr.as_ptr(), PAGE) }
    }

    /// No packet holds a reference any more: every byte may be written.
    pub(crate) fn is_unique(&self) -> bool {
        // SAFETY: the page is live (our reference).
        unsafe { b::rust_tcp_glue_page_unique(self.addr.as_ptr().cast()) }
    }

    pub(super) fn as_ptr(&self) -> *mut u8 {
        self.addr.as_ptr()
    }

    /// Gives up ownership: the pointer carries our reference.
    pub(super) fn into_raw(self) -> *mut u8 {
        core::mem::ManuallyDrop::new(self).addr.as_ptr()
    }

    /// # Safety
    ///
    /// `p` must come from [`PageBuf::into_raw`], and be used so once.
    pub(super) unsafe fn from_raw(p: *mut u8) -> Self {
        // SAFETY: non-null, from `into_raw`. INVARIANT: its reference
        // comes back with it.
        Self { addr: unsafe { NonNull::new_unchecked(p) } }
    }
}

impl Drop for PageBuf {
    fn drop(&mut self) {
        // SAFETY: our reference, put once; the page is freed with the last.
        unsafe { b::rust_tcp_glue_page_put(self.addr.as_ptr().cast()) };
    }
}
