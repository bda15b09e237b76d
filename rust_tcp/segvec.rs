// SPDX-License-Identifier: GPL-2.0

//! A vector in fixed-size segments, for lists that grow in softirq
//! (GFP_ATOMIC) to tens of thousands of entries: a bind bucket's owners,
//! which every accepted child joins. A plain `KVec` would reallocate the
//! whole list as it grows (an order-8 atomic allocation at 50k entries,
//! which fails under fragmentation); here growth allocates one segment,
//! and the index of segments stays small. Removal is `swap_remove`, so an
//! owner that stores its index finds and leaves its place in O(1).

use crate::sys::kvec::swap_remove;
use kernel::alloc::{Flags, KVec};
use kernel::prelude::*;

/// Entries per segment.
const SEG: usize = 64;

/// A vector of `T` in segments of [`SEG`].
pub(crate) struct SegVec<T> {
    segs: KVec<KVec<T>>,
    len: usize,
}

impl<T> SegVec<T> {
    pub(crate) const fn new() -> Self {
        Self { segs: KVec::new(), len: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entry `i`.
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        self.segs.get(i / SEG)?.get(i % SEG)
    }

    /// Appends `v`; its index is `len() - 1` after. May allocate one
    /// segment (and grow the segment index).
    pub(crate) fn push(&mut self, v: T, flags: Flags) -> Result {
        let s = self.len / SEG;
        if s == self.segs.len() {
            self.segs.push(KVec::with_capacity(SEG, flags)?, flags)?;
        }
        // The segment has room for SEG entries: no allocation here.
        self.segs[s].push(v, flags)?;
        self.len += 1;
        Ok(())
    }

    /// Removes entry `i`, moving the last entry into its place; returns
    /// the removed entry. An emptied last segment is freed.
    pub(crate) fn swap_remove(&mut self, i: usize) -> Option<T> {
        if i >= self.len {
            return None;
        }
        let last_seg = (self.len - 1) / SEG;
        let seg = &mut self.segs[last_seg];
        let last = swap_remove(seg, seg.len().checked_sub(1)?)?;
        self.len -= 1;
        let out = if i == self.len {
            last
        } else {
            core::mem::replace(&mut self.segs[i / SEG][i % SEG], last)
        };
        if self.segs[last_seg].is_empty() {
            drop(swap_remove(&mut self.segs, last_seg));
        }
        Some(out)
    }

    /// The entries, in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.segs.iter().flat_map(|s| s.iter())
    }
}
