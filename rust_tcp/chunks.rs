// SPDX-License-Identifier: GPL-2.0

//! The kernel's [`ChunkStore`]: a connection's byte rings keep their pages
//! here. Chunks are allocated with GFP_ATOMIC, since both the receive path
//! (softirq) and the send path (under the sock's spinlock) write them.

use crate::proto::seqbuf::{ChunkStore, CHUNK};
use crate::sys::alloc::zeroed_bytes;
use kernel::alloc::KVec;
use kernel::prelude::*;

/// Slots of page-sized chunks, allocated on first write. A slot is one
/// pointer (`None` is null), so the table of a 4 MiB ring is 8 KiB: the
/// largest kmalloc cache, not a high-order page allocation per connection.
pub(crate) struct KStore(KVec<Option<KBox<[u8; CHUNK]>>>);

impl KStore {
    /// A store for a ring of `bytes` bytes (one chunk more, see
    /// [`crate::proto::seqbuf::SeqBuf::capacity`]). Allocates only the slot
    /// table.
    pub(crate) fn new(bytes: usize) -> Result<Self> {
        let slots = bytes.div_ceil(CHUNK) + 1;
        let mut v = KVec::with_capacity(slots, GFP_ATOMIC)?;
        for _ in 0..slots {
            v.push(None, GFP_ATOMIC)?;
        }
        Ok(Self(v))
    }
}

impl ChunkStore for KStore {
    fn slots(&self) -> usize {
        self.0.len()
    }

    fn chunk(&self, i: usize) -> Option<&[u8]> {
        self.0.get(i)?.as_deref().map(|c| &c[..])
    }

    fn chunk_mut(&mut self, i: usize) -> Option<&mut [u8]> {
        let slot = self.0.get_mut(i)?;
        if slot.is_none() {
            *slot = Some(zeroed_bytes::<CHUNK>()?);
        }
        slot.as_deref_mut().map(|c| &mut c[..])
    }

    fn release(&mut self, i: usize) {
        if let Some(s) = self.0.get_mut(i) {
            *s = None;
        }
    }
}
