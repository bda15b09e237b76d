// SPDX-License-Identifier: GPL-2.0

//! The IPv4 header: validating an incoming packet the way
//! `ip_rcv_core()` (net/ipv4/ip_input.c) does, and writing the 20-byte
//! header of an outgoing one.
//!
//! [`parse_ipv4`] applies Linux's checks in Linux's order: at least 20
//! bytes; IHL at least 5 and version 4; the whole header present; header
//! checksum correct; `tot_len` not beyond the bytes received and not
//! shorter than the header. Bytes after `tot_len` (link-layer padding) are
//! ignored, as `pskb_trim_rcsum()` drops them. Fragments are reported
//! (`mf`, `frag_offset`) but not reassembled: Linux defragments in
//! `ip_local_deliver()` before TCP sees anything, so a caller without
//! reassembly should drop packets for which [`Ipv4Packet::is_fragment`]
//! holds. IP options are exposed raw and otherwise ignored.
//!
//! Addresses are `[u8; 4]` in wire order, as everywhere in this crate.

use super::checksum::{internet_checksum, Checksum};

/// Length of an IPv4 header without options.
pub const IPV4_HEADER_LEN: usize = 20;
/// Largest IPv4 header (IHL 15).
pub const IPV4_MAX_HEADER_LEN: usize = 60;
/// Largest IPv4 packet (`tot_len` is 16 bits).
pub const IPV4_MAX_PACKET_LEN: usize = 65535;
/// `IP_DF` flag bit of `frag_off`.
pub const IP_DF: u16 = 0x4000;
/// `IP_MF` flag bit of `frag_off`.
pub const IP_MF: u16 = 0x2000;
/// `IP_OFFSET` mask of `frag_off` (offset in 8-byte units).
pub const IP_OFFSET: u16 = 0x1fff;

/// Why a byte slice is not an acceptable IPv4 packet. Linux counts all but
/// [`IpError::BadChecksum`] and [`IpError::Truncated`] as header errors
/// (`IPSTATS_MIB_INHDRERRORS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpError {
    /// Fewer than 20 bytes, or fewer than IHL * 4.
    TooShort,
    /// IHL below 5.
    BadHeaderLen,
    /// Version field not 4.
    BadVersion,
    /// Header checksum does not verify (`IPSTATS_MIB_CSUMERRORS`).
    BadChecksum,
    /// `tot_len` larger than the bytes received
    /// (`IPSTATS_MIB_INTRUNCATEDPKTS`).
    Truncated,
    /// `tot_len` smaller than the header.
    BadTotalLen,
}

/// A validated IPv4 packet borrowing from the received bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Packet<'a> {
    /// Source address, wire order.
    pub src: [u8; 4],
    /// Destination address, wire order.
    pub dst: [u8; 4],
    /// Protocol number (6 for TCP).
    pub protocol: u8,
    /// Time to live.
    pub ttl: u8,
    /// Type of service byte (DSCP and ECN).
    pub tos: u8,
    /// Identification.
    pub id: u16,
    /// Don't Fragment flag.
    pub df: bool,
    /// More Fragments flag.
    pub mf: bool,
    /// Fragment offset in 8-byte units.
    pub frag_offset: u16,
    /// Header length in bytes (IHL * 4), 20..=60.
    pub header_len: usize,
    /// `tot_len`: header plus payload.
    pub total_len: usize,
    /// The IP options (bytes 20..header_len), unparsed.
    pub options: &'a [u8],
    /// The payload: from `header_len` to `tot_len`.
    pub payload: &'a [u8],
}

impl Ipv4Packet<'_> {
    /// True for any fragment (MF set or non-zero offset), i.e. when Linux's
    /// `ip_is_fragment()` would send it to reassembly.
    #[inline]
    pub const fn is_fragment(&self) -> bool {
        self.mf || self.frag_offset != 0
    }

    /// The fields needed to build a header like this one.
    pub const fn repr(&self) -> Ipv4Repr {
        Ipv4Repr {
            src: self.src,
            dst: self.dst,
            protocol: self.protocol,
            ttl: self.ttl,
            tos: self.tos,
            id: self.id,
            df: self.df,
        }
    }
}

/// Parses and validates an IPv4 packet as `ip_rcv_core()` does (see the
/// module documentation for the order of the checks).
pub fn parse_ipv4(bytes: &[u8]) -> Result<Ipv4Packet<'_>, IpError> {
    let h: &[u8; IPV4_HEADER_LEN] = bytes
        .get(..IPV4_HEADER_LEN)
        .and_then(|s| s.try_into().ok())
        .ok_or(IpError::TooShort)?;
    let version = h[0] >> 4;
    let ihl = h[0] & 0x0f;
    // `if (iph->ihl < 5 || iph->version != 4) goto inhdr_error;`
    if ihl < 5 {
        return Err(IpError::BadHeaderLen);
    }
    if version != 4 {
        return Err(IpError::BadVersion);
    }
    let header_len = usize::from(ihl) * 4;
    let header = bytes.get(..header_len).ok_or(IpError::TooShort)?;
    // ip_fast_csum() over the header including its checksum field is 0
    // when correct.
    if internet_checksum(header) != 0 {
        return Err(IpError::BadChecksum);
    }
    let total_len = usize::from(u16::from_be_bytes([h[2], h[3]]));
    if bytes.len() < total_len {
        return Err(IpError::Truncated);
    }
    if total_len < header_len {
        return Err(IpError::BadTotalLen);
    }
    let frag = u16::from_be_bytes([h[6], h[7]]);
    Ok(Ipv4Packet {
        src: [h[12], h[13], h[14], h[15]],
        dst: [h[16], h[17], h[18], h[19]],
        protocol: h[9],
        ttl: h[8],
        tos: h[1],
        id: u16::from_be_bytes([h[4], h[5]]),
        df: frag & IP_DF != 0,
        mf: frag & IP_MF != 0,
        frag_offset: frag & IP_OFFSET,
        header_len,
        total_len,
        options: header.get(IPV4_HEADER_LEN..).unwrap_or(&[]),
        payload: bytes.get(header_len..total_len).unwrap_or(&[]),
    })
}

/// Fields of an outgoing IPv4 header (no options, never a fragment).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipv4Repr {
    /// Source address, wire order.
    pub src: [u8; 4],
    /// Destination address, wire order.
    pub dst: [u8; 4],
    /// Protocol number.
    pub protocol: u8,
    /// Time to live.
    pub ttl: u8,
    /// Type of service byte.
    pub tos: u8,
    /// Identification.
    pub id: u16,
    /// Set the Don't Fragment flag.
    pub df: bool,
}

/// Why an IPv4 header could not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpEmitError {
    /// 20 + payload length exceeds 65535.
    TooLong,
    /// The buffer is shorter than 20 bytes.
    BufferTooSmall,
}

/// Writes the 20-byte header for `repr` followed by `payload_len` bytes of
/// payload (written elsewhere by the caller) into the start of `buf`, with
/// its checksum, and returns the header length (20). Nothing is written on
/// error.
pub fn emit_ipv4(
    repr: &Ipv4Repr,
    payload_len: usize,
    buf: &mut [u8],
) -> Result<usize, IpEmitError> {
    let total = payload_len
        .checked_add(IPV4_HEADER_LEN)
        .filter(|&t| t <= IPV4_MAX_PACKET_LEN)
        .ok_or(IpEmitError::TooLong)?;
    let out: &mut [u8; IPV4_HEADER_LEN] = buf
        .get_mut(..IPV4_HEADER_LEN)
        .and_then(|s| s.try_into().ok())
        .ok_or(IpEmitError::BufferTooSmall)?;
    // total <= 65535 was checked above.
    let [tl_hi, tl_lo] = (total as u16).to_be_bytes();
    let [id_hi, id_lo] = repr.id.to_be_bytes();
    let [fr_hi, fr_lo] = (if repr.df { IP_DF } else { 0 }).to_be_bytes();
    let [s0, s1, s2, s3] = repr.src;
    let [d0, d1, d2, d3] = repr.dst;
    *out = [
        0x45,
        repr.tos,
        tl_hi,
        tl_lo,
        id_hi,
        id_lo,
        fr_hi,
        fr_lo,
        repr.ttl,
        repr.protocol,
        0,
        0,
        s0,
        s1,
        s2,
        s3,
        d0,
        d1,
        d2,
        d3,
    ];
    let [c_hi, c_lo] = Checksum::of(out).finish().to_be_bytes();
    out[10] = c_hi;
    out[11] = c_lo;
    Ok(IPV4_HEADER_LEN)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn hex(s: &str) -> Vec<u8> {
        let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        s.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
            .collect()
    }

    /// The IPv4 header in front of the SYN of tcp_hdr.rs's tests, as Linux
    /// sent it (10.77.0.1 -> 10.77.0.2, DF, TTL 64, 60 bytes).
    fn linux_syn_header() -> Vec<u8> {
        let mut h = hex("4500 003c 9b3e 4000 4006 0000 0a4d 0001 0a4d 0002");
        let c = internet_checksum(&h);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        h
    }

    #[test]
    fn emits_like_linux() {
        let repr = Ipv4Repr {
            src: [10, 77, 0, 1],
            dst: [10, 77, 0, 2],
            protocol: 6,
            ttl: 64,
            tos: 0,
            id: 0x9b3e,
            df: true,
        };
        let mut buf = [0u8; 20];
        assert_eq!(emit_ipv4(&repr, 40, &mut buf), Ok(20));
        assert_eq!(&buf[..], &linux_syn_header()[..]);
        assert_eq!(internet_checksum(&buf), 0);
    }

    #[test]
    fn parses_and_ignores_padding() {
        let mut pkt = linux_syn_header();
        pkt.extend_from_slice(&[0xaa; 40]);
        pkt.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // Ethernet padding
        let p = parse_ipv4(&pkt).unwrap();
        assert_eq!(p.src, [10, 77, 0, 1]);
        assert_eq!(p.dst, [10, 77, 0, 2]);
        assert_eq!((p.protocol, p.ttl, p.tos, p.id), (6, 64, 0, 0x9b3e));
        assert!(p.df && !p.mf && !p.is_fragment());
        assert_eq!((p.header_len, p.total_len), (20, 60));
        assert_eq!(p.payload, &[0xaa; 40][..]);
        assert!(p.options.is_empty());
    }

    fn with_checksum(mut h: Vec<u8>) -> Vec<u8> {
        let ihl = usize::from(h[0] & 0xf) * 4;
        h[10] = 0;
        h[11] = 0;
        let c = internet_checksum(&h[..ihl.min(h.len())]);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        h
    }

    #[test]
    fn errors_in_linux_order() {
        assert_eq!(parse_ipv4(&[0x45; 19]), Err(IpError::TooShort));
        let mut h = linux_syn_header();
        h[0] = 0x44;
        assert_eq!(parse_ipv4(&h), Err(IpError::BadHeaderLen));
        h[0] = 0x64; // version 6 *and* ihl 4: ihl reported first
        assert_eq!(parse_ipv4(&h), Err(IpError::BadHeaderLen));
        h[0] = 0x65;
        assert_eq!(parse_ipv4(&h), Err(IpError::BadVersion));
        // IHL 6 but only 20 bytes.
        let mut h = linux_syn_header();
        h[0] = 0x46;
        assert_eq!(parse_ipv4(&h), Err(IpError::TooShort));
        // Bad checksum beats a bad length.
        let mut h = linux_syn_header();
        h[11] ^= 1;
        assert_eq!(parse_ipv4(&h), Err(IpError::BadChecksum));
        // tot_len 60 but only the header.
        assert_eq!(parse_ipv4(&linux_syn_header()), Err(IpError::Truncated));
        // tot_len below the header length.
        let mut h = linux_syn_header();
        h[2..4].copy_from_slice(&19u16.to_be_bytes());
        let h = with_checksum(h);
        assert_eq!(parse_ipv4(&h), Err(IpError::BadTotalLen));
        let mut h = linux_syn_header();
        h[2..4].copy_from_slice(&20u16.to_be_bytes());
        let h = with_checksum(h);
        assert_eq!(parse_ipv4(&h).unwrap().payload, &[] as &[u8]);
    }

    #[test]
    fn options_and_fragments() {
        let mut h = hex("4600 001c 0001 2003 4006 0000 0102 0304 0506 0708 9404 0000 dead beef");
        h = with_checksum(h);
        let p = parse_ipv4(&h).unwrap();
        assert_eq!(p.header_len, 24);
        assert_eq!(p.options, &[0x94, 0x04, 0, 0]);
        assert_eq!(p.payload, &[0xde, 0xad, 0xbe, 0xef]);
        assert!(p.mf && !p.df);
        assert_eq!(p.frag_offset, 3);
        assert!(p.is_fragment());
        assert_eq!(p.repr().id, 1);
    }

    #[test]
    fn emit_errors() {
        let r = Ipv4Repr::default();
        let mut buf = [0x11u8; 19];
        assert_eq!(emit_ipv4(&r, 0, &mut buf), Err(IpEmitError::BufferTooSmall));
        assert!(buf.iter().all(|&b| b == 0x11));
        let mut buf = [0u8; 20];
        assert_eq!(emit_ipv4(&r, 65516, &mut buf), Err(IpEmitError::TooLong));
        assert_eq!(
            emit_ipv4(&r, usize::MAX, &mut buf),
            Err(IpEmitError::TooLong)
        );
        assert_eq!(emit_ipv4(&r, 65515, &mut buf), Ok(20));
        assert_eq!(&buf[2..4], &[0xff, 0xff]);
    }
}
