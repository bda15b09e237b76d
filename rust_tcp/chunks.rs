// SPDX-License-Identifier: GPL-2.0

//! The kernel's [`ChunkStore`]: a connection's byte rings keep their pages
//! here. Chunks are allocated with GFP_ATOMIC, since both the receive path
//! (softirq) and the send path (under the sock's spinlock) write them.
//! A chunk is zeroed once, when it is first allocated, and written over
//! when reused (as Linux's page frags are not cleared). A freed chunk goes
//! to this CPU's cache ([`CHUNKS`]) for the next ring that needs one, so a
//! round trip (which empties a ring and fills it again) allocates nothing;
//! when that cache is full, as on the CPU that takes a bulk sender's ACKs,
//! it goes to the store's own spares, which the sending CPU takes from.
//! A ring that drains hands its spares back, so an idle connection holds
//! no chunk.

use crate::proto::seqbuf::{ChunkStore, CHUNK};
use crate::sys::alloc::{zeroed_bytes, CpuCache, CpuCacheReg};
use kernel::alloc::KVec;
use kernel::prelude::*;

/// Slots per leaf of the slot table.
const LEAF: usize = 64;
/// Freed chunks a store keeps for reuse while its ring is busy: 64 KiB,
/// a send step's or a read's worth.
const SPARES: usize = 16;

type Chunk = KBox<[u8; CHUNK]>;
type Leaf = KBox<[Option<Chunk>; LEAF]>;

/// Chunks freed on this CPU, for any ring's next write.
static CHUNKS: CpuCache<[u8; CHUNK]> = CpuCache::new();
/// Empty leaves freed on this CPU (a ring that empties frees its leaf).
static LEAVES: CpuCache<[Option<Chunk>; LEAF]> = CpuCache::new();

/// The per-CPU caches' lifetime: set up at module load, dropped at exit
/// after the family's registration, when no sock (and so no store) is
/// left.
pub(crate) struct Caches {
    _chunks: CpuCacheReg<[u8; CHUNK]>,
    _leaves: CpuCacheReg<[Option<Chunk>; LEAF]>,
}

impl Caches {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self { _chunks: CHUNKS.init()?, _leaves: LEAVES.init()? })
    }
}

/// Slots of page-sized chunks, allocated on first write, in a two-level
/// table: leaves of 64 slots, allocated with their first chunk and freed
/// with their last. An idle connection's 4 MiB send ring costs 17
/// pointers (136 bytes), not a 1025-slot table (8 KiB, rounded up to
/// kmalloc-16k) per socket; a busy one pays 512 bytes per 256 KiB of ring
/// in use.
pub(crate) struct KStore {
    slots: usize,
    leaves: KVec<Option<Leaf>>,
    /// Chunks freed by the ring, kept for its next writes (allocated on
    /// first use).
    spares: Option<KBox<Spares>>,
}

/// A stack of at most [`SPARES`] chunks.
struct Spares {
    n: usize,
    c: [Option<Chunk>; SPARES],
}

impl KStore {
    /// A store for a ring of `bytes` bytes (one chunk more, see
    /// [`crate::proto::seqbuf::SeqBuf::capacity`]). Allocates only the
    /// table's first level.
    pub(crate) fn new(bytes: usize) -> Result<Self> {
        let slots = bytes.div_ceil(CHUNK) + 1;
        let n = slots.div_ceil(LEAF);
        let mut leaves = KVec::with_capacity(n, GFP_ATOMIC)?;
        for _ in 0..n {
            leaves.push(None, GFP_ATOMIC)?;
        }
        Ok(Self { slots, leaves, spares: None })
    }
}

impl ChunkStore for KStore {
    fn slots(&self) -> usize {
        self.slots
    }

    fn chunk(&self, i: usize) -> Option<&[u8]> {
        let leaf = self.leaves.get(i / LEAF)?.as_ref()?;
        leaf[i % LEAF].as_deref().map(|c| &c[..])
    }

    fn chunk_mut(&mut self, i: usize) -> Option<&mut [u8]> {
        if i >= self.slots {
            return None;
        }
        let entry = self.leaves.get_mut(i / LEAF)?;
        if entry.is_none() {
            *entry = Some(match LEAVES.take() {
                Some(leaf) => leaf,
                None => KBox::new([const { None }; LEAF], GFP_ATOMIC).ok()?,
            });
        }
        let slot = &mut entry.as_mut()?[i % LEAF];
        if slot.is_none() {
            let spare = self.spares.as_mut().and_then(|s| {
                let k = s.n.checked_sub(1)?;
                s.n = k;
                s.c[k].take()
            });
            *slot = Some(match spare.or_else(|| CHUNKS.take()) {
                Some(c) => c,
                None => zeroed_bytes::<CHUNK>()?,
            });
        }
        slot.as_deref_mut().map(|c| &mut c[..])
    }

    fn release(&mut self, i: usize) {
        let Some(entry) = self.leaves.get_mut(i / LEAF) else { return };
        let Some(leaf) = entry.as_mut() else { return };
        let Some(chunk) = leaf[i % LEAF].take() else { return };
        if leaf.iter().all(Option::is_none) {
            // Its last chunk gone: the leaf goes too, so a drained ring
            // holds only the first level.
            if let Some(leaf) = entry.take() {
                LEAVES.put(leaf);
            }
        }
        // The store's spares first once it has them (a bulk ring reuses its
        // own chunks whichever CPU takes its ACKs), else this CPU's cache;
        // spares are set up when that is full, as on a CPU that only frees
        // (the ACKs') while another only allocates (the sender's).
        if let Some(s) = self.spares.as_mut().filter(|s| s.n < SPARES) {
            let k = s.n;
            s.c[k] = Some(chunk);
            s.n = k + 1;
            return;
        }
        let Some(chunk) = CHUNKS.keep(chunk) else { return };
        if self.spares.is_none() {
            let mut c = [const { None }; SPARES];
            c[0] = Some(chunk);
            self.spares = KBox::new(Spares { n: 1, c }, GFP_ATOMIC).ok();
        }
    }

    fn release_spares(&mut self) {
        if let Some(mut s) = self.spares.take() {
            let n = s.n;
            for c in s.c[..n].iter_mut() {
                if let Some(c) = c.take() {
                    CHUNKS.put(c);
                }
            }
        }
    }
}
