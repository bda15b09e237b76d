// SPDX-License-Identifier: GPL-2.0

//! The Internet checksum (RFC 1071) and the TCP-over-IPv4 checksum.
//!
//! [`Checksum`] is a running one's-complement accumulator: bytes may be fed
//! in any number of chunks of any length (including odd lengths, so that a
//! chunk may start in the middle of a 16-bit word) and the result is the
//! same as for one call over the concatenation.
//!
//! IPv4 addresses are passed as `[u8; 4]` **in network order**, i.e. the four
//! bytes exactly as they appear on the wire (`127.0.0.1` is `[127, 0, 0, 1]`).
//! From a kernel `__be32` held in a `u32` use `u32::to_ne_bytes`; from a
//! host-order `u32` such as `0x7f00_0001` use `u32::to_be_bytes`.

/// IP protocol number of TCP, as carried in the IPv4 pseudo-header.
pub const IPPROTO_TCP: u8 = 6;

/// Adds `w` to a 64-bit one's-complement sum (end-around carry).
///
/// One's-complement addition may be done in any word size that is a
/// multiple of 16 bits as long as carries out of the top are added back in
/// (RFC 1071 section 2(B)); 64 bits lets us consume 8 bytes per step.
#[inline]
const fn ones_add(sum: u64, w: u64) -> u64 {
    let (s, carry) = sum.overflowing_add(w);
    // Cannot overflow again: after a carry `s` is at most `w - 1`.
    s + carry as u64
}

/// A 64-bit one's-complement sum folded to 16 bits (end-around carries).
#[inline]
const fn fold16(mut s: u64) -> u16 {
    // Each step preserves the value modulo 2^16 - 1 and the bounds shown
    // guarantee the final value fits in 16 bits.
    s = (s & 0xffff_ffff) + (s >> 32); // < 2^33
    s = (s & 0xffff_ffff) + (s >> 32); // < 2^32
    s = (s & 0xffff) + (s >> 16); // < 2^17
    s = (s & 0xffff) + (s >> 16); // <= 0xffff
    (s & 0xffff) as u16
}

/// Running RFC 1071 one's-complement sum over a byte stream.
///
/// The stream is interpreted as big-endian 16-bit words; a final odd byte is
/// padded with a zero byte, as the RFC requires.
#[derive(Clone, Copy, Debug, Default)]
pub struct Checksum {
    /// One's-complement sum of the bytes so far, not yet folded to 16 bits.
    sum: u64,
    /// An odd number of bytes has been consumed, so the next byte is the
    /// low-order half of a 16-bit word.
    odd: bool,
}

impl Checksum {
    /// An empty accumulator (sum of no bytes).
    #[inline]
    pub const fn new() -> Self {
        Self { sum: 0, odd: false }
    }

    /// Accumulator holding the sum of `data`.
    #[inline]
    pub fn of(data: &[u8]) -> Self {
        let mut c = Self::new();
        c.add_bytes(data);
        c
    }

    /// Number of bytes consumed so far is odd.
    #[inline]
    pub const fn is_odd(&self) -> bool {
        self.odd
    }

    /// Appends `data` to the summed stream.
    pub fn add_bytes(&mut self, data: &[u8]) {
        let mut sum = self.sum;
        let mut rest = data;

        // Complete a word left half-filled by the previous chunk: its first
        // byte was already added as the high half, this one is the low half.
        if self.odd {
            match rest {
                [lo, tail @ ..] => {
                    sum = ones_add(sum, u64::from(*lo));
                    rest = tail;
                }
                [] => return,
            }
        }

        // Bulk: 8 bytes at a time, as native-endian u64s added into a u128
        // (no carry to fold in the loop: an add and an add-with-carry, as
        // csum_partial's adc chain). Since 2^16 == 1 (mod 2^16 - 1), a u64
        // is congruent to the sum of its four 16-bit words, and the sum of
        // native-endian words is the big-endian sum with its two bytes
        // swapped (RFC 1071 2(B), byte order independence): folded to 16
        // bits, it is swapped back once.
        let mut words = rest.chunks_exact(8);
        let mut wide: u128 = 0;
        for w in &mut words {
            if let Ok(w) = <[u8; 8]>::try_from(w) {
                wide += u128::from(u64::from_ne_bytes(w));
            }
        }
        rest = words.remainder();
        let native = fold16(ones_add(wide as u64, (wide >> 64) as u64));
        sum = ones_add(sum, u64::from(u16::from_be(native)));
        while let [hi, lo, tail @ ..] = rest {
            sum = ones_add(sum, u64::from(u16::from_be_bytes([*hi, *lo])));
            rest = tail;
        }

        // A trailing odd byte is the high half of a word whose low half is
        // either the next chunk's first byte or, at the end, zero padding.
        self.odd = match rest {
            [hi] => {
                sum = ones_add(sum, u64::from(*hi) << 8);
                true
            }
            _ => false,
        };
        self.sum = sum;
    }

    /// Appends the stream summed by `other` after the stream summed by
    /// `self`, as if its bytes had been passed to [`Checksum::add_bytes`].
    ///
    /// When `self` has consumed an odd number of bytes, every byte of
    /// `other` moves to the other half of its 16-bit word; the sum of a
    /// byte-swapped stream is the byte-swapped sum (RFC 1071 section 2(B)).
    pub fn append(&mut self, other: &Checksum) {
        let o = other.fold();
        let o = if self.odd { o.swap_bytes() } else { o };
        self.sum = ones_add(self.sum, u64::from(o));
        self.odd ^= other.odd;
    }

    /// The one's-complement sum folded to 16 bits (not complemented).
    ///
    /// For a stream that includes a correct checksum this is `0xffff`.
    pub const fn fold(&self) -> u16 {
        fold16(self.sum)
    }

    /// The checksum to store in a header: the complement of [`Self::fold`].
    ///
    /// Over a stream that already includes a correct checksum this is 0.
    #[inline]
    pub const fn finish(&self) -> u16 {
        !self.fold()
    }
}

/// RFC 1071 checksum of `data` (e.g. an IPv4 header whose checksum field is
/// zero). Returns 0 when `data` already contains a correct checksum.
#[inline]
pub fn internet_checksum(data: &[u8]) -> u16 {
    Checksum::of(data).finish()
}

/// Accumulator pre-loaded with the IPv4 pseudo-header for TCP: source and
/// destination address (network order), zero, protocol 6, TCP length.
///
/// `tcp_len` is the length of TCP header plus payload. IPv4 limits it to
/// 16 bits; a larger value is summed as a 32-bit integer (as Linux's generic
/// `csum_tcpudp_nofold` does), which is identical for every valid length.
/// The pseudo-header is an even number of bytes, so segment bytes can be
/// appended directly.
pub fn tcp_v4_pseudo_header(saddr: [u8; 4], daddr: [u8; 4], tcp_len: u32) -> Checksum {
    let mut c = Checksum::new();
    c.add_bytes(&saddr);
    c.add_bytes(&daddr);
    c.add_bytes(&[0, IPPROTO_TCP]);
    // Four bytes: the high half is zero for every length IPv4 can carry.
    c.add_bytes(&tcp_len.to_be_bytes());
    c
}

/// TCP checksum of `segment` (header + payload) sent from `saddr` to
/// `daddr`, addresses in network order.
///
/// With the segment's checksum field zeroed this is the value to store in
/// that field; with a correct checksum in place it is 0 (see
/// [`tcp_v4_verify`]).
pub fn tcp_v4_checksum(saddr: [u8; 4], daddr: [u8; 4], segment: &[u8]) -> u16 {
    // Saturating: a slice over 4 GiB cannot be a TCP segment anyway.
    let len = u32::try_from(segment.len()).unwrap_or(u32::MAX);
    let mut c = tcp_v4_pseudo_header(saddr, daddr, len);
    c.add_bytes(segment);
    c.finish()
}

/// True when `segment` (header + payload, checksum field as received) has a
/// correct TCP checksum for `saddr` -> `daddr` (network order): the
/// one's-complement sum over pseudo-header and segment folds to all ones.
#[inline]
pub fn tcp_v4_verify(saddr: [u8; 4], daddr: [u8; 4], segment: &[u8]) -> bool {
    tcp_v4_checksum(saddr, daddr, segment) == 0
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Deliberately simple reference: RFC 1071 word by word, with a zero
    /// pad byte, folded at the end.
    fn naive_sum(data: &[u8]) -> u16 {
        let mut sum: u64 = 0;
        let mut i = 0;
        while i < data.len() {
            let hi = u64::from(data[i]);
            let lo = if i + 1 < data.len() {
                u64::from(data[i + 1])
            } else {
                0
            };
            sum += (hi << 8) | lo;
            i += 2;
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    fn naive_tcp_v4(saddr: [u8; 4], daddr: [u8; 4], seg: &[u8]) -> u16 {
        let mut v = Vec::new();
        v.extend_from_slice(&saddr);
        v.extend_from_slice(&daddr);
        v.push(0);
        v.push(6);
        v.extend_from_slice(&(seg.len() as u16).to_be_bytes());
        v.extend_from_slice(seg);
        !naive_sum(&v)
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
        let d = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(Checksum::of(&d).fold(), 0xddf2);
        assert_eq!(internet_checksum(&d), 0x220d);
        assert_eq!(naive_sum(&d), 0xddf2);
    }

    #[test]
    fn ipv4_header_vector() {
        // Classic IPv4 header example with checksum 0xb861.
        let mut h = hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");
        assert_eq!(internet_checksum(&h), 0);
        h[10] = 0;
        h[11] = 0;
        assert_eq!(internet_checksum(&h), 0xb861);
    }

    #[test]
    fn empty_and_edge_sums() {
        assert_eq!(Checksum::new().fold(), 0);
        assert_eq!(Checksum::of(&[]).finish(), 0xffff);
        assert_eq!(Checksum::of(&[0xab]).fold(), 0xab00);
        assert_eq!(Checksum::of(&[0xff, 0xff]).fold(), 0xffff);
        // Carry wraps around: 0xffff + 0x0001 = 0x0001 (one's complement).
        assert_eq!(Checksum::of(&[0xff, 0xff, 0x00, 0x01]).fold(), 0x0001);
        // Enough 0xff bytes to exercise every fold step.
        let big = [0xffu8; 4097];
        assert_eq!(Checksum::of(&big).fold(), naive_sum(&big));
    }

    #[test]
    fn chunking_at_every_split_matches() {
        let data: Vec<u8> = (0u32..77).map(|i| (i * 37 + 11) as u8).collect();
        let whole = Checksum::of(&data).fold();
        assert_eq!(whole, naive_sum(&data));
        for a in 0..=data.len() {
            for b in a..=data.len() {
                let mut c = Checksum::new();
                c.add_bytes(&data[..a]);
                c.add_bytes(&data[a..b]);
                c.add_bytes(&data[b..]);
                assert_eq!(c.fold(), whole, "split at {a},{b}");

                let mut x = Checksum::of(&data[..a]);
                x.append(&Checksum::of(&data[a..b]));
                x.append(&Checksum::of(&data[b..]));
                assert_eq!(x.fold(), whole, "append split at {a},{b}");
                assert_eq!(x.is_odd(), data.len() % 2 == 1);
            }
        }
    }

    // Real segments captured from Linux (veth between two network
    // namespaces, checksum offload off), 10.77.0.1 <-> 10.77.0.2.
    const A: [u8; 4] = [10, 77, 0, 1];
    const B: [u8; 4] = [10, 77, 0, 2];
    const SYN: &str = "bb08 15b3 0d25 6c95 0000 0000 a002 faf0 fa1f 0000
                       0204 05b4 0402 080a 210a d2cf 0000 0000 0103 030a";
    const SYN_ACK: &str = "15b3 bb08 6247 1c6b 0d25 6c96 a012 fe88 c4fe 0000
                           0204 05b4 0402 080a a6b3 0c12 210a d2cf 0103 030a";
    // PSH|ACK carrying "hello": odd total length.
    const DATA: &str = "bb08 15b3 0d25 6c96 6247 1c6c 8018 003f ae38 0000
                        0101 080a 210a d2cf a6b3 0c12 6865 6c6c 6f";

    #[test]
    fn real_linux_segments() {
        for (text, src, dst, csum) in [
            (SYN, A, B, 0xfa1f),
            (SYN_ACK, B, A, 0xc4fe),
            (DATA, A, B, 0xae38),
        ] {
            let mut seg = hex(text);
            assert!(tcp_v4_verify(src, dst, &seg));
            // Wrong direction changes nothing (the sum is symmetric) but a
            // wrong address must fail.
            assert!(tcp_v4_verify(dst, src, &seg));
            assert!(!tcp_v4_verify(src, [10, 77, 0, 3], &seg));
            seg[16] = 0;
            seg[17] = 0;
            assert_eq!(tcp_v4_checksum(src, dst, &seg), csum);
            assert_eq!(naive_tcp_v4(src, dst, &seg), csum);
        }
    }

    #[test]
    fn pseudo_header_matches_linux_partial_checksum() {
        // With offload on, Linux stores the folded pseudo-header sum in the
        // checksum field (CHECKSUM_PARTIAL); a 40-byte SYN over loopback
        // carried 0xfe30.
        let c = tcp_v4_pseudo_header([127, 0, 0, 1], [127, 0, 0, 1], 40);
        assert_eq!(c.fold(), 0xfe30);
        assert!(!c.is_odd());
    }

    #[test]
    fn corrupted_segment_fails_verify() {
        let mut seg = hex(DATA);
        for i in 0..seg.len() {
            for bit in 0..8 {
                seg[i] ^= 1 << bit;
                assert!(!tcp_v4_verify(A, B, &seg), "byte {i} bit {bit}");
                seg[i] ^= 1 << bit;
            }
        }
    }
}
