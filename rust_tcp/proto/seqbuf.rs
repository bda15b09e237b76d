// SPDX-License-Identifier: GPL-2.0

//! Byte storage of a connection, addressed by sequence number: what the
//! skb queues of `struct sock` hold in Linux (`sk_write_queue` with the
//! retransmission rbtree on the send side, `sk_receive_queue` with the
//! out-of-order rbtree on the receive side).
//!
//! A [`SeqBuf`] is a ring of `CHUNK`-byte chunks covering the sequence
//! range `[base, base + capacity)`. On the send side `base` is `snd_una`
//! and the bytes are the unacknowledged and unsent data; on the receive
//! side `base` is `copied_seq` and the bytes are those received but not
//! yet read, with holes where out-of-order data has not arrived. Chunks
//! are allocated when first written and given back when `base` passes
//! them, so an idle connection holds no chunk, and a chunk allocation is
//! one page: the receive side allocates in softirq context, where a
//! page is what can be had.
//!
//! The store itself (who allocates chunks, and how) is the caller's
//! [`ChunkStore`]: the kernel's gives out pages with the GFP flags of its
//! context, the host tests' uses `Vec`.

use super::seq::SeqNum;

/// Bytes per chunk: one page.
pub const CHUNK: usize = 4096;

/// Where a [`SeqBuf`] keeps its chunks: `slots()` slots, each empty or
/// holding one chunk of [`CHUNK`] bytes.
pub trait ChunkStore {
    /// The number of slots (fixed for the store's life).
    fn slots(&self) -> usize;
    /// The chunk in slot `i`, if allocated.
    fn chunk(&self, i: usize) -> Option<&[u8]>;
    /// The chunk in slot `i`, allocated now if the slot is empty; `None`
    /// if that allocation failed.
    fn chunk_mut(&mut self, i: usize) -> Option<&mut [u8]>;
    /// Frees the chunk in slot `i` (if any). A store may keep it for a
    /// later allocation until [`ChunkStore::release_spares`].
    fn release(&mut self, i: usize);
    /// Frees whatever [`ChunkStore::release`] kept: the ring holds nothing.
    fn release_spares(&mut self) {}
}

/// Where a run of bytes of a [`SeqBuf`] lies ([`SeqBuf::locate_with`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Bytes `start..start + len` of the chunk in slot `slot` (which may
    /// be unallocated if they were never written).
    Chunk {
        /// The store's slot.
        slot: usize,
        /// The first byte's offset in the chunk.
        start: usize,
        /// How many bytes.
        len: usize,
    },
    /// Bytes outside the buffer: `n` of them.
    Hole(usize),
}

/// The store could not allocate a chunk, or the range lies outside the
/// buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoRoom;

/// A ring of chunks holding the sequence range `[base, base + capacity)`.
pub struct SeqBuf<S: ChunkStore> {
    store: S,
    /// The sequence number of the first byte held.
    base: SeqNum,
    /// Ring offset of `base`, in `0..capacity`.
    base_pos: usize,
}

impl<S: ChunkStore> SeqBuf<S> {
    /// An empty buffer whose first byte will be `base`.
    pub fn new(store: S, base: SeqNum) -> Self {
        Self {
            store,
            base,
            base_pos: 0,
        }
    }

    /// The sequence number of the first byte held.
    pub fn base(&self) -> SeqNum {
        self.base
    }

    /// Bytes the ring can hold: one chunk less than it has, so the
    /// newest byte never shares a chunk with the oldest (which `advance`
    /// frees when it passes it).
    pub fn capacity(&self) -> u32 {
        let slots = self.store.slots().saturating_sub(1).min((u32::MAX as usize) / CHUNK - 1);
        (slots * CHUNK) as u32
    }

    /// Bytes in the ring, the ring's modulus.
    fn ring(&self) -> usize {
        self.store.slots().min((u32::MAX as usize) / CHUNK) * CHUNK
    }

    /// Chunks currently allocated (for memory accounting in tests).
    pub fn allocated(&self) -> usize {
        (0..self.store.slots()).filter(|&i| self.store.chunk(i).is_some()).count()
    }

    /// Offset of `seq` from `base`, if `len` bytes from there fit.
    fn offset(&self, seq: SeqNum, len: usize) -> Option<usize> {
        let off = seq.0.wrapping_sub(self.base.0) as usize;
        let cap = self.capacity() as usize;
        (off <= cap && len <= cap - off).then_some(off)
    }

    /// Copies `data` to the sequence range starting at `seq`, which must
    /// lie within `[base, base + capacity)`.
    pub fn write(&mut self, seq: SeqNum, data: &[u8]) -> Result<(), NoRoom> {
        let mut rest = data;
        let n = self.write_with(seq, data.len(), |dst| {
            dst.copy_from_slice(&rest[..dst.len()]);
            rest = &rest[dst.len()..];
            dst.len()
        })?;
        if n == data.len() { Ok(()) } else { Err(NoRoom) }
    }

    /// Fills the sequence range `seq..seq + len` (within
    /// `[base, base + capacity)`) in place: `f` gets the ring's contiguous
    /// pieces in order and returns how many bytes of each it filled; a
    /// short fill (the source ran dry or faulted) ends the write. Returns
    /// the bytes filled, so the caller copies each byte once, straight
    /// from where it comes. `NoRoom` if the range does not fit, or if the
    /// first chunk cannot be allocated; a later chunk that cannot be
    /// allocated ends the write short.
    pub fn write_with(&mut self, seq: SeqNum, len: usize, mut f: impl FnMut(&mut [u8]) -> usize) -> Result<usize, NoRoom> {
        let off = self.offset(seq, len).ok_or(NoRoom)?;
        let cap = self.ring();
        let mut pos = (self.base_pos + off) % cap.max(1);
        let mut done = 0;
        while done < len {
            let slot = pos / CHUNK;
            let in_chunk = pos % CHUNK;
            let n = (len - done).min(CHUNK - in_chunk);
            let Some(dst) = self.store.chunk_mut(slot).and_then(|c| c.get_mut(in_chunk..in_chunk + n)) else {
                return if done > 0 { Ok(done) } else { Err(NoRoom) };
            };
            let k = f(dst).min(n);
            done += k;
            if k < n {
                break;
            }
            pos = (pos + n) % cap;
        }
        Ok(done)
    }

    /// Allocates the chunks that hold `seq..seq + len` without writing
    /// them, so that a later [`SeqBuf::write`] of that range cannot fail.
    pub fn reserve(&mut self, seq: SeqNum, len: usize) -> Result<(), NoRoom> {
        if len == 0 {
            return Ok(());
        }
        let off = self.offset(seq, len).ok_or(NoRoom)?;
        let cap = self.ring();
        let first = (self.base_pos + off) % cap.max(1) / CHUNK;
        let last = (self.base_pos + off + len - 1) % cap.max(1) / CHUNK;
        let slots = self.store.slots();
        let mut i = first;
        loop {
            self.store.chunk_mut(i).ok_or(NoRoom)?;
            if i == last {
                return Ok(());
            }
            i = (i + 1) % slots;
        }
    }

    /// Copies the bytes at `seq..seq + out.len()` into `out`. Bytes never
    /// written read as zero where no chunk holds them, and as whatever a
    /// reused chunk held otherwise: the caller reads only what it wrote.
    pub fn read(&self, seq: SeqNum, out: &mut [u8]) {
        let mut done = 0;
        let _ = self.read_with(seq, out.len(), |src| {
            out[done..done + src.len()].copy_from_slice(src);
            done += src.len();
            Ok::<(), ()>(())
        });
    }

    /// Hands the bytes at `seq..seq + len` to `f` in order, as the ring's
    /// contiguous pieces (so the caller copies each byte once, straight to
    /// where it goes); bytes never written come as zeros, as from
    /// [`SeqBuf::read`]. Stops at `f`'s first error.
    pub fn read_with<E>(&self, seq: SeqNum, len: usize, mut f: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        const ZEROS: [u8; 64] = [0; 64];
        self.locate_with(seq, len, |store, piece| match piece {
            Piece::Chunk { slot, start, len } => match store.chunk(slot).and_then(|c| c.get(start..start + len)) {
                Some(src) => f(src),
                None => Self::zeros(len, &mut f, &ZEROS),
            },
            Piece::Hole(n) => Self::zeros(n, &mut f, &ZEROS),
        })
    }

    fn zeros<E>(mut n: usize, f: &mut impl FnMut(&[u8]) -> Result<(), E>, z: &[u8]) -> Result<(), E> {
        while n > 0 {
            let k = n.min(z.len());
            f(&z[..k])?;
            n -= k;
        }
        Ok(())
    }

    /// Where the bytes at `seq..seq + len` lie, in order: for each of the
    /// ring's contiguous pieces, the store and the slot, offset and length
    /// in its chunk (a transmitter hands the chunk itself to the packet
    /// rather than a copy), or a [`Piece::Hole`] for bytes outside the
    /// buffer. Stops at `f`'s first error.
    pub fn locate_with<E>(&self, seq: SeqNum, len: usize, mut f: impl FnMut(&S, Piece) -> Result<(), E>) -> Result<(), E> {
        let Some(off) = self.offset(seq, len) else {
            return if len > 0 { f(&self.store, Piece::Hole(len)) } else { Ok(()) };
        };
        let cap = self.ring();
        let mut pos = (self.base_pos + off) % cap.max(1);
        let mut done = 0;
        while done < len {
            let slot = pos / CHUNK;
            let start = pos % CHUNK;
            let n = (len - done).min(CHUNK - start);
            f(&self.store, Piece::Chunk { slot, start, len: n })?;
            done += n;
            pos = (pos + n) % cap;
        }
        Ok(())
    }

    /// Moves `base` forward to `to` (at most `capacity` ahead): the bytes
    /// before it are gone and every chunk left wholly behind is freed.
    pub fn advance(&mut self, to: SeqNum) {
        let cap = self.ring();
        let d = (to.0.wrapping_sub(self.base.0) as usize).min(self.capacity() as usize);
        if d == 0 || cap == 0 {
            return;
        }
        let slots = self.store.slots();
        let first = self.base_pos / CHUNK;
        let passed = (self.base_pos % CHUNK + d) / CHUNK;
        for k in 0..passed.min(slots) {
            self.store.release((first + k) % slots);
        }
        self.base_pos = (self.base_pos + d) % cap;
        self.base = self.base.wrapping_add(d as u32);
    }

    /// [`SeqBuf::advance`] to `to` for a caller that holds nothing at or
    /// past `to` (everything written is consumed, nothing written beyond):
    /// the chunk `to` falls in is freed as well, so an empty ring holds no
    /// memory. A write there allocates it again.
    pub fn drain_to(&mut self, to: SeqNum) {
        self.advance(to);
        if self.ring() != 0 {
            self.store.release(self.base_pos / CHUNK);
        }
        self.store.release_spares();
    }

    /// Drops everything: all chunks freed, `base` moved to `to`.
    pub fn reset(&mut self, to: SeqNum) {
        for i in 0..self.store.slots() {
            self.store.release(i);
        }
        self.store.release_spares();
        self.base = to;
        self.base_pos = 0;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;
    use std::vec::Vec;

    /// The host tests' store: `Vec` slots of boxed chunks.
    pub(crate) struct VecStore(pub(crate) Vec<Option<Box<[u8; CHUNK]>>>);

    impl VecStore {
        pub(crate) fn new(slots: usize) -> Self {
            Self((0..slots).map(|_| None).collect())
        }
    }

    impl ChunkStore for VecStore {
        fn slots(&self) -> usize {
            self.0.len()
        }
        fn chunk(&self, i: usize) -> Option<&[u8]> {
            self.0.get(i)?.as_deref().map(|c| &c[..])
        }
        fn chunk_mut(&mut self, i: usize) -> Option<&mut [u8]> {
            let s = self.0.get_mut(i)?;
            Some(&mut s.get_or_insert_with(|| Box::new([0; CHUNK]))[..])
        }
        fn release(&mut self, i: usize) {
            if let Some(s) = self.0.get_mut(i) {
                *s = None;
            }
        }
    }

    #[test]
    fn drain_to_frees_the_chunk_advance_keeps() {
        let mut b = SeqBuf::new(VecStore::new(3), SeqNum(100));
        b.write(SeqNum(100), b"token").unwrap();
        b.advance(SeqNum(105));
        // advance frees only chunks left wholly behind: the token's stays.
        assert_eq!(b.allocated(), 1);
        b.drain_to(SeqNum(105));
        assert_eq!((b.allocated(), b.base()), (0, SeqNum(105)));
        // The next write takes a chunk again, at the same place.
        b.write(SeqNum(105), b"more").unwrap();
        let mut out = [0u8; 4];
        b.read(SeqNum(105), &mut out);
        assert_eq!((&out, b.allocated()), (b"more", 1));
    }

    #[test]
    fn wraps_and_frees() {
        let mut b = SeqBuf::new(VecStore::new(3), SeqNum(u32::MAX - 10));
        let data: Vec<u8> = (0..8000u32).map(|i| i as u8).collect();
        b.write(SeqNum(u32::MAX - 10), &data).unwrap();
        assert_eq!(b.allocated(), 2);
        let mut out = [0u8; 8000];
        b.read(SeqNum(u32::MAX - 10), &mut out);
        assert_eq!(&out[..], &data[..]);
        // Past the first chunk: it is freed, the second is kept.
        b.advance(SeqNum(u32::MAX - 10).wrapping_add(5000));
        assert_eq!(b.allocated(), 1);
        // The ring wraps: 5000 more bytes fit after the 3000 still held.
        let more: Vec<u8> = (0..5192u32).map(|i| (i * 7) as u8).collect();
        assert_eq!(b.capacity(), 8192);
        b.write(SeqNum(u32::MAX - 10).wrapping_add(8000), &more).unwrap();
        let mut o2 = std::vec![0u8; 3000 + 5192];
        b.read(SeqNum(u32::MAX - 10).wrapping_add(5000), &mut o2);
        assert_eq!(&o2[..3000], &data[5000..]);
        assert_eq!(&o2[3000..], &more[..]);
        // Beyond the capacity (two chunks: one is kept free): refused.
        assert_eq!(b.write(SeqNum(u32::MAX - 10).wrapping_add(5000 + 8192), &[1]), Err(NoRoom));
        // All read: only the chunk holding the new base stays.
        b.advance(SeqNum(u32::MAX - 10).wrapping_add(13192));
        assert_eq!(b.allocated(), 1);
        b.reset(SeqNum(7));
        assert_eq!(b.allocated(), 0);
    }

    /// read_with hands over the same bytes as read, in pieces that never
    /// cross a chunk, wrapping and with holes, and stops at an error.
    #[test]
    fn write_with_fills_in_place_and_stops_short() {
        let mut b = SeqBuf::new(VecStore::new(4), SeqNum(100));
        // Across a chunk boundary: two pieces, in order.
        let mut pieces = Vec::new();
        let mut next = 0u8;
        let n = b
            .write_with(SeqNum(100 + 4000), 200, |dst| {
                pieces.push(dst.len());
                for x in dst.iter_mut() {
                    *x = next;
                    next = next.wrapping_add(1);
                }
                dst.len()
            })
            .unwrap();
        assert_eq!(n, 200);
        assert_eq!(pieces, [96, 104]);
        let mut out = [0u8; 200];
        b.read(SeqNum(4100), &mut out);
        assert!(out.iter().enumerate().all(|(i, &x)| x == i as u8));
        // A fill that stops short (a fault) ends the write there.
        let mut calls = 0;
        let n = b.write_with(SeqNum(100), 5000, |dst| {
            calls += 1;
            dst.len() / 2
        });
        assert_eq!((n, calls), (Ok(2048), 1));
        // Outside the ring: nothing is asked for.
        assert_eq!(b.write_with(SeqNum(100 + b.capacity()), 1, |_| unreachable!()), Err(NoRoom));
    }

    /// locate_with names the slot and the bytes in it of each piece, in
    /// order, across a chunk boundary and the ring's wrap; what lies
    /// outside the buffer is a hole. The bytes there are those written.
    #[test]
    fn locate_with_names_slots_across_the_wrap() {
        let mut b = SeqBuf::new(VecStore::new(3), SeqNum(1000));
        // Ring of 3 slots (capacity 2 chunks); base moved to 1000 + 8000,
        // ring offset 8000: slot 1, byte 3904.
        b.write(SeqNum(1000), &[1u8; 8000]).unwrap();
        b.advance(SeqNum(9000));
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
        b.write(SeqNum(9000), &data).unwrap();
        let mut got = Vec::new();
        let mut bytes = Vec::new();
        b.locate_with(SeqNum(9000), 5000, |st, p| {
            if let Piece::Chunk { slot, start, len } = p {
                bytes.extend_from_slice(&st.chunk(slot).unwrap()[start..start + len]);
            }
            got.push(p);
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(
            got,
            [
                Piece::Chunk { slot: 1, start: 3904, len: 192 },
                Piece::Chunk { slot: 2, start: 0, len: 4096 },
                Piece::Chunk { slot: 0, start: 0, len: 712 },
            ]
        );
        assert_eq!(bytes, data);
        // 8192 bytes from base is past the capacity: a hole, one piece.
        let mut holes = Vec::new();
        b.locate_with(SeqNum(9000), 8193, |_, p| {
            holes.push(p);
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(holes, [Piece::Hole(8193)]);
        // An error from f stops the walk at once.
        let mut calls = 0;
        assert_eq!(b.locate_with(SeqNum(9000), 5000, |_, _| {
            calls += 1;
            Err(7)
        }), Err(7));
        assert_eq!(calls, 1);
    }

    #[test]
    fn read_with_matches_read() {
        let mut b = SeqBuf::new(VecStore::new(4), SeqNum(u32::MAX - 100));
        let data: Vec<u8> = (0..9000u32).map(|i| (i * 13) as u8).collect();
        b.write(SeqNum(u32::MAX - 100), &data).unwrap();
        // A hole: a chunk never written reads as zeros.
        b.write(SeqNum(u32::MAX - 100).wrapping_add(11_000), b"x").unwrap();
        for (start, len) in [(0u32, 9000usize), (1, 4095), (3995, 10), (8999, 1), (100, 11_000), (5000, 0)] {
            let seq = SeqNum(u32::MAX - 100).wrapping_add(start);
            let mut want = std::vec![0u8; len];
            b.read(seq, &mut want);
            let mut got = Vec::new();
            let mut pieces = 0;
            b.read_with(seq, len, |p: &[u8]| -> Result<(), ()> {
                assert!(!p.is_empty() && p.len() <= CHUNK);
                got.extend_from_slice(p);
                pieces += 1;
                Ok(())
            })
            .unwrap();
            assert_eq!(got, want, "at {start}+{len}");
            assert!(pieces >= len.div_ceil(CHUNK));
        }
        let mut calls = 0;
        let r = b.read_with(SeqNum(u32::MAX - 100), 9000, |_: &[u8]| {
            calls += 1;
            Err(7)
        });
        assert_eq!((r, calls), (Err(7), 1));
    }

    #[test]
    fn sparse_writes_read_back() {
        let mut b = SeqBuf::new(VecStore::new(4), SeqNum(100));
        b.write(SeqNum(10_100), b"later").unwrap();
        assert_eq!(b.allocated(), 1);
        b.write(SeqNum(100), b"first").unwrap();
        let mut o = [0u8; 5];
        b.read(SeqNum(10_100), &mut o);
        assert_eq!(&o, b"later");
        b.read(SeqNum(100), &mut o);
        assert_eq!(&o, b"first");
    }
}
