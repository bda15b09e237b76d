// SPDX-License-Identifier: GPL-2.0

//! The kernel's [`ChunkStore`]: a connection's byte rings keep their pages
//! here. Chunks are allocated with GFP_ATOMIC, since both the receive path
//! (softirq) and the send path (under the sock's spinlock) write them.
//! A chunk is a page, zeroed once, when it is first allocated, and written
//! over when reused (as Linux's page frags are not cleared). A freed chunk
//! goes to this CPU's cache ([`CHUNKS`]) for the next ring that needs one,
//! so a round trip (which empties a ring and fills it again) allocates
//! nothing; when that cache is full, as on the CPU that takes a bulk
//! sender's ACKs, it goes to the store's own spares, which the sending CPU
//! takes from. The send ring's pages go out referenced by the packets (no
//! copy), so a freed chunk is reused only once no packet holds it.
//! A ring that drains hands its spares back, so an idle connection holds
//! no chunk.

use crate::proto::seqbuf::{ChunkStore, CHUNK};
use crate::sys::alloc::{CpuCache, CpuCacheReg};
use crate::sys::page::{PageBuf, PAGE};
use kernel::alloc::KVec;
use kernel::prelude::*;

/// Slots per leaf of the slot table.
const LEAF: usize = 64;
/// Freed chunks a store keeps for reuse while its ring is busy: 256 KiB,
/// what one large read frees (and the next segments take again), held
/// only until the ring drains.
const SPARES: usize = 64;

/// A chunk is a page, so that a send ring's bytes go out in packets that
/// reference it (`TxSkb::append_page`) rather than copies.
type Chunk = PageBuf;
const _: () = assert!(CHUNK == PAGE);
type Leaf = KBox<Slots>;

/// A leaf: its slots and how many hold a chunk (so that freeing a chunk
/// need not scan the leaf to know whether it was the last).
struct Slots {
    n: usize,
    c: [Option<Chunk>; LEAF],
}

/// Chunks freed on this CPU, for any ring's next write.
static CHUNKS: CpuCache<Chunk> = CpuCache::new();
/// Empty leaves freed on this CPU (a ring that empties frees its leaf).
static LEAVES: CpuCache<Leaf> = CpuCache::new();

/// The per-CPU caches' lifetime: set up at module load, dropped at exit
/// after the family's registration, when no sock (and so no store) is
/// left.
pub(crate) struct Caches {
    _chunks: CpuCacheReg<Chunk>,
    _leaves: CpuCacheReg<Leaf>,
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

    /// The page behind slot `i`, for a packet to reference.
    pub(crate) fn page(&self, i: usize) -> Option<&PageBuf> {
        self.leaves.get(i / LEAF)?.as_ref()?.c[i % LEAF].as_ref()
    }
}

/// A freed chunk that no packet holds any more, to be written again: the
/// store's spares first, then this CPU's cache. A chunk still held by a
/// packet (in a queue, or on this host a receiver's skb not yet read) is
/// let go instead: ours goes, the packet frees it (sk_page_frag_refill's
/// test). Checked here rather than when freed, since the ACK that frees a
/// chunk usually overtakes the last packet's own free.
fn reusable(spares: &mut Option<KBox<Spares>>) -> Option<Chunk> {
    while let Some(s) = spares.as_mut() {
        let Some(k) = s.n.checked_sub(1) else { break };
        s.n = k;
        match s.c[k].take() {
            Some(c) if c.is_unique() => return Some(c),
            _ => {}
        }
    }
    while let Some(c) = CHUNKS.take() {
        if c.is_unique() {
            return Some(c);
        }
    }
    None
}

impl ChunkStore for KStore {
    fn slots(&self) -> usize {
        self.slots
    }

    fn chunk(&self, i: usize) -> Option<&[u8]> {
        let leaf = self.leaves.get(i / LEAF)?.as_ref()?;
        leaf.c[i % LEAF].as_ref().map(PageBuf::bytes)
    }

    fn chunk_mut(&mut self, i: usize) -> Option<&mut [u8]> {
        if i >= self.slots {
            return None;
        }
        let entry = self.leaves.get_mut(i / LEAF)?;
        if entry.is_none() {
            *entry = Some(match LEAVES.take() {
                Some(leaf) => leaf,
                None => KBox::new(Slots { n: 0, c: [const { None }; LEAF] }, GFP_ATOMIC).ok()?,
            });
        }
        let k = i % LEAF;
        if entry.as_ref()?.c[k].is_none() {
            match reusable(&mut self.spares).or_else(|| PageBuf::alloc_zeroed(true)) {
                Some(c) => {
                    let leaf = entry.as_mut()?;
                    leaf.c[k] = Some(c);
                    leaf.n += 1;
                }
                None => {
                    // No memory: a leaf made for this chunk goes again.
                    if entry.as_ref().is_some_and(|l| l.n == 0) {
                        if let Some(leaf) = entry.take() {
                            LEAVES.put(leaf);
                        }
                    }
                    return None;
                }
            }
        }
        entry.as_mut()?.c[k].as_mut().map(PageBuf::bytes_mut)
    }

    fn release(&mut self, i: usize) {
        let Some(entry) = self.leaves.get_mut(i / LEAF) else { return };
        let Some(leaf) = entry.as_mut() else { return };
        let Some(chunk) = leaf.c[i % LEAF].take() else { return };
        leaf.n -= 1;
        if leaf.n == 0 {
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
