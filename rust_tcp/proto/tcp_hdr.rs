// SPDX-License-Identifier: GPL-2.0

//! TCP header wire format: parsing into a borrowed [`TcpSegment`] view and
//! emitting a [`TcpRepr`] (header, options, payload, checksum) into a buffer.
//!
//! # Options on input
//!
//! [`parse_options`] walks the option area the way Linux's
//! `tcp_parse_options()` does: EOL ends the list, NOP is skipped, every
//! other kind must carry a length byte that is at least 2 and fits in the
//! remaining option space. Unlike Linux, which silently stops parsing at
//! such a malformed option, we report [`ParseError::BadOption`] and the
//! caller should drop the segment.
//!
//! Known options whose length is wrong are skipped as Linux skips them (e.g.
//! an MSS option whose length is not 4), as are unknown kinds. When an
//! option appears more than once the last well-formed instance wins, as in
//! Linux.
//!
//! Every option is reported whenever it is present, **regardless of the SYN
//! flag or connection state**. Linux additionally ignores MSS, window scale
//! and SACK-permitted outside a SYN, an MSS of 0, timestamps that were not
//! negotiated and SACK blocks when SACK was not negotiated; those decisions
//! belong to the caller, which knows the state. The one value we adjust is
//! the window scale, clamped to [`MAX_WSCALE`] as Linux does, with
//! [`TcpOptions::wscale_clamped`] telling that it happened.
//!
//! # Options on output
//!
//! [`emit`] lays options out exactly like Linux 6.12's `tcp_options_write()`
//! (without MD5/AO/Fast Open/SMC/MPTCP), every option padded to 32 bits:
//!
//! | option              | bytes                                       |
//! |---------------------|---------------------------------------------|
//! | MSS                 | `02 04 mss mss`                             |
//! | timestamps + SACK-ok| `04 02 08 0a tsval tsecr`                   |
//! | timestamps          | `01 01 08 0a tsval tsecr`                   |
//! | SACK-ok without TS  | `01 01 04 02`                               |
//! | window scale        | `01 03 03 ws`                               |
//! | SACK blocks         | `01 01 05 len (start end)*`                 |
//!
//! Because every entry is a multiple of 4 bytes no trailing padding is ever
//! needed.

use super::checksum::{tcp_v4_pseudo_header, Checksum};
use super::seq::SeqNum;
use core::ops::{BitAnd, BitOr, BitOrAssign};

/// Length of the fixed TCP header, without options.
pub const HEADER_LEN: usize = 20;
/// Largest possible TCP header (data offset 15).
pub const MAX_HEADER_LEN: usize = 60;
/// Largest possible option area.
pub const MAX_OPTIONS_LEN: usize = MAX_HEADER_LEN - HEADER_LEN;
/// Largest window scale shift allowed by RFC 7323 (Linux `TCP_MAX_WSCALE`).
pub const MAX_WSCALE: u8 = 14;
/// Most SACK blocks that fit in the option area.
pub const MAX_SACK_BLOCKS: usize = 4;
/// Largest TCP segment (header + payload) whose length the 16-bit IPv4
/// pseudo-header length field can express.
pub const MAX_SEGMENT_LEN: usize = u16::MAX as usize;

/// Option kind: end of option list.
pub const OPT_EOL: u8 = 0;
/// Option kind: no-operation (padding).
pub const OPT_NOP: u8 = 1;
/// Option kind: maximum segment size (length 4).
pub const OPT_MSS: u8 = 2;
/// Option kind: window scale (length 3).
pub const OPT_WINDOW: u8 = 3;
/// Option kind: SACK permitted (length 2).
pub const OPT_SACK_PERM: u8 = 4;
/// Option kind: SACK blocks (length 2 + 8 * n).
pub const OPT_SACK: u8 = 5;
/// Option kind: timestamps (length 10).
pub const OPT_TIMESTAMP: u8 = 8;

/// The eight TCP control bits, as in byte 13 of the header.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// No more data from sender.
    pub const FIN: Self = Self(0x01);
    /// Synchronize sequence numbers.
    pub const SYN: Self = Self(0x02);
    /// Reset the connection.
    pub const RST: Self = Self(0x04);
    /// Push function.
    pub const PSH: Self = Self(0x08);
    /// Acknowledgment field is significant.
    pub const ACK: Self = Self(0x10);
    /// Urgent pointer field is significant.
    pub const URG: Self = Self(0x20);
    /// ECN echo.
    pub const ECE: Self = Self(0x40);
    /// Congestion window reduced.
    pub const CWR: Self = Self(0x80);

    /// No flag set.
    #[inline]
    pub const fn empty() -> Self {
        Self(0)
    }

    /// The raw flag byte.
    #[inline]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// True when every flag of `other` is set in `self`.
    #[inline]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when at least one flag of `other` is set in `self`.
    #[inline]
    pub const fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// Flags set in either.
    #[inline]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Flags of `self` that are not in `other`.
    #[inline]
    pub const fn difference(self, other: Self) -> Self {
        Self(self.0 & !other.0)
    }

    /// True when no flag is set.
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl BitOr for TcpFlags {
    type Output = Self;

    #[inline]
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

impl BitOrAssign for TcpFlags {
    #[inline]
    fn bitor_assign(&mut self, rhs: Self) {
        *self = self.union(rhs);
    }
}

impl BitAnd for TcpFlags {
    type Output = Self;

    #[inline]
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

/// Up to [`MAX_SACK_BLOCKS`] SACK blocks `(start, end)`, stored inline.
///
/// Equality compares only the blocks in use.
#[derive(Clone, Copy, Debug, Default)]
pub struct SackBlocks {
    blocks: [(SeqNum, SeqNum); MAX_SACK_BLOCKS],
    /// Number of blocks in use; never above `MAX_SACK_BLOCKS`.
    len: usize,
}

impl SackBlocks {
    /// No blocks.
    #[inline]
    pub const fn new() -> Self {
        Self {
            blocks: [(SeqNum(0), SeqNum(0)); MAX_SACK_BLOCKS],
            len: 0,
        }
    }

    /// The given blocks, or `None` if there are more than
    /// [`MAX_SACK_BLOCKS`].
    pub fn from_slice(blocks: &[(SeqNum, SeqNum)]) -> Option<Self> {
        let mut s = Self::new();
        for &b in blocks {
            if !s.push(b) {
                return None;
            }
        }
        Some(s)
    }

    /// Appends a block; returns `false` (and changes nothing) when full.
    #[must_use]
    pub fn push(&mut self, block: (SeqNum, SeqNum)) -> bool {
        match self.blocks.get_mut(self.len) {
            Some(slot) => {
                *slot = block;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Removes all blocks.
    #[inline]
    pub fn clear(&mut self) {
        *self = Self::new();
    }

    /// Keeps only the first `n` blocks.
    #[inline]
    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    /// Number of blocks.
    #[inline]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True when there are no blocks.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The blocks in use.
    #[inline]
    pub fn as_slice(&self) -> &[(SeqNum, SeqNum)] {
        self.blocks.get(..self.len).unwrap_or(&[])
    }
}

impl PartialEq for SackBlocks {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SackBlocks {}

/// The TCP options this implementation understands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpOptions {
    /// Maximum segment size (kind 2). Reported as received, even 0.
    pub mss: Option<u16>,
    /// Window scale shift (kind 3). On parse, values above [`MAX_WSCALE`]
    /// are clamped to it; on emit the value is written as given.
    pub wscale: Option<u8>,
    /// Set by parsing when the received window scale exceeded
    /// [`MAX_WSCALE`] and was clamped (Linux logs this). Ignored by emit.
    pub wscale_clamped: bool,
    /// SACK permitted (kind 4).
    pub sack_perm: bool,
    /// Timestamps (kind 8) as `(tsval, tsecr)`.
    pub timestamp: Option<(u32, u32)>,
    /// SACK blocks (kind 5).
    pub sack_blocks: SackBlocks,
}

impl TcpOptions {
    /// No options.
    #[inline]
    pub const fn new() -> Self {
        Self {
            mss: None,
            wscale: None,
            wscale_clamped: false,
            sack_perm: false,
            timestamp: None,
            sack_blocks: SackBlocks::new(),
        }
    }

    /// Bytes taken by every option except SACK blocks, in Linux's layout.
    const fn fixed_len(&self) -> usize {
        let mut n = 0;
        if self.mss.is_some() {
            n += 4;
        }
        if self.timestamp.is_some() {
            // SACK-permitted, if any, shares the timestamp's padding word.
            n += 12;
        } else if self.sack_perm {
            n += 4;
        }
        if self.wscale.is_some() {
            n += 4;
        }
        n
    }

    /// Bytes these options take on the wire in Linux's layout (always a
    /// multiple of 4; may exceed [`MAX_OPTIONS_LEN`], which emit rejects).
    pub const fn wire_len(&self) -> usize {
        let sack = if self.sack_blocks.is_empty() {
            0
        } else {
            4 + 8 * self.sack_blocks.len()
        };
        self.fixed_len() + sack
    }

    /// How many SACK blocks fit in the option area next to the other
    /// options set here (Linux: 4 without timestamps, 3 with).
    pub const fn sack_room(&self) -> usize {
        let free = MAX_OPTIONS_LEN.saturating_sub(self.fixed_len());
        let n = free.saturating_sub(4) / 8;
        if n < MAX_SACK_BLOCKS {
            n
        } else {
            MAX_SACK_BLOCKS
        }
    }
}

/// Why a byte slice is not a well-formed TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Shorter than 20 bytes, or shorter than its data offset says.
    Truncated,
    /// Data offset below 5 (header shorter than the fixed part).
    BadDataOffset,
    /// An option without a length byte, with a length below 2, or running
    /// past the end of the option area.
    BadOption,
}

/// Why a [`TcpRepr`] could not be emitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmitError {
    /// The options need more than [`MAX_OPTIONS_LEN`] bytes.
    OptionsTooLong,
    /// Header plus payload exceed [`MAX_SEGMENT_LEN`].
    SegmentTooLong,
    /// The output buffer is too small for what must be written.
    BufferTooSmall,
}

/// A parsed TCP segment borrowing its payload from the input bytes.
///
/// The checksum is *not* verified by [`parse`] (it needs the IP addresses);
/// use [`super::checksum::tcp_v4_verify`] on the same bytes. Fields are
/// reported as on the wire whatever the flags say (e.g. `ack` even without
/// ACK). The four reserved bits of byte 12 (including AccECN's AE) are
/// ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: SeqNum,
    /// Acknowledgment number.
    pub ack: SeqNum,
    /// Control bits.
    pub flags: TcpFlags,
    /// Window, unscaled.
    pub window: u16,
    /// Checksum field as received.
    pub checksum: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// Header length in bytes (data offset * 4), 20..=60.
    pub header_len: usize,
    /// Parsed options.
    pub options: TcpOptions,
    /// Everything after the header.
    pub payload: &'a [u8],
}

impl TcpSegment<'_> {
    /// The representation of this segment's header, e.g. to re-emit it.
    pub fn repr(&self) -> TcpRepr {
        TcpRepr {
            src_port: self.src_port,
            dst_port: self.dst_port,
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            window: self.window,
            urgent: self.urgent,
            options: self.options,
        }
    }

    /// Sequence space the segment occupies (RFC 9293 SEG.LEN): payload
    /// length plus one each for SYN and FIN.
    pub fn seq_len(&self) -> usize {
        // A slice of bytes is at most isize::MAX long, so this cannot wrap.
        self.payload.len()
            + usize::from(self.flags.contains(TcpFlags::SYN))
            + usize::from(self.flags.contains(TcpFlags::FIN))
    }
}

/// Everything needed to build a TCP header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpRepr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: SeqNum,
    /// Acknowledgment number (written as given, even without ACK).
    pub ack: SeqNum,
    /// Control bits.
    pub flags: TcpFlags,
    /// Window, already scaled down by the caller.
    pub window: u16,
    /// Urgent pointer.
    pub urgent: u16,
    /// Options to write.
    pub options: TcpOptions,
}

impl TcpRepr {
    /// Bytes of options [`emit`] writes (see [`TcpOptions::wire_len`]).
    #[inline]
    pub const fn options_len(&self) -> usize {
        self.options.wire_len()
    }

    /// Header length [`emit`] writes: 20 plus options; the data offset is
    /// this divided by 4. Above [`MAX_HEADER_LEN`] emit fails.
    #[inline]
    pub const fn header_len(&self) -> usize {
        HEADER_LEN + self.options_len()
    }
}

/// Parses a TCP segment (header + payload) without verifying its checksum.
///
/// Fails with [`ParseError::Truncated`] when `bytes` is shorter than 20 or
/// than the data offset claims, [`ParseError::BadDataOffset`] when the data
/// offset is below 5 and [`ParseError::BadOption`] for a malformed option
/// list (see the module documentation).
pub fn parse(bytes: &[u8]) -> Result<TcpSegment<'_>, ParseError> {
    let h: &[u8; HEADER_LEN] = bytes
        .get(..HEADER_LEN)
        .and_then(|s| s.try_into().ok())
        .ok_or(ParseError::Truncated)?;

    let doff = h[12] >> 4;
    if doff < 5 {
        return Err(ParseError::BadDataOffset);
    }
    let header_len = usize::from(doff) * 4;
    let option_area = bytes
        .get(HEADER_LEN..header_len)
        .ok_or(ParseError::Truncated)?;
    let payload = bytes.get(header_len..).ok_or(ParseError::Truncated)?;
    let options = parse_options(option_area)?;

    Ok(TcpSegment {
        src_port: u16::from_be_bytes([h[0], h[1]]),
        dst_port: u16::from_be_bytes([h[2], h[3]]),
        seq: SeqNum(u32::from_be_bytes([h[4], h[5], h[6], h[7]])),
        ack: SeqNum(u32::from_be_bytes([h[8], h[9], h[10], h[11]])),
        flags: TcpFlags(h[13]),
        window: u16::from_be_bytes([h[14], h[15]]),
        checksum: u16::from_be_bytes([h[16], h[17]]),
        urgent: u16::from_be_bytes([h[18], h[19]]),
        header_len,
        options,
        payload,
    })
}

/// Parses an option area (the bytes between the fixed header and the data
/// offset), following Linux's `tcp_parse_options()`; see the module
/// documentation for what is reported and what is rejected.
pub fn parse_options(area: &[u8]) -> Result<TcpOptions, ParseError> {
    let mut opts = TcpOptions::new();
    let mut rest = area;
    loop {
        match rest {
            [] | [OPT_EOL, ..] => return Ok(opts),
            [OPT_NOP, tail @ ..] => rest = tail,
            [kind, len, ..] => {
                let len = usize::from(*len);
                if len < 2 {
                    return Err(ParseError::BadOption);
                }
                let option = rest.get(..len).ok_or(ParseError::BadOption)?;
                let data = option.get(2..).unwrap_or(&[]);
                apply_option(&mut opts, *kind, data);
                rest = rest.get(len..).unwrap_or(&[]);
            }
            // A kind byte with no room left for its length byte.
            [_] => return Err(ParseError::BadOption),
        }
    }
}

/// Records one option given its kind and the bytes after the length byte;
/// a known kind with an unexpected length is ignored, as in Linux.
fn apply_option(opts: &mut TcpOptions, kind: u8, data: &[u8]) {
    match (kind, data) {
        (OPT_MSS, &[a, b]) => opts.mss = Some(u16::from_be_bytes([a, b])),
        (OPT_WINDOW, &[ws]) => {
            opts.wscale = Some(ws.min(MAX_WSCALE));
            opts.wscale_clamped = ws > MAX_WSCALE;
        }
        (OPT_SACK_PERM, &[]) => opts.sack_perm = true,
        (OPT_TIMESTAMP, &[a, b, c, d, e, f, g, h]) => {
            opts.timestamp = Some((
                u32::from_be_bytes([a, b, c, d]),
                u32::from_be_bytes([e, f, g, h]),
            ));
        }
        (OPT_SACK, blocks) if !blocks.is_empty() && blocks.len() % 8 == 0 => {
            // At most 38 option bytes follow a length byte, so at most
            // MAX_SACK_BLOCKS blocks: push cannot fail, and if it somehow
            // did, dropping extra blocks is what Linux does too.
            let mut sack = SackBlocks::new();
            let mut rest = blocks;
            while let &[a, b, c, d, e, f, g, h, ref tail @ ..] = rest {
                let start = SeqNum(u32::from_be_bytes([a, b, c, d]));
                let end = SeqNum(u32::from_be_bytes([e, f, g, h]));
                if !sack.push((start, end)) {
                    break;
                }
                rest = tail;
            }
            opts.sack_blocks = sack;
        }
        _ => {}
    }
}

/// Sequential writer over a byte slice that fails instead of panicking.
struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), EmitError> {
        let end = self
            .pos
            .checked_add(bytes.len())
            .ok_or(EmitError::BufferTooSmall)?;
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(EmitError::BufferTooSmall)?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }
}

/// Writes the options in Linux's order and layout (see module docs).
fn write_options(w: &mut Writer<'_>, o: &TcpOptions) -> Result<(), EmitError> {
    if let Some(mss) = o.mss {
        w.put(&[OPT_MSS, 4])?;
        w.put(&mss.to_be_bytes())?;
    }
    if let Some((tsval, tsecr)) = o.timestamp {
        if o.sack_perm {
            w.put(&[OPT_SACK_PERM, 2, OPT_TIMESTAMP, 10])?;
        } else {
            w.put(&[OPT_NOP, OPT_NOP, OPT_TIMESTAMP, 10])?;
        }
        w.put(&tsval.to_be_bytes())?;
        w.put(&tsecr.to_be_bytes())?;
    } else if o.sack_perm {
        w.put(&[OPT_NOP, OPT_NOP, OPT_SACK_PERM, 2])?;
    }
    if let Some(ws) = o.wscale {
        w.put(&[OPT_NOP, OPT_WINDOW, 3, ws])?;
    }
    let blocks = o.sack_blocks.as_slice();
    if !blocks.is_empty() {
        // len <= MAX_SACK_BLOCKS, so 2 + 8 * len <= 34 fits in a byte.
        let len = (2 + 8 * blocks.len()) as u8;
        w.put(&[OPT_NOP, OPT_NOP, OPT_SACK, len])?;
        for (start, end) in blocks {
            w.put(&start.0.to_be_bytes())?;
            w.put(&end.0.to_be_bytes())?;
        }
    }
    Ok(())
}

/// Checks sizes for a segment with `payload_len` bytes of payload and
/// returns `(header_len, total_len)`.
fn layout(repr: &TcpRepr, payload_len: usize) -> Result<(usize, usize), EmitError> {
    if repr.options_len() > MAX_OPTIONS_LEN {
        return Err(EmitError::OptionsTooLong);
    }
    let header_len = repr.header_len();
    let total = header_len
        .checked_add(payload_len)
        .filter(|&t| t <= MAX_SEGMENT_LEN)
        .ok_or(EmitError::SegmentTooLong)?;
    Ok((header_len, total))
}

/// Writes only the header (with options) of a segment whose payload the
/// caller places elsewhere, and returns the header length.
///
/// `payload_sum` is the [`Checksum`] of the payload bytes (e.g.
/// `Checksum::of(payload)`, or accumulated over several fragments) and
/// `payload_len` their count; the checksum written covers pseudo-header,
/// header and payload. `buf` must hold at least [`TcpRepr::header_len`]
/// bytes; nothing is written when an error is returned.
pub fn emit_header(
    repr: &TcpRepr,
    saddr: [u8; 4],
    daddr: [u8; 4],
    payload_len: usize,
    payload_sum: &Checksum,
    buf: &mut [u8],
) -> Result<usize, EmitError> {
    let (hdr, total) = write_header(repr, payload_len, buf)?;
    let header_len = hdr.len();
    // total <= MAX_SEGMENT_LEN, so it fits in u32.
    let mut sum = tcp_v4_pseudo_header(saddr, daddr, total as u32);
    sum.add_bytes(hdr);
    sum.append(payload_sum);
    if let Some([hi, lo]) = hdr.get_mut(16..18) {
        [*hi, *lo] = sum.finish().to_be_bytes();
    }
    Ok(header_len)
}

/// Writes the header (with options) of a segment whose checksum the
/// device or the stack completes (`CHECKSUM_PARTIAL`, as
/// `__tcp_v4_send_check()` leaves it): the checksum field holds the folded
/// pseudo-header sum over `payload_len` payload bytes, not complemented;
/// summing header and payload over it and complementing gives the real
/// checksum. For a GSO packet `payload_len` is all of its payload (the
/// segmentation corrects each segment's field). Returns the header length.
pub fn emit_header_partial(
    repr: &TcpRepr,
    saddr: [u8; 4],
    daddr: [u8; 4],
    payload_len: usize,
    buf: &mut [u8],
) -> Result<usize, EmitError> {
    let (hdr, total) = write_header(repr, payload_len, buf)?;
    let header_len = hdr.len();
    let pseudo = tcp_v4_pseudo_header(saddr, daddr, total as u32);
    if let Some([hi, lo]) = hdr.get_mut(16..18) {
        [*hi, *lo] = pseudo.fold().to_be_bytes();
    }
    Ok(header_len)
}

/// The header bytes with a zero checksum field, and the segment's total
/// length.
fn write_header<'b>(repr: &TcpRepr, payload_len: usize, buf: &'b mut [u8]) -> Result<(&'b mut [u8], usize), EmitError> {
    let (header_len, total) = layout(repr, payload_len)?;
    let hdr = buf.get_mut(..header_len).ok_or(EmitError::BufferTooSmall)?;

    let mut w = Writer { buf: hdr, pos: 0 };
    w.put(&repr.src_port.to_be_bytes())?;
    w.put(&repr.dst_port.to_be_bytes())?;
    w.put(&repr.seq.0.to_be_bytes())?;
    w.put(&repr.ack.0.to_be_bytes())?;
    // header_len <= 60, so the data offset fits in the top nibble.
    let doff = (header_len / 4) as u8;
    w.put(&[doff << 4, repr.flags.0])?;
    w.put(&repr.window.to_be_bytes())?;
    w.put(&[0, 0])?; // checksum, filled in below
    w.put(&repr.urgent.to_be_bytes())?;
    write_options(&mut w, &repr.options)?;
    Ok((w.buf, total))
}

/// Writes a complete segment (header, options, payload, checksum) from
/// `saddr` to `daddr` (network order) into the start of `buf` and returns
/// its length. Nothing is written when an error is returned.
pub fn emit(
    repr: &TcpRepr,
    saddr: [u8; 4],
    daddr: [u8; 4],
    payload: &[u8],
    buf: &mut [u8],
) -> Result<usize, EmitError> {
    let (header_len, total) = layout(repr, payload.len())?;
    let dst = buf
        .get_mut(header_len..total)
        .ok_or(EmitError::BufferTooSmall)?;
    dst.copy_from_slice(payload);
    emit_header(
        repr,
        saddr,
        daddr,
        payload.len(),
        &Checksum::of(payload),
        buf,
    )?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::checksum::tcp_v4_verify;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    const A: [u8; 4] = [192, 0, 2, 1];
    const B: [u8; 4] = [198, 51, 100, 7];

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    fn syn_repr() -> TcpRepr {
        TcpRepr {
            src_port: 40000,
            dst_port: 80,
            seq: SeqNum(0x1234_5678),
            ack: SeqNum(0),
            flags: TcpFlags::SYN,
            window: 64240,
            urgent: 0,
            options: TcpOptions {
                mss: Some(1460),
                wscale: Some(7),
                sack_perm: true,
                timestamp: Some((0xdead_beef, 0)),
                ..TcpOptions::new()
            },
        }
    }

    /// A header with the given option area (length must be a multiple of 4).
    fn with_options(area: &[u8]) -> Vec<u8> {
        let mut v = vec![0u8; HEADER_LEN];
        v[12] = (((HEADER_LEN + area.len()) / 4) as u8) << 4;
        v.extend_from_slice(area);
        v
    }

    #[test]
    fn linux_syn_option_bytes() {
        let repr = syn_repr();
        assert_eq!(repr.header_len(), 40);
        assert_eq!(repr.options_len(), 20);
        let mut buf = [0u8; 64];
        let n = emit(&repr, A, B, &[], &mut buf).unwrap();
        assert_eq!(n, 40);
        assert_eq!(buf[12] >> 4, 10, "doff");
        assert_eq!(buf[13], 0x02);
        assert_eq!(
            buf[20..40],
            [
                0x02, 0x04, 0x05, 0xb4, // MSS 1460
                0x04, 0x02, 0x08, 0x0a, // SACK_PERM, TS kind/len
                0xde, 0xad, 0xbe, 0xef, // tsval
                0x00, 0x00, 0x00, 0x00, // tsecr
                0x01, 0x03, 0x03, 0x07, // NOP, WS 7
            ]
        );
        assert!(tcp_v4_verify(A, B, &buf[..n]));
    }

    #[test]
    fn reproduces_real_linux_syn_exactly() {
        // SYN captured from Linux (10.77.0.1 -> 10.77.0.2), see checksum.rs.
        let wire = hex("bb08 15b3 0d25 6c95 0000 0000 a002 faf0 fa1f 0000
             0204 05b4 0402 080a 210a d2cf 0000 0000 0103 030a");
        let seg = parse(&wire).unwrap();
        assert_eq!(seg.src_port, 0xbb08);
        assert_eq!(seg.dst_port, 5555);
        assert_eq!(seg.seq, SeqNum(0x0d25_6c95));
        assert_eq!(seg.flags, TcpFlags::SYN);
        assert_eq!(seg.window, 0xfaf0);
        assert_eq!(seg.checksum, 0xfa1f);
        assert_eq!(seg.header_len, 40);
        assert_eq!(seg.seq_len(), 1);
        assert_eq!(seg.options.mss, Some(1460));
        assert_eq!(seg.options.wscale, Some(10));
        assert!(seg.options.sack_perm);
        assert_eq!(seg.options.timestamp, Some((0x210a_d2cf, 0)));
        assert!(seg.payload.is_empty());

        let mut buf = [0u8; 40];
        let n = emit(&seg.repr(), [10, 77, 0, 1], [10, 77, 0, 2], &[], &mut buf).unwrap();
        assert_eq!(&buf[..n], &wire[..]);
    }

    #[test]
    fn reproduces_real_linux_data_segment_exactly() {
        let wire = hex("bb08 15b3 0d25 6c96 6247 1c6c 8018 003f ae38 0000
             0101 080a 210a d2cf a6b3 0c12 6865 6c6c 6f");
        let seg = parse(&wire).unwrap();
        assert_eq!(seg.flags, TcpFlags::PSH | TcpFlags::ACK);
        assert_eq!(seg.payload, b"hello");
        assert_eq!(seg.seq_len(), 5);
        assert_eq!(seg.options.timestamp, Some((0x210a_d2cf, 0xa6b3_0c12)));
        let mut buf = [0u8; 64];
        let n = emit(
            &seg.repr(),
            [10, 77, 0, 1],
            [10, 77, 0, 2],
            seg.payload,
            &mut buf,
        )
        .unwrap();
        assert_eq!(&buf[..n], &wire[..]);
    }

    #[test]
    fn option_layouts_match_linux() {
        let mut o = TcpOptions::new();
        o.timestamp = Some((1, 2));
        let r = TcpRepr {
            options: o,
            ..TcpRepr::default()
        };
        let mut buf = [0u8; 60];
        emit(&r, A, B, &[], &mut buf).unwrap();
        assert_eq!(buf[20..24], [1, 1, 8, 10]);

        let mut o = TcpOptions::new();
        o.sack_perm = true;
        o.wscale = Some(0);
        let r = TcpRepr {
            options: o,
            ..TcpRepr::default()
        };
        assert_eq!(emit(&r, A, B, &[], &mut buf), Ok(28));
        assert_eq!(buf[20..28], [1, 1, 4, 2, 1, 3, 3, 0]);

        let mut o = TcpOptions::new();
        o.timestamp = Some((0x0102_0304, 0x0506_0708));
        o.sack_blocks =
            SackBlocks::from_slice(&[(SeqNum(10), SeqNum(20)), (SeqNum(30), SeqNum(40))]).unwrap();
        let r = TcpRepr {
            options: o,
            ..TcpRepr::default()
        };
        assert_eq!(r.options_len(), 12 + 4 + 16);
        assert_eq!(emit(&r, A, B, &[], &mut buf), Ok(52));
        assert_eq!(
            buf[20..52],
            [
                1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, // TS
                1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40, // SACK
            ]
        );
        assert_eq!(parse(&buf[..52]).unwrap().options, o);
    }

    #[test]
    fn sack_room() {
        let mut o = TcpOptions::new();
        assert_eq!(o.sack_room(), 4);
        o.timestamp = Some((0, 0));
        assert_eq!(o.sack_room(), 3);
        o.mss = Some(536);
        o.wscale = Some(2);
        assert_eq!(o.sack_room(), 2);
    }

    #[test]
    fn emit_errors() {
        let mut o = TcpOptions::new();
        o.mss = Some(1);
        o.timestamp = Some((0, 0));
        o.wscale = Some(1);
        o.sack_blocks = SackBlocks::from_slice(&[(SeqNum(0), SeqNum(1)); 3]).unwrap();
        let r = TcpRepr {
            options: o,
            ..TcpRepr::default()
        };
        let mut buf = [0xaau8; 100];
        assert_eq!(
            emit(&r, A, B, &[], &mut buf),
            Err(EmitError::OptionsTooLong)
        );
        assert!(buf.iter().all(|&b| b == 0xaa));

        let r = syn_repr();
        assert_eq!(
            emit(&r, A, B, &[], &mut buf[..39]),
            Err(EmitError::BufferTooSmall)
        );
        assert_eq!(
            emit(&r, A, B, &[1], &mut buf[..40]),
            Err(EmitError::BufferTooSmall)
        );
        assert!(buf.iter().all(|&b| b == 0xaa));
        let big = vec![0u8; MAX_SEGMENT_LEN - 39];
        let mut out = vec![0u8; MAX_SEGMENT_LEN + 1];
        assert_eq!(
            emit(&r, A, B, &big, &mut out),
            Err(EmitError::SegmentTooLong)
        );
        assert_eq!(emit(&r, A, B, &big[1..], &mut out), Ok(MAX_SEGMENT_LEN));
        assert!(tcp_v4_verify(A, B, &out[..MAX_SEGMENT_LEN]));
    }

    #[test]
    fn emit_header_with_separate_payload() {
        let r = syn_repr();
        let payload = b"odd-length payload!";
        let mut whole = [0u8; 128];
        let n = emit(&r, A, B, payload, &mut whole).unwrap();

        let mut sum = Checksum::of(&payload[..3]);
        sum.add_bytes(&payload[3..]);
        let mut hdr = [0u8; 40];
        assert_eq!(emit_header(&r, A, B, payload.len(), &sum, &mut hdr), Ok(40));
        assert_eq!(hdr[..], whole[..40]);
        assert_eq!(&whole[40..n], payload);
    }

    /// What CHECKSUM_PARTIAL's completion does (skb_checksum_help: sum
    /// from the TCP header on, over the partial field, complement) must
    /// give emit()'s checksum, for even and odd payload lengths.
    #[test]
    fn partial_header_completes_to_the_full_checksum() {
        let r = syn_repr();
        for len in [0usize, 1, 2, 1447, 1448, 40000] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut whole = vec![0u8; 40 + len];
            emit(&r, A, B, &payload, &mut whole).unwrap();
            let mut hdr = [0u8; 40];
            assert_eq!(emit_header_partial(&r, A, B, len, &mut hdr), Ok(40));
            // Only the checksum field differs, and it is not yet valid.
            assert_eq!(hdr[..16], whole[..16]);
            assert_eq!(hdr[18..], whole[18..40]);
            let mut sum = Checksum::of(&hdr);
            sum.add_bytes(&payload);
            let done = sum.finish().to_be_bytes();
            assert_eq!(done, [whole[16], whole[17]], "payload length {len}");
            hdr[16..18].copy_from_slice(&done);
            let mut seg = hdr.to_vec();
            seg.extend_from_slice(&payload);
            assert!(tcp_v4_verify(A, B, &seg));
        }
    }

    #[test]
    fn parse_header_errors() {
        assert_eq!(parse(&[]), Err(ParseError::Truncated));
        assert_eq!(parse(&[0; 19]), Err(ParseError::Truncated));
        let mut h = [0u8; 20];
        for doff in 0..5u8 {
            h[12] = doff << 4;
            assert_eq!(parse(&h), Err(ParseError::BadDataOffset));
        }
        h[12] = 6 << 4;
        assert_eq!(parse(&h), Err(ParseError::Truncated));
        h[12] = 5 << 4 | 0x0f; // reserved bits are ignored
        let seg = parse(&h).unwrap();
        assert_eq!(seg.header_len, 20);
        assert_eq!(seg.flags, TcpFlags::empty());
    }

    #[test]
    fn option_walk_like_linux() {
        // EOL stops parsing: what follows is not looked at, even garbage.
        let o = parse(&with_options(&[0, 2, 0xff, 0xff])).unwrap().options;
        assert_eq!(o, TcpOptions::new());
        // NOPs are skipped.
        let o = parse(&with_options(&[1, 1, 1, 1, 2, 4, 0x02, 0x18]))
            .unwrap()
            .options;
        assert_eq!(o.mss, Some(536));
        // Known option with the wrong length is skipped, parsing continues.
        let o = parse(&with_options(&[2, 5, 1, 2, 3, 3, 3, 9]))
            .unwrap()
            .options;
        assert_eq!((o.mss, o.wscale), (None, Some(9)));
        let o = parse(&with_options(&[4, 3, 0, 1])).unwrap().options;
        assert!(!o.sack_perm);
        // SACK with a length that is not 2 + 8n is ignored.
        let o = parse(&with_options(&[5, 6, 0, 0, 0, 0, 1, 1]))
            .unwrap()
            .options;
        assert!(o.sack_blocks.is_empty());
        // Unknown kinds are skipped by their length.
        let o = parse(&with_options(&[99, 2, 1, 3, 3, 1, 0, 0]))
            .unwrap()
            .options;
        assert_eq!(o.wscale, Some(1));
        // Later instance wins.
        let o = parse(&with_options(&[2, 4, 0, 1, 2, 4, 0, 2]))
            .unwrap()
            .options;
        assert_eq!(o.mss, Some(2));
        // MSS 0 is reported as is; the caller ignores it like Linux does.
        let o = parse(&with_options(&[2, 4, 0, 0])).unwrap().options;
        assert_eq!(o.mss, Some(0));
    }

    #[test]
    fn malformed_options_rejected() {
        for area in [
            &[2, 0, 0, 0][..],          // length 0
            &[2, 1, 0, 0],              // length 1
            &[2, 5, 0, 0],              // runs past the area
            &[1, 1, 1, 8],              // kind with no length byte
            &[8, 10, 0, 0],             // timestamp cut short
            &[1, 1, 1, 1, 1, 1, 2, 40], // longer than everything
        ] {
            let seg = with_options(area);
            assert_eq!(parse(&seg), Err(ParseError::BadOption), "{area:?}");
            assert_eq!(parse_options(area), Err(ParseError::BadOption));
        }
        // The option length may not reach into the payload either.
        let mut seg = with_options(&[1, 1, 2, 4]);
        seg.extend_from_slice(&[0, 0]);
        assert_eq!(parse(&seg), Err(ParseError::BadOption));
    }

    #[test]
    fn wscale_clamped() {
        let o = parse_options(&[3, 3, 15]).unwrap();
        assert_eq!(o.wscale, Some(MAX_WSCALE));
        assert!(o.wscale_clamped);
        let o = parse_options(&[3, 3, 14]).unwrap();
        assert_eq!(o.wscale, Some(14));
        assert!(!o.wscale_clamped);
        let o = parse_options(&[3, 3, 255, 3, 3, 2]).unwrap();
        assert_eq!((o.wscale, o.wscale_clamped), (Some(2), false));
    }

    #[test]
    fn four_sack_blocks_fill_the_area() {
        let mut area = vec![1, 1, 5, 34];
        for i in 0..8u32 {
            area.extend_from_slice(&(i * 1000).to_be_bytes());
        }
        let o = parse_options(&area).unwrap();
        assert_eq!(o.sack_blocks.len(), 4);
        assert_eq!(o.sack_blocks.as_slice()[3], (SeqNum(6000), SeqNum(7000)));
        let r = TcpRepr {
            options: o,
            ..TcpRepr::default()
        };
        let mut buf = [0u8; 60];
        // 20 + NOP NOP 5 34 + 4 * 8 = 56.
        assert_eq!(emit(&r, A, B, &[], &mut buf), Ok(56));
        assert_eq!(buf[20..56], area[..]);
        // With timestamps only three fit; a fourth overflows the area.
        let mut o = o;
        o.timestamp = Some((0, 0));
        let r = TcpRepr {
            options: o,
            ..TcpRepr::default()
        };
        assert_eq!(
            emit(&r, A, B, &[], &mut buf),
            Err(EmitError::OptionsTooLong)
        );
        o.sack_blocks.truncate(o.sack_room());
        let r = TcpRepr {
            options: o,
            ..TcpRepr::default()
        };
        assert_eq!(emit(&r, A, B, &[], &mut buf), Ok(60));
    }

    #[test]
    fn flags_ops() {
        let f = TcpFlags::SYN | TcpFlags::ACK;
        assert_eq!(f.bits(), 0x12);
        assert!(f.contains(TcpFlags::SYN));
        assert!(!f.contains(TcpFlags::SYN | TcpFlags::FIN));
        assert!(f.intersects(TcpFlags::SYN | TcpFlags::FIN));
        assert_eq!(f.difference(TcpFlags::SYN), TcpFlags::ACK);
        assert_eq!(f & TcpFlags::ACK, TcpFlags::ACK);
        let mut g = TcpFlags::empty();
        assert!(g.is_empty());
        g |= TcpFlags::FIN;
        assert_eq!(g, TcpFlags::FIN);
        let all = [
            TcpFlags::FIN,
            TcpFlags::SYN,
            TcpFlags::RST,
            TcpFlags::PSH,
            TcpFlags::ACK,
            TcpFlags::URG,
            TcpFlags::ECE,
            TcpFlags::CWR,
        ];
        assert_eq!(
            all.iter().fold(TcpFlags::empty(), |a, &b| a | b).bits(),
            0xff
        );
    }

    #[test]
    fn sack_blocks_container() {
        let mut s = SackBlocks::new();
        for i in 0..4 {
            assert!(s.push((SeqNum(i), SeqNum(i + 1))));
        }
        assert!(!s.push((SeqNum(9), SeqNum(9))));
        assert_eq!(s.len(), 4);
        s.truncate(2);
        assert_eq!(s.as_slice().len(), 2);
        // Equality ignores stale entries past len.
        let t = SackBlocks::from_slice(&[(SeqNum(0), SeqNum(1)), (SeqNum(1), SeqNum(2))]).unwrap();
        assert_eq!(s, t);
        assert!(SackBlocks::from_slice(&[(SeqNum(0), SeqNum(0)); 5]).is_none());
        s.clear();
        assert!(s.is_empty());
    }
}
