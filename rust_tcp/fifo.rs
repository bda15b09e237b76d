// SPDX-License-Identifier: GPL-2.0

//! A bounded FIFO on a ring buffer: O(1) push and pop, allocation only
//! when the capacity changes (listen()), so the softirq path that queues a
//! child never allocates.

use kernel::alloc::{Flags, KVec};
use kernel::prelude::*;

/// A FIFO of at most `capacity()` items.
pub(crate) struct Fifo<T> {
    buf: KVec<Option<T>>,
    head: usize,
    len: usize,
}

impl<T> Fifo<T> {
    /// An empty FIFO that can hold nothing until [`Fifo::set_capacity`].
    pub(crate) const fn new() -> Self {
        Self {
            buf: KVec::new(),
            head: 0,
            len: 0,
        }
    }

    /// Makes room for `cap` items, keeping the queued ones in order. The new
    /// buffer is allocated by the caller (`flags`), so it can be done
    /// before taking the lock that protects the FIFO: see [`Fifo::buffer`].
    pub(crate) fn buffer(cap: usize, flags: Flags) -> Result<KVec<Option<T>>> {
        let mut v = KVec::with_capacity(cap, flags)?;
        for _ in 0..cap {
            v.push(None, flags)?;
        }
        Ok(v)
    }

    /// Switches to `buf` (from [`Fifo::buffer`]) if it is larger, moving
    /// the queued items over; returns the buffer no longer used, to be
    /// dropped outside the lock.
    pub(crate) fn grow(&mut self, mut buf: KVec<Option<T>>) -> KVec<Option<T>> {
        if buf.len() <= self.buf.len() {
            return buf;
        }
        for (i, slot) in buf.iter_mut().enumerate().take(self.len) {
            let j = (self.head + i) % self.buf.len();
            *slot = self.buf[j].take();
        }
        self.head = 0;
        core::mem::swap(&mut self.buf, &mut buf);
        buf
    }

    /// Appends `item`, or gives it back when full.
    pub(crate) fn push(&mut self, item: T) -> core::result::Result<(), T> {
        let cap = self.buf.len();
        if self.len == cap {
            return Err(item);
        }
        self.buf[(self.head + self.len) % cap] = Some(item);
        self.len += 1;
        Ok(())
    }

    /// Removes the oldest item.
    pub(crate) fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let item = self.buf[self.head].take();
        self.head = (self.head + 1) % self.buf.len();
        self.len -= 1;
        item
    }
}
