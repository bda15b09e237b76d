// SPDX-License-Identifier: GPL-2.0

//! Receive reassembly bookkeeping of a synchronised connection, from
//! net/ipv4/tcp_input.c: where a data segment goes (`tcp_data_queue()`),
//! the out-of-order queue (`tcp_data_queue_ofo()`, `tcp_ofo_queue()`,
//! `tcp_prune_ofo_queue()`), the SACK blocks we advertise
//! (`tcp_sack_new_ofo_skb()`, `tcp_sack_extend()`,
//! `tcp_sack_maybe_coalesce()`, `tcp_sack_remove()`, `tcp_sack_reset()`)
//! and the D-SACK for duplicates (`tcp_dsack_set()`, `tcp_dsack_extend()`),
//! plus which of them an outgoing segment carries (`tcp_established_options()`
//! and `tcp_options_write()`, net/ipv4/tcp_output.c).
//!
//! # Bytes stay with the caller
//!
//! Only sequence ranges are tracked here. Linux keeps out-of-order skbs in
//! an rbtree; [`OfoQueue`] keeps the *union* of their byte ranges as at most
//! `N` disjoint, non-adjacent `[start, end)` ranges, sorted, each remembering
//! whether it ends with the peer's FIN. The kernel side stores the bytes
//! wherever it likes (e.g. a buffer indexed by `seq - rcv_nxt`) and asks
//! [`Reassembly::data_queue`] what to do with each segment:
//!
//! * [`DataQueue::InOrder`]: append `payload[skip..]` to the receive queue,
//!   then the stored out-of-order bytes up to the new `rcv_nxt`; a FIN, if
//!   reached, has been accounted for (data then ends at `rcv_nxt - 1`).
//! * [`DataQueue::OutOfOrder`]: store the payload at its sequence position.
//! * anything else: drop the payload.
//!
//! # Differences from Linux
//!
//! * Capacity is a count of ranges, not memory. When a segment needs a new
//!   range and all `N` are taken, Linux's `tcp_prune_ofo_queue()` rule is
//!   applied to ranges: a segment that would land last is dropped
//!   (`TCPOFODrop`), otherwise the last range is pruned (`OfoPruned`, SACK
//!   state reset) to make room.
//! * Linux merges an skb into the one ending exactly where it starts
//!   (`tcp_ooo_try_coalesce()`) without looking at the skbs after it, so a
//!   segment that also overlaps a later skb leaves the two overlapping and
//!   reports no D-SACK for that overlap; whether it happens depends on
//!   `skb_try_coalesce()` succeeding. Here ranges are always merged and the
//!   D-SACK names the first overlap, which is what Linux reports whenever
//!   the skbs are not coalesced.
//! * A FIN inside a merged range (data from a broken peer beyond its own
//!   FIN) is forgotten; Linux would act on it when `rcv_nxt` reached it and
//!   purge the rest.

use super::seq::SeqNum;
use super::tcp_hdr::SackBlocks;

/// `TCP_NUM_SACKS`: SACK blocks Linux remembers (and at most sends).
pub const TCP_NUM_SACKS: usize = 4;
/// `TCP_SACK_BLOCKS_EXPECTED`: a new out-of-order segment that is not
/// described by one of the first two SACK blocks makes a pending
/// compressed ACK go out at once (`tcp_sack_compress_send_ack()`).
pub const TCP_SACK_BLOCKS_EXPECTED: usize = 2;

/// Linux `tcp_sack_extend(sp, seq, end_seq)`: when `[seq, end)` overlaps or
/// touches `block`, grow `block` to cover it and return true.
pub fn sack_extend(block: &mut (SeqNum, SeqNum), seq: SeqNum, end: SeqNum) -> bool {
    if !seq.after(block.1) && !block.0.after(end) {
        if seq.before(block.0) {
            block.0 = seq;
        }
        if end.after(block.1) {
            block.1 = end;
        }
        return true;
    }
    false
}

/// The SACK state of `struct tcp_sock`: `selective_acks[]` with
/// `rx_opt.num_sacks`, and `duplicate_sack[0]` with `rx_opt.dsack`.
///
/// Block 0 describes the most recent out-of-order segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SackState {
    blocks: [(SeqNum, SeqNum); TCP_NUM_SACKS],
    /// Blocks in use; never above [`TCP_NUM_SACKS`].
    num: usize,
    dsack: Option<(SeqNum, SeqNum)>,
}

impl Default for SackState {
    fn default() -> Self {
        Self::new()
    }
}

impl SackState {
    /// No SACK or D-SACK block.
    pub const fn new() -> Self {
        Self {
            blocks: [(SeqNum(0), SeqNum(0)); TCP_NUM_SACKS],
            num: 0,
            dsack: None,
        }
    }

    /// `rx_opt.num_sacks`.
    pub const fn num_sacks(&self) -> usize {
        self.num
    }

    /// `selective_acks[..num_sacks]`, most recent first.
    pub fn blocks(&self) -> &[(SeqNum, SeqNum)] {
        self.blocks.get(..self.num).unwrap_or(&[])
    }

    /// `duplicate_sack[0]` when `rx_opt.dsack` is set.
    pub const fn dsack(&self) -> Option<(SeqNum, SeqNum)> {
        self.dsack
    }

    /// Linux `tcp_sack_reset()`: forget every SACK and the D-SACK.
    pub fn reset(&mut self) {
        self.num = 0;
        self.dsack = None;
    }

    /// Forget the D-SACK only (`tp->rx_opt.dsack = 0`, done by
    /// `tcp_data_queue()` for every segment with data).
    pub fn clear_dsack(&mut self) {
        self.dsack = None;
    }

    /// The first out-of-order segment (`tcp_data_queue_ofo()` on an empty
    /// queue): exactly one block, `[seq, end)`.
    pub fn first_ofo(&mut self, seq: SeqNum, end: SeqNum) {
        self.blocks[0] = (seq, end);
        self.num = 1;
    }

    /// Linux `tcp_sack_new_ofo_skb(sk, seq, end_seq)`: the segment
    /// `[seq, end)` was queued out of order (or was a duplicate of queued
    /// data). The block it extends moves to the front (then blocks it now
    /// touches are merged into it); otherwise a new block goes in front,
    /// pushing out the oldest when all four are used.
    ///
    /// Returns true when Linux calls `tcp_sack_compress_send_ack()`: the
    /// segment was not described by one of the first
    /// [`TCP_SACK_BLOCKS_EXPECTED`] blocks, so an ACK held back by SACK
    /// compression must go out now (see
    /// [`super::tcp_delack::DelAck::sack_compress_send_ack`]).
    pub fn new_ofo_skb(&mut self, seq: SeqNum, end: SeqNum) -> bool {
        let cur = self.num.min(TCP_NUM_SACKS);
        if cur == 0 {
            self.first_ofo(seq, end);
            return false;
        }
        for this in 0..cur {
            let extended = match self.blocks.get_mut(this) {
                Some(b) => sack_extend(b, seq, end),
                None => false,
            };
            if extended {
                let flush = this >= TCP_SACK_BLOCKS_EXPECTED;
                // "Rotate this_sack to the first one."
                if let Some(s) = self.blocks.get_mut(..=this) {
                    s.rotate_right(1);
                }
                if cur > 1 {
                    self.maybe_coalesce();
                }
                return flush;
            }
        }
        let flush = cur >= TCP_SACK_BLOCKS_EXPECTED;
        // "If the sack array is full, forget about the last one."
        let mut keep = cur;
        if keep >= TCP_NUM_SACKS {
            keep = TCP_NUM_SACKS - 1;
        }
        if let Some(s) = self.blocks.get_mut(..=keep) {
            s.rotate_right(1);
        }
        self.blocks[0] = (seq, end);
        self.num = keep + 1;
        flush
    }

    /// Linux `tcp_sack_maybe_coalesce()`: merge into block 0 every later
    /// block it now overlaps or touches.
    fn maybe_coalesce(&mut self) {
        let mut this = 1;
        while this < self.num {
            let other = match self.blocks.get(this) {
                Some(&b) => b,
                None => break,
            };
            if sack_extend(&mut self.blocks[0], other.0, other.1) {
                // "Zap SWALK, by moving every further SACK up by one slot."
                if let Some(s) = self.blocks.get_mut(this..self.num) {
                    s.rotate_left(1);
                }
                self.num -= 1;
                continue;
            }
            this += 1;
        }
    }

    /// Linux `tcp_sack_remove(tp)` after `rcv_nxt` advanced: with an empty
    /// out-of-order queue every block goes; otherwise each block whose
    /// start `rcv_nxt` has reached.
    pub fn remove(&mut self, rcv_nxt: SeqNum, ofo_empty: bool) {
        if ofo_empty {
            self.num = 0;
            return;
        }
        let mut this = 0;
        while this < self.num {
            let start = match self.blocks.get(this) {
                Some(b) => b.0,
                None => break,
            };
            if !rcv_nxt.before(start) {
                if let Some(s) = self.blocks.get_mut(this..self.num) {
                    s.rotate_left(1);
                }
                self.num -= 1;
                continue;
            }
            this += 1;
        }
    }

    /// The D-SACK part of Linux `tcp_dsack_set(sk, seq, end_seq)` (the
    /// caller checks `tcp_is_sack()` and `net.ipv4.tcp_dsack`): replace the
    /// D-SACK block. `TCPDSACKOldSent` when `seq` is before `rcv_nxt`, else
    /// `TCPDSACKOfoSent`.
    pub fn dsack_set(&mut self, seq: SeqNum, end: SeqNum) {
        self.dsack = Some((seq, end));
    }

    /// Linux `tcp_dsack_extend()`: set the D-SACK block if there is none,
    /// else grow it when `[seq, end)` overlaps or touches it.
    pub fn dsack_extend(&mut self, seq: SeqNum, end: SeqNum) {
        match &mut self.dsack {
            None => self.dsack = Some((seq, end)),
            Some(d) => {
                sack_extend(d, seq, end);
            }
        }
    }

    /// The highest right edge of the SACK blocks (`max_sack` of
    /// `tcp_validate_incoming()`), `None` without blocks.
    pub fn max_sack(&self) -> Option<SeqNum> {
        let mut it = self.blocks().iter();
        let first = it.next()?.1;
        Some(it.fold(first, |m, b| if b.1.after(m) { b.1 } else { m }))
    }

    /// The blocks an outgoing segment carries, as
    /// `tcp_established_options()` counts them and `tcp_options_write()`
    /// writes them: the D-SACK first (Linux's `duplicate_sack[0]` lies right
    /// before `selective_acks[0]`), then the SACK blocks, at most `room`
    /// ([`super::tcp_hdr::TcpOptions::sack_room`]: 4, or 3 next to
    /// timestamps). Writing any block consumes the D-SACK; with no room
    /// nothing is written and it stays.
    pub fn take_option_blocks(&mut self, room: usize) -> SackBlocks {
        let mut out = SackBlocks::new();
        let room = room.min(super::tcp_hdr::MAX_SACK_BLOCKS);
        if room == 0 {
            return out;
        }
        let dsack = self.dsack;
        for b in dsack.iter().chain(self.blocks().iter()).take(room) {
            // At most `room` <= MAX_SACK_BLOCKS pushes: never full.
            let _ = out.push(*b);
        }
        if !out.is_empty() {
            self.dsack = None;
        }
        out
    }
}

/// One out-of-order byte range `[start, end)`; with `fin` the last sequence
/// number of the range is the peer's FIN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct OfoRange {
    /// First sequence number.
    pub start: SeqNum,
    /// One past the last sequence number.
    pub end: SeqNum,
    /// The range ends with a FIN.
    pub fin: bool,
}

/// What [`OfoQueue::make_room`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MakeRoom {
    /// The segment merges with a range or a slot is free.
    Fits,
    /// The last range was pruned to make room (`tcp_prune_ofo_queue()`).
    Pruned(OfoRange),
    /// Full, and the segment would land last: drop it.
    NoRoom,
}

/// What [`OfoQueue::insert`] did with a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfoInsert {
    /// The segment adds bytes; `dsack` is its first overlap with bytes
    /// already queued, if any (what Linux D-SACKs).
    Added {
        /// Duplicate part, for [`SackState::dsack_set`].
        dsack: Option<(SeqNum, SeqNum)>,
    },
    /// Every byte was already queued ("All the bits are present",
    /// `TCPOFOMerge`): D-SACK the whole segment.
    Duplicate,
    /// No free range (call [`OfoQueue::make_room`] first).
    NoRoom,
    /// `end` is not after `seq`: nothing to queue.
    Empty,
}

/// The out-of-order queue as byte ranges: at most `N` disjoint, sorted,
/// non-adjacent ranges, all expected to lie after `rcv_nxt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OfoQueue<const N: usize> {
    ranges: [OfoRange; N],
    /// Ranges in use; never above `N`.
    len: usize,
}

impl<const N: usize> Default for OfoQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> OfoQueue<N> {
    /// An empty queue.
    pub const fn new() -> Self {
        Self {
            ranges: [OfoRange {
                start: SeqNum(0),
                end: SeqNum(0),
                fin: false,
            }; N],
            len: 0,
        }
    }

    /// `RB_EMPTY_ROOT(&tp->out_of_order_queue)`.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ranges in use.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// The ranges, lowest sequence first.
    pub fn ranges(&self) -> &[OfoRange] {
        self.ranges.get(..self.len).unwrap_or(&[])
    }

    /// `skb_rbtree_purge(&tp->out_of_order_queue)`.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Sequence numbers queued (payload bytes plus a FIN).
    pub fn queued_len(&self) -> u64 {
        self.ranges()
            .iter()
            .map(|r| u64::from(r.end.0.wrapping_sub(r.start.0)))
            .sum()
    }

    /// `(i, j)`: ranges `i..j` overlap or touch `[seq, end)`; `i` is where
    /// a range touching nothing would go.
    fn span(&self, seq: SeqNum, end: SeqNum) -> (usize, usize) {
        let r = self.ranges();
        let i = r.iter().take_while(|x| x.end.before(seq)).count();
        let j = i + r
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .take_while(|x| !x.start.after(end))
            .count();
        (i, j)
    }

    /// The memory check of `tcp_data_queue_ofo()` (`tcp_try_rmem_schedule()`
    /// → `tcp_prune_ofo_queue()`), on range slots: when `[seq, end)` needs a
    /// new range and none is free, prune the last range unless the segment
    /// would land after its start ("If incoming skb would land last in ofo
    /// queue, stop pruning"), in which case there is no room.
    pub fn make_room(&mut self, seq: SeqNum, end: SeqNum) -> MakeRoom {
        let (i, j) = self.span(seq, end);
        if j > i || self.len < N {
            return MakeRoom::Fits;
        }
        let last = match self.ranges().last() {
            Some(&l) => l,
            None => return MakeRoom::NoRoom,
        };
        if seq.after(last.start) {
            return MakeRoom::NoRoom;
        }
        self.len -= 1;
        MakeRoom::Pruned(last)
    }

    /// Adds `[seq, end)` (with a FIN as its last sequence number when
    /// `fin`), merging it with every range it overlaps or touches.
    pub fn insert(&mut self, seq: SeqNum, end: SeqNum, fin: bool) -> OfoInsert {
        if !end.after(seq) {
            return OfoInsert::Empty;
        }
        let (i, j) = self.span(seq, end);
        let touched = self.ranges.get(i..j).unwrap_or(&[]);
        let dsack = touched.iter().find_map(|r| {
            let lo = seq.max_seq(r.start);
            let hi = end.min_seq(r.end);
            lo.before(hi).then_some((lo, hi))
        });
        let (first, last) = match (touched.first(), touched.last()) {
            (Some(&f), Some(&l)) => (f, l),
            _ => {
                // Touches nothing: a new range at i.
                if self.len >= N {
                    return OfoInsert::NoRoom;
                }
                if let Some(s) = self.ranges.get_mut(i..=self.len) {
                    s.rotate_right(1);
                }
                if let Some(slot) = self.ranges.get_mut(i) {
                    *slot = OfoRange {
                        start: seq,
                        end,
                        fin,
                    };
                    self.len += 1;
                }
                return OfoInsert::Added { dsack: None };
            }
        };
        if j == i + 1 && !seq.before(first.start) && !end.after(first.end) {
            return OfoInsert::Duplicate;
        }
        let start = if seq.before(first.start) {
            seq
        } else {
            first.start
        };
        let (new_end, new_fin) = if end.after(last.end) {
            (end, fin)
        } else if end == last.end {
            (end, fin || last.fin)
        } else {
            (last.end, last.fin)
        };
        let merged = OfoRange {
            start,
            end: new_end,
            fin: new_fin,
        };
        let gone = j - i - 1;
        if let Some(s) = self.ranges.get_mut(i + 1..self.len) {
            s.rotate_left(gone.min(s.len()));
        }
        if let Some(slot) = self.ranges.get_mut(i) {
            *slot = merged;
        }
        self.len -= gone;
        OfoInsert::Added { dsack }
    }

    /// Linux `tcp_ofo_queue()`: `rcv_nxt` has just advanced to `rcv_nxt`;
    /// move every range that is now in order out of the queue and return
    /// the new `rcv_nxt` and whether a FIN was reached (then the queue is
    /// purged, as `tcp_fin()` does). `on_dup(seq, end)` is called, in
    /// order, for each part of a range that lies before the `rcv_nxt`
    /// passed in, i.e. was also in the in-order segment
    /// (`tcp_dsack_extend()`).
    pub fn drain(
        &mut self,
        rcv_nxt: SeqNum,
        mut on_dup: impl FnMut(SeqNum, SeqNum),
    ) -> (SeqNum, bool) {
        let dsack_high = rcv_nxt;
        let mut nxt = rcv_nxt;
        while let Some(&r) = self.ranges().first() {
            if r.start.after(nxt) {
                break;
            }
            if r.start.before(dsack_high) {
                let hi = if r.end.before(dsack_high) {
                    r.end
                } else {
                    dsack_high
                };
                on_dup(r.start, hi);
            }
            if let Some(s) = self.ranges.get_mut(..self.len) {
                s.rotate_left(1);
            }
            self.len -= 1;
            if !r.end.after(nxt) {
                continue;
            }
            nxt = r.end;
            if r.fin {
                self.clear();
                return (nxt, true);
            }
        }
        (nxt, false)
    }
}

/// Where `tcp_data_queue()` sends a segment (see [`Reassembly::data_queue`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataQueue {
    /// No data and no FIN (`seq == end_seq`): nothing to queue; the D-SACK
    /// state is left alone.
    Empty,
    /// In order: `payload[skip..]` is new and goes to the receive queue
    /// (`tcp_queue_rcv()`), followed by the out-of-order bytes now in order.
    InOrder(InOrder),
    /// Queued out of order: keep the payload. `inet_csk_schedule_ack()`,
    /// `tcp_measure_rcv_mss()`, `TCPOFOQueue`.
    OutOfOrder {
        /// Every byte was already queued (`TCPOFOMerge`); keep nothing.
        duplicate: bool,
        /// A range pruned to make room (`OfoPruned`): its bytes are gone
        /// and the SACK state was reset.
        pruned: Option<OfoRange>,
        /// Send a compressed ACK now ([`SackState::new_ofo_skb`]).
        flush_compressed_ack: bool,
    },
    /// No range left for it (`TCPOFODrop`): drop.
    OfoDropped,
    /// Entirely old (`!after(end_seq, rcv_nxt)`, `DelayedACKLost`): drop;
    /// enter quick-ACK mode with `TCP_MAX_QUICKACKS` and schedule an ACK.
    OldData,
    /// Outside the window (`zero_window`: in order or partly old but the
    /// window is closed, `TCPZeroWindowDrop`; else at or beyond its right
    /// edge, e.g. a zero-window probe): drop; enter quick-ACK mode and
    /// schedule an ACK.
    OutOfWindow {
        /// The receive window is zero.
        zero_window: bool,
    },
}

/// An in-order segment ([`DataQueue::InOrder`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InOrder {
    /// Leading payload bytes already received (the segment started before
    /// `rcv_nxt`; they were D-SACKed).
    pub skip: u32,
    /// The segment has payload (`skb->len`, counting skipped bytes):
    /// `tcp_event_data_recv()` runs.
    pub data: bool,
    /// `rcv_nxt` after this segment and the out-of-order data it released.
    pub rcv_nxt: SeqNum,
    /// A FIN was reached (this segment's or a queued one): run
    /// [`super::tcp_fin::tcp_fin`]; the out-of-order queue and SACK state
    /// have been cleared.
    pub fin: bool,
    /// The out-of-order queue was emptied by this segment: "SHOULD send
    /// immediate ACK, when gap in queue is filled" (`ICSK_ACK_NOW`).
    pub gap_filled: bool,
}

/// The receive reassembly state of a connection: the out-of-order ranges
/// and the SACK/D-SACK blocks, with the two settings that govern them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reassembly<const N: usize> {
    /// Out-of-order data.
    pub ofo: OfoQueue<N>,
    /// SACK blocks and D-SACK.
    pub sack: SackState,
    /// `tcp_is_sack(tp)`: SACK was negotiated.
    pub sack_ok: bool,
    /// `net.ipv4.tcp_dsack` (default 1).
    pub dsack_enabled: bool,
}

impl<const N: usize> Reassembly<N> {
    /// Empty queues.
    pub const fn new(sack_ok: bool, dsack_enabled: bool) -> Self {
        Self {
            ofo: OfoQueue::new(),
            sack: SackState::new(),
            sack_ok,
            dsack_enabled,
        }
    }

    /// Linux `tcp_dsack_set()`.
    pub fn dsack_set(&mut self, seq: SeqNum, end: SeqNum) {
        if self.sack_ok && self.dsack_enabled {
            self.sack.dsack_set(seq, end);
        }
    }

    /// Linux `tcp_dsack_extend()`.
    pub fn dsack_extend(&mut self, seq: SeqNum, end: SeqNum) {
        if self.sack.dsack().is_none() {
            self.dsack_set(seq, end);
        } else {
            self.sack.dsack_extend(seq, end);
        }
    }

    /// What `tcp_fin()` does to the queues: purge the out-of-order queue
    /// ("It _is_ possible, that we have something out-of-order _after_
    /// FIN") and, with SACK, reset the SACK state.
    pub fn fin_purge(&mut self) {
        self.ofo.clear();
        if self.sack_ok {
            self.sack.reset();
        }
    }

    /// The D-SACK part of Linux `tcp_send_dupack()` for a segment
    /// `[seq, end_seq)` answered with a duplicate ACK: when it carries data
    /// starting before `rcv_nxt`, D-SACK the part up to `rcv_nxt` and
    /// return true (the caller enters quick-ACK mode with
    /// `TCP_MAX_QUICKACKS`, `DelayedACKLost`).
    pub fn send_dupack(&mut self, rcv_nxt: SeqNum, seq: SeqNum, end_seq: SeqNum) -> bool {
        if end_seq == seq || !seq.before(rcv_nxt) {
            return false;
        }
        let end = if end_seq.after(rcv_nxt) {
            rcv_nxt
        } else {
            end_seq
        };
        self.dsack_set(seq, end);
        true
    }

    /// Highest SACKed sequence number for the RST check of
    /// [`super::tcp_validate::validate_incoming`] (`None` without SACK).
    pub fn max_sack(&self) -> Option<SeqNum> {
        if self.sack_ok {
            self.sack.max_sack()
        } else {
            None
        }
    }

    /// Linux `tcp_data_queue(sk, skb)` for a segment of `len` payload bytes
    /// (`fin`: with the FIN flag) that passed validation, given `rcv_nxt`
    /// and `rcv_wnd_left` = [`super::tcp_window::tcp_receive_window`].
    ///
    /// 1. `seq == end_seq` → [`DataQueue::Empty`]. Otherwise the D-SACK is
    ///    cleared.
    /// 2. `seq == rcv_nxt`: with a zero window only a bare FIN is taken,
    ///    other segments are [`DataQueue::OutOfWindow`]; else in order.
    /// 3. `end_seq` not after `rcv_nxt` → D-SACK it, [`DataQueue::OldData`].
    /// 4. `seq` at or beyond `rcv_nxt + window` → `OutOfWindow`.
    /// 5. `seq` before `rcv_nxt` → D-SACK `[seq, rcv_nxt)`; with a zero
    ///    window `OutOfWindow`, else in order from `rcv_nxt`.
    /// 6. Otherwise out of order (`tcp_data_queue_ofo()`).
    ///
    /// In order: `rcv_nxt = end_seq`; a FIN runs `tcp_fin()`'s purge; else
    /// queued ranges now in order are released (`tcp_ofo_queue()`, which
    /// D-SACKs any overlap with this segment); then `tcp_sack_remove()`.
    ///
    /// Out of order: room is made ([`OfoQueue::make_room`]); into an empty
    /// queue the segment is the single SACK block; otherwise it is merged,
    /// its overlap D-SACKed, and [`SackState::new_ofo_skb`] runs (also for a
    /// full duplicate, as in Linux).
    ///
    /// Not modelled: receive-memory accounting other than the range count
    /// (`tcp_try_rmem_schedule()` for in-order data), MPTCP, ECN CE marks,
    /// window growth (`tcp_grow_window()`).
    pub fn data_queue(
        &mut self,
        rcv_nxt: SeqNum,
        rcv_wnd_left: u32,
        seq: SeqNum,
        len: u32,
        fin: bool,
    ) -> DataQueue {
        let end_seq = seq + len + u32::from(fin);
        if seq == end_seq {
            return DataQueue::Empty;
        }
        self.sack.clear_dsack();
        if seq == rcv_nxt {
            if rcv_wnd_left == 0 && !(len == 0 && fin) {
                return DataQueue::OutOfWindow { zero_window: true };
            }
            return DataQueue::InOrder(self.queue_and_out(0, len, end_seq, fin));
        }
        if !end_seq.after(rcv_nxt) {
            self.dsack_set(seq, end_seq);
            return DataQueue::OldData;
        }
        if !seq.before(rcv_nxt + rcv_wnd_left) {
            return DataQueue::OutOfWindow { zero_window: false };
        }
        if seq.before(rcv_nxt) {
            // "Partial packet, seq < rcv_next < end_seq"
            self.dsack_set(seq, rcv_nxt);
            if rcv_wnd_left == 0 {
                return DataQueue::OutOfWindow { zero_window: true };
            }
            let skip = rcv_nxt.0.wrapping_sub(seq.0);
            return DataQueue::InOrder(self.queue_and_out(skip, len, end_seq, fin));
        }
        self.data_queue_ofo(seq, end_seq, fin)
    }

    /// The `queue_and_out` path of `tcp_data_queue()`.
    fn queue_and_out(&mut self, skip: u32, len: u32, end_seq: SeqNum, fin: bool) -> InOrder {
        let mut out = InOrder {
            skip: skip.min(len),
            data: len > 0,
            rcv_nxt: end_seq,
            fin,
            gap_filled: false,
        };
        if fin {
            self.fin_purge();
        }
        if !self.ofo.is_empty() {
            let dsack_on = self.sack_ok && self.dsack_enabled;
            let sack = &mut self.sack;
            // tcp_dsack_extend() for the part already in this segment.
            let (nxt, ofo_fin) = self.ofo.drain(end_seq, |s, e| {
                if dsack_on {
                    sack.dsack_extend(s, e);
                }
            });
            out.rcv_nxt = nxt;
            if ofo_fin {
                out.fin = true;
                self.fin_purge();
            }
            if self.ofo.is_empty() {
                out.gap_filled = true;
            }
        }
        if self.sack.num_sacks() > 0 {
            self.sack.remove(out.rcv_nxt, self.ofo.is_empty());
        }
        out
    }

    /// Linux `tcp_data_queue_ofo()` on ranges.
    fn data_queue_ofo(&mut self, seq: SeqNum, end_seq: SeqNum, fin: bool) -> DataQueue {
        let pruned = match self.ofo.make_room(seq, end_seq) {
            MakeRoom::NoRoom => return DataQueue::OfoDropped,
            MakeRoom::Pruned(r) => {
                // tcp_prune_ofo_queue(): "Reset SACK state."
                if self.sack_ok {
                    self.sack.reset();
                }
                Some(r)
            }
            MakeRoom::Fits => None,
        };
        if self.ofo.is_empty() {
            // "Initial out of order segment, build 1 SACK."
            if self.ofo.insert(seq, end_seq, fin) == OfoInsert::NoRoom {
                return DataQueue::OfoDropped;
            }
            if self.sack_ok {
                self.sack.first_ofo(seq, end_seq);
            }
            return DataQueue::OutOfOrder {
                duplicate: false,
                pruned,
                flush_compressed_ack: false,
            };
        }
        let duplicate = match self.ofo.insert(seq, end_seq, fin) {
            OfoInsert::NoRoom | OfoInsert::Empty => return DataQueue::OfoDropped,
            OfoInsert::Duplicate => {
                self.dsack_set(seq, end_seq);
                true
            }
            OfoInsert::Added { dsack } => {
                if let Some((s, e)) = dsack {
                    self.dsack_set(s, e);
                }
                false
            }
        };
        let flush_compressed_ack = self.sack_ok && self.sack.new_ofo_skb(seq, end_seq);
        DataQueue::OutOfOrder {
            duplicate,
            pruned,
            flush_compressed_ack,
        }
    }

    /// Blocks the next segment would carry if there were room:
    /// `rx_opt.num_sacks + rx_opt.dsack` of `tcp_established_options()`.
    pub fn option_blocks_pending(&self) -> usize {
        if !self.sack_ok {
            return 0;
        }
        self.sack.num_sacks() + usize::from(self.sack.dsack().is_some())
    }

    /// The SACK option blocks of the next outgoing segment
    /// ([`SackState::take_option_blocks`]).
    pub fn take_option_blocks(&mut self, room: usize) -> SackBlocks {
        self.sack.take_option_blocks(room)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: u32) -> SeqNum {
        SeqNum(v)
    }

    fn b(a: u32, e: u32) -> (SeqNum, SeqNum) {
        (s(a), s(e))
    }

    fn r(a: u32, e: u32) -> OfoRange {
        OfoRange {
            start: s(a),
            end: s(e),
            fin: false,
        }
    }

    #[test]
    fn sack_extend_overlap_touch_and_gap() {
        let mut blk = b(100, 200);
        assert!(sack_extend(&mut blk, s(50), s(100)));
        assert_eq!(blk, b(50, 200));
        assert!(sack_extend(&mut blk, s(200), s(250)));
        assert_eq!(blk, b(50, 250));
        assert!(sack_extend(&mut blk, s(60), s(70)));
        assert_eq!(blk, b(50, 250));
        assert!(!sack_extend(&mut blk, s(251), s(300)));
        assert!(!sack_extend(&mut blk, s(0), s(49)));
        assert_eq!(blk, b(50, 250));
        // Across the 2^32 wrap.
        let mut blk = b(u32::MAX - 9, 10);
        assert!(sack_extend(&mut blk, s(10), s(20)));
        assert_eq!(blk, b(u32::MAX - 9, 20));
    }

    #[test]
    fn sack_blocks_most_recent_first() {
        let mut sk = SackState::new();
        assert!(!sk.new_ofo_skb(s(2000), s(2100)));
        assert_eq!(sk.blocks(), &[b(2000, 2100)]);
        // A second block: only one existed, no compressed-ACK flush.
        assert!(!sk.new_ofo_skb(s(3000), s(3100)));
        assert_eq!(sk.blocks(), &[b(3000, 3100), b(2000, 2100)]);
        // Third: two blocks were there (>= TCP_SACK_BLOCKS_EXPECTED).
        assert!(sk.new_ofo_skb(s(4000), s(4100)));
        assert_eq!(sk.blocks(), &[b(4000, 4100), b(3000, 3100), b(2000, 2100)]);
        // Extending the oldest (index 2) flushes and rotates it to the front.
        assert!(sk.new_ofo_skb(s(2100), s(2200)));
        assert_eq!(sk.blocks(), &[b(2000, 2200), b(4000, 4100), b(3000, 3100)]);
        // Extending block 1 does not flush.
        assert!(!sk.new_ofo_skb(s(4100), s(4150)));
        assert_eq!(sk.blocks(), &[b(4000, 4150), b(2000, 2200), b(3000, 3100)]);
        assert!(sk.new_ofo_skb(s(5000), s(5100)));
        assert_eq!(sk.num_sacks(), 4);
        // Full: the oldest block is forgotten.
        assert!(sk.new_ofo_skb(s(6000), s(6100)));
        assert_eq!(
            sk.blocks(),
            &[b(6000, 6100), b(5000, 5100), b(4000, 4150), b(2000, 2200)]
        );
        assert_eq!(sk.max_sack(), Some(s(6100)));
    }

    #[test]
    fn sack_coalesce_after_extend() {
        let mut sk = SackState::new();
        let _ = sk.new_ofo_skb(s(50), s(60));
        let _ = sk.new_ofo_skb(s(30), s(40));
        let _ = sk.new_ofo_skb(s(10), s(20));
        assert_eq!(sk.blocks(), &[b(10, 20), b(30, 40), b(50, 60)]);
        // [20, 30) extends block 0 and then swallows [30, 40).
        assert!(!sk.new_ofo_skb(s(20), s(30)));
        assert_eq!(sk.blocks(), &[b(10, 40), b(50, 60)]);
        // [40, 50) bridges the rest.
        assert!(!sk.new_ofo_skb(s(40), s(50)));
        assert_eq!(sk.blocks(), &[b(10, 60)]);
    }

    #[test]
    fn sack_remove_and_reset() {
        let mut sk = SackState::new();
        let _ = sk.new_ofo_skb(s(300), s(400));
        let _ = sk.new_ofo_skb(s(100), s(200));
        let _ = sk.new_ofo_skb(s(500), s(600));
        assert_eq!(sk.blocks(), &[b(500, 600), b(100, 200), b(300, 400)]);
        sk.remove(s(99), false);
        assert_eq!(sk.num_sacks(), 3);
        sk.remove(s(200), false);
        assert_eq!(sk.blocks(), &[b(500, 600), b(300, 400)]);
        sk.remove(s(400), false);
        assert_eq!(sk.blocks(), &[b(500, 600)]);
        sk.remove(s(0), true);
        assert_eq!(sk.num_sacks(), 0);
        assert_eq!(sk.max_sack(), None);
        sk.dsack_set(s(1), s(2));
        let _ = sk.new_ofo_skb(s(5), s(6));
        sk.reset();
        assert_eq!((sk.num_sacks(), sk.dsack()), (0, None));
    }

    #[test]
    fn dsack_extend_rules() {
        let mut sk = SackState::new();
        sk.dsack_extend(s(10), s(20));
        assert_eq!(sk.dsack(), Some(b(10, 20)));
        sk.dsack_extend(s(20), s(30));
        assert_eq!(sk.dsack(), Some(b(10, 30)));
        // Not touching: unchanged.
        sk.dsack_extend(s(40), s(50));
        assert_eq!(sk.dsack(), Some(b(10, 30)));
        sk.dsack_set(s(40), s(50));
        assert_eq!(sk.dsack(), Some(b(40, 50)));
    }

    #[test]
    fn option_blocks_dsack_first_and_room() {
        let mut sk = SackState::new();
        for i in 0..4 {
            let _ = sk.new_ofo_skb(s(1000 * (i + 1)), s(1000 * (i + 1) + 100));
        }
        sk.dsack_set(s(10), s(20));
        // With timestamps: room 3, D-SACK + the two most recent.
        let got = sk.take_option_blocks(3);
        assert_eq!(got.as_slice(), &[b(10, 20), b(4000, 4100), b(3000, 3100)]);
        assert_eq!(sk.dsack(), None);
        // Next ACK: the SACK blocks only.
        let got = sk.take_option_blocks(4);
        assert_eq!(
            got.as_slice(),
            &[b(4000, 4100), b(3000, 3100), b(2000, 2100), b(1000, 1100)]
        );
        // No room: nothing written and the D-SACK stays.
        sk.dsack_set(s(10), s(20));
        assert!(sk.take_option_blocks(0).is_empty());
        assert_eq!(sk.dsack(), Some(b(10, 20)));
        // More room than blocks is fine.
        let mut e = SackState::new();
        assert!(e.take_option_blocks(9).is_empty());
    }

    #[test]
    fn ofo_insert_merge_and_dsack() {
        let mut q: OfoQueue<8> = OfoQueue::new();
        assert_eq!(
            q.insert(s(200), s(300), false),
            OfoInsert::Added { dsack: None }
        );
        assert_eq!(
            q.insert(s(400), s(500), false),
            OfoInsert::Added { dsack: None }
        );
        assert_eq!(
            q.insert(s(100), s(150), false),
            OfoInsert::Added { dsack: None }
        );
        assert_eq!(q.ranges(), &[r(100, 150), r(200, 300), r(400, 500)]);
        // Adjacent on the left: merged, no D-SACK.
        assert_eq!(
            q.insert(s(150), s(160), false),
            OfoInsert::Added { dsack: None }
        );
        assert_eq!(q.ranges(), &[r(100, 160), r(200, 300), r(400, 500)]);
        // Inside: duplicate.
        assert_eq!(q.insert(s(210), s(300), false), OfoInsert::Duplicate);
        // Partial overlap: D-SACK is the overlap.
        assert_eq!(
            q.insert(s(250), s(350), false),
            OfoInsert::Added {
                dsack: Some(b(250, 300))
            }
        );
        assert_eq!(q.ranges(), &[r(100, 160), r(200, 350), r(400, 500)]);
        // Bridging everything: D-SACK names the first overlap only.
        assert_eq!(
            q.insert(s(140), s(450), false),
            OfoInsert::Added {
                dsack: Some(b(140, 160))
            }
        );
        assert_eq!(q.ranges(), &[r(100, 500)]);
        assert_eq!(q.queued_len(), 400);
        // Starting before and covering: D-SACK the covered range.
        let mut q: OfoQueue<4> = OfoQueue::new();
        let _ = q.insert(s(10), s(20), false);
        assert_eq!(
            q.insert(s(5), s(25), false),
            OfoInsert::Added {
                dsack: Some(b(10, 20))
            }
        );
        assert_eq!(q.ranges(), &[r(5, 25)]);
        assert_eq!(q.insert(s(7), s(7), false), OfoInsert::Empty);
    }

    #[test]
    fn ofo_fin_flag() {
        let mut q: OfoQueue<4> = OfoQueue::new();
        let _ = q.insert(s(100), s(201), true);
        assert!(q.ranges()[0].fin);
        // Data before it merges and keeps the FIN at the end.
        let _ = q.insert(s(50), s(100), false);
        assert_eq!(
            q.ranges(),
            &[OfoRange {
                start: s(50),
                end: s(201),
                fin: true
            }]
        );
        // A retransmitted FIN segment ending at the same place: duplicate.
        assert_eq!(q.insert(s(150), s(201), true), OfoInsert::Duplicate);
    }

    #[test]
    fn ofo_make_room_prunes_tail() {
        let mut q: OfoQueue<2> = OfoQueue::new();
        let _ = q.insert(s(100), s(200), false);
        let _ = q.insert(s(300), s(400), false);
        // Merges: fits.
        assert_eq!(q.make_room(s(200), s(250)), MakeRoom::Fits);
        // Would land last: no room.
        assert_eq!(q.make_room(s(500), s(600)), MakeRoom::NoRoom);
        assert_eq!(q.make_room(s(301), s(302)), MakeRoom::Fits);
        assert_eq!(q.insert(s(500), s(600), false), OfoInsert::NoRoom);
        // Lands before the last range: the last is pruned.
        assert_eq!(q.make_room(s(250), s(260)), MakeRoom::Pruned(r(300, 400)));
        assert_eq!(
            q.insert(s(250), s(260), false),
            OfoInsert::Added { dsack: None }
        );
        assert_eq!(q.ranges(), &[r(100, 200), r(250, 260)]);
        // Zero capacity never panics.
        let mut z: OfoQueue<0> = OfoQueue::new();
        assert_eq!(z.make_room(s(1), s(2)), MakeRoom::NoRoom);
        assert_eq!(z.insert(s(1), s(2), false), OfoInsert::NoRoom);
        assert_eq!(z.drain(s(1), |_, _| {}), (s(1), false));
    }

    #[test]
    fn ofo_drain() {
        let mut q: OfoQueue<8> = OfoQueue::new();
        let _ = q.insert(s(50), s(60), false);
        let _ = q.insert(s(70), s(80), false);
        let _ = q.insert(s(90), s(120), false);
        let _ = q.insert(s(200), s(210), false);
        let mut dups = [b(0, 0); 4];
        let mut n = 0;
        // An in-order segment reached 100: [50,60) and [70,80) were in it,
        // [90,120) partly.
        let got = q.drain(s(100), |a, e| {
            dups[n] = (a, e);
            n += 1;
        });
        assert_eq!(got, (s(120), false));
        assert_eq!(&dups[..n], &[b(50, 60), b(70, 80), b(90, 100)]);
        assert_eq!(q.ranges(), &[r(200, 210)]);
        // A gap stops it.
        assert_eq!(q.drain(s(199), |_, _| panic!()), (s(199), false));
        // FIN: stops and purges the rest.
        let mut q: OfoQueue<8> = OfoQueue::new();
        let _ = q.insert(s(10), s(21), true);
        let _ = q.insert(s(30), s(40), false);
        assert_eq!(q.drain(s(10), |_, _| panic!()), (s(21), true));
        assert!(q.is_empty());
    }

    type R = Reassembly<8>;

    #[test]
    fn in_order_and_old() {
        let mut q = R::new(true, true);
        let got = q.data_queue(s(1000), 64000, s(1000), 100, false);
        assert_eq!(
            got,
            DataQueue::InOrder(InOrder {
                skip: 0,
                data: true,
                rcv_nxt: s(1100),
                fin: false,
                gap_filled: false
            })
        );
        // Pure ACK: nothing, D-SACK untouched.
        q.sack.dsack_set(s(1), s(2));
        assert_eq!(
            q.data_queue(s(1100), 64000, s(1100), 0, false),
            DataQueue::Empty
        );
        assert_eq!(q.sack.dsack(), Some(b(1, 2)));
        // Entirely old: D-SACK it.
        assert_eq!(
            q.data_queue(s(1100), 64000, s(1000), 100, false),
            DataQueue::OldData
        );
        assert_eq!(q.sack.dsack(), Some(b(1000, 1100)));
        // Without SACK (or without tcp_dsack) no D-SACK.
        let mut q = R::new(false, true);
        assert_eq!(
            q.data_queue(s(1100), 64000, s(1000), 100, false),
            DataQueue::OldData
        );
        assert_eq!(q.sack.dsack(), None);
        let mut q = R::new(true, false);
        assert_eq!(
            q.data_queue(s(1100), 64000, s(1000), 100, false),
            DataQueue::OldData
        );
        assert_eq!(q.sack.dsack(), None);
    }

    #[test]
    fn partial_segment_is_trimmed() {
        let mut q = R::new(true, true);
        let got = q.data_queue(s(1100), 64000, s(1000), 300, false);
        assert_eq!(
            got,
            DataQueue::InOrder(InOrder {
                skip: 100,
                data: true,
                rcv_nxt: s(1300),
                fin: false,
                gap_filled: false
            })
        );
        assert_eq!(q.sack.dsack(), Some(b(1000, 1100)));
        // Closed window: the D-SACK is still recorded, the rest dropped.
        let mut q = R::new(true, true);
        assert_eq!(
            q.data_queue(s(1100), 0, s(1000), 300, false),
            DataQueue::OutOfWindow { zero_window: true }
        );
        assert_eq!(q.sack.dsack(), Some(b(1000, 1100)));
        // Old data plus a new FIN.
        let mut q = R::new(true, true);
        let got = q.data_queue(s(1100), 100, s(1000), 100, true);
        assert_eq!(
            got,
            DataQueue::InOrder(InOrder {
                skip: 100,
                data: true,
                rcv_nxt: s(1101),
                fin: true,
                gap_filled: false
            })
        );
    }

    #[test]
    fn window_edges() {
        let mut q = R::new(true, true);
        // Zero window: data at rcv_nxt dropped, a bare FIN accepted.
        assert_eq!(
            q.data_queue(s(500), 0, s(500), 10, false),
            DataQueue::OutOfWindow { zero_window: true }
        );
        assert_eq!(
            q.data_queue(s(500), 0, s(500), 10, true),
            DataQueue::OutOfWindow { zero_window: true }
        );
        assert_eq!(
            q.data_queue(s(500), 0, s(500), 0, true),
            DataQueue::InOrder(InOrder {
                skip: 0,
                data: false,
                rcv_nxt: s(501),
                fin: true,
                gap_filled: false
            })
        );
        // Beginning at the right edge or beyond: out of window.
        let mut q = R::new(true, true);
        assert_eq!(
            q.data_queue(s(500), 1000, s(1500), 1, false),
            DataQueue::OutOfWindow { zero_window: false }
        );
        // Just inside the edge: queued out of order, even when it extends
        // beyond the window.
        assert!(matches!(
            q.data_queue(s(500), 1000, s(1499), 100, false),
            DataQueue::OutOfOrder { .. }
        ));
        assert_eq!(q.ofo.ranges(), &[r(1499, 1599)]);
    }

    #[test]
    fn out_of_order_then_fill() {
        let mut q = R::new(true, true);
        let nxt = s(1000);
        assert_eq!(
            q.data_queue(nxt, 64000, s(1200), 100, false),
            DataQueue::OutOfOrder {
                duplicate: false,
                pruned: None,
                flush_compressed_ack: false
            }
        );
        assert_eq!(q.sack.blocks(), &[b(1200, 1300)]);
        assert_eq!(q.max_sack(), Some(s(1300)));
        let _ = q.data_queue(nxt, 64000, s(1400), 100, false);
        assert_eq!(q.sack.blocks(), &[b(1400, 1500), b(1200, 1300)]);
        // Duplicate of queued data: D-SACK and the block moves first.
        assert_eq!(
            q.data_queue(nxt, 64000, s(1200), 50, false),
            DataQueue::OutOfOrder {
                duplicate: true,
                pruned: None,
                flush_compressed_ack: false
            }
        );
        assert_eq!(q.sack.dsack(), Some(b(1200, 1250)));
        assert_eq!(q.sack.blocks(), &[b(1200, 1300), b(1400, 1500)]);
        // The hole [1000, 1200) arrives: rcv_nxt jumps to 1300, one hole left.
        let got = q.data_queue(nxt, 64000, s(1000), 200, false);
        assert_eq!(
            got,
            DataQueue::InOrder(InOrder {
                skip: 0,
                data: true,
                rcv_nxt: s(1300),
                fin: false,
                gap_filled: false
            })
        );
        // The new segment cleared the old D-SACK; the SACK for [1200,1300)
        // is gone.
        assert_eq!(q.sack.dsack(), None);
        assert_eq!(q.sack.blocks(), &[b(1400, 1500)]);
        // Fill the last hole with overlap into the queued range.
        let got = q.data_queue(s(1300), 64000, s(1300), 150, false);
        assert_eq!(
            got,
            DataQueue::InOrder(InOrder {
                skip: 0,
                data: true,
                rcv_nxt: s(1500),
                fin: false,
                gap_filled: true
            })
        );
        assert_eq!(q.sack.dsack(), Some(b(1400, 1450)));
        assert_eq!(q.sack.num_sacks(), 0);
        assert!(q.ofo.is_empty());
    }

    #[test]
    fn ofo_fin_reached() {
        let mut q = R::new(true, true);
        // Data and FIN out of order, then the hole.
        let _ = q.data_queue(s(0), 64000, s(100), 50, true);
        assert_eq!(
            q.ofo.ranges(),
            &[OfoRange {
                start: s(100),
                end: s(151),
                fin: true
            }]
        );
        let got = q.data_queue(s(0), 64000, s(0), 100, false);
        assert_eq!(
            got,
            DataQueue::InOrder(InOrder {
                skip: 0,
                data: true,
                rcv_nxt: s(151),
                fin: true,
                gap_filled: true
            })
        );
        assert_eq!(q.sack.num_sacks(), 0);
        // An in-order FIN purges what is queued beyond it.
        let mut q = R::new(true, true);
        let _ = q.data_queue(s(0), 64000, s(500), 50, false);
        let got = q.data_queue(s(0), 64000, s(0), 10, true);
        assert_eq!(
            got,
            DataQueue::InOrder(InOrder {
                skip: 0,
                data: true,
                rcv_nxt: s(11),
                fin: true,
                gap_filled: false
            })
        );
        assert!(q.ofo.is_empty());
        assert_eq!(q.sack.num_sacks(), 0);
    }

    #[test]
    fn ofo_full_prune_and_drop() {
        let mut q: Reassembly<2> = Reassembly::new(true, true);
        let _ = q.data_queue(s(0), 64000, s(100), 10, false);
        let _ = q.data_queue(s(0), 64000, s(300), 10, false);
        // Lands last: dropped, SACK untouched.
        assert_eq!(
            q.data_queue(s(0), 64000, s(500), 10, false),
            DataQueue::OfoDropped
        );
        assert_eq!(q.sack.blocks(), &[b(300, 310), b(100, 110)]);
        // Lands in between: [300, 310) pruned, SACK reset then rebuilt.
        assert_eq!(
            q.data_queue(s(0), 64000, s(200), 10, false),
            DataQueue::OutOfOrder {
                duplicate: false,
                pruned: Some(r(300, 310)),
                flush_compressed_ack: false
            }
        );
        assert_eq!(q.ofo.ranges(), &[r(100, 110), r(200, 210)]);
        assert_eq!(q.sack.blocks(), &[b(200, 210)]);
        // Capacity 1, pruning empties the queue: the "first segment" path.
        let mut q: Reassembly<1> = Reassembly::new(true, true);
        let _ = q.data_queue(s(0), 64000, s(300), 10, false);
        assert!(matches!(
            q.data_queue(s(0), 64000, s(100), 10, false),
            DataQueue::OutOfOrder {
                pruned: Some(_),
                ..
            }
        ));
        assert_eq!(q.ofo.ranges(), &[r(100, 110)]);
        assert_eq!(q.sack.blocks(), &[b(100, 110)]);
    }

    #[test]
    fn dupack_dsack_and_wrap() {
        let mut q = R::new(true, true);
        assert!(q.send_dupack(s(1000), s(900), s(1100)));
        assert_eq!(q.sack.dsack(), Some(b(900, 1000)));
        assert!(!q.send_dupack(s(1000), s(1000), s(1100)));
        assert!(!q.send_dupack(s(1000), s(900), s(900)));
        // Around the wrap.
        let mut q = R::new(true, true);
        let nxt = s(u32::MAX - 49);
        let _ = q.data_queue(nxt, 64000, s(50), 50, false);
        let got = q.data_queue(nxt, 64000, nxt, 100, false);
        assert_eq!(
            got,
            DataQueue::InOrder(InOrder {
                skip: 0,
                data: true,
                rcv_nxt: s(100),
                fin: false,
                gap_filled: true
            })
        );
    }

    #[test]
    fn compressed_ack_flush_hint() {
        let mut q = R::new(true, true);
        let nxt = s(0);
        for (i, want) in [(1u32, false), (3, false), (5, true), (7, true)] {
            let got = q.data_queue(nxt, 64000, s(i * 100), 10, false);
            assert_eq!(
                got,
                DataQueue::OutOfOrder {
                    duplicate: false,
                    pruned: None,
                    flush_compressed_ack: want
                },
                "segment {i}"
            );
        }
        // Without SACK never.
        let mut q = R::new(false, true);
        for i in 1..6 {
            assert!(matches!(
                q.data_queue(nxt, 64000, s(i * 100), 10, false),
                DataQueue::OutOfOrder {
                    flush_compressed_ack: false,
                    ..
                }
            ));
        }
        assert_eq!(q.sack.num_sacks(), 0);
        assert_eq!(q.max_sack(), None);
    }
}
