// SPDX-License-Identifier: GPL-2.0

//! Property tests for the IPv4 header.

use proptest::prelude::*;
use rust_tcp_proto::checksum::internet_checksum;
use rust_tcp_proto::ip_hdr::{emit_ipv4, parse_ipv4, IpError, Ipv4Repr, IPV4_HEADER_LEN};

fn repr() -> impl Strategy<Value = Ipv4Repr> {
    any::<([u8; 4], [u8; 4], u8, u8, u8, u16, bool)>().prop_map(
        |(src, dst, protocol, ttl, tos, id, df)| Ipv4Repr {
            src,
            dst,
            protocol,
            ttl,
            tos,
            id,
            df,
        },
    )
}

fn packet(repr: &Ipv4Repr, payload: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; IPV4_HEADER_LEN + payload.len()];
    assert_eq!(
        emit_ipv4(repr, payload.len(), &mut buf),
        Ok(IPV4_HEADER_LEN)
    );
    buf[IPV4_HEADER_LEN..].copy_from_slice(payload);
    buf
}

proptest! {
    #[test]
    fn round_trip(r in repr(), payload in prop::collection::vec(any::<u8>(), 0..1600),
                  padding in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut pkt = packet(&r, &payload);
        prop_assert_eq!(internet_checksum(&pkt[..IPV4_HEADER_LEN]), 0);
        pkt.extend_from_slice(&padding);
        let p = parse_ipv4(&pkt).unwrap();
        prop_assert_eq!(p.repr(), r);
        prop_assert_eq!(p.payload, &payload[..]);
        prop_assert_eq!(p.header_len, IPV4_HEADER_LEN);
        prop_assert_eq!(p.total_len, IPV4_HEADER_LEN + payload.len());
        prop_assert!(!p.is_fragment());
        prop_assert!(p.options.is_empty());
    }

    #[test]
    fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(p) = parse_ipv4(&bytes) {
            prop_assert!(p.header_len >= 20 && p.header_len <= 60);
            prop_assert!(p.total_len <= bytes.len());
            prop_assert_eq!(p.payload.len(), p.total_len - p.header_len);
            prop_assert_eq!(internet_checksum(&bytes[..p.header_len]), 0);
        }
    }

    #[test]
    fn header_bit_flips_are_rejected(r in repr(), bit in 0usize..160) {
        let mut pkt = packet(&r, &[]);
        pkt[bit / 8] ^= 1 << (bit % 8);
        // Any single-bit change of the header breaks the checksum if nothing
        // else is caught first; it never yields the original packet.
        match parse_ipv4(&pkt) {
            Ok(p) => prop_assert!(false, "accepted corrupted header: {:?}", p),
            Err(e) => prop_assert!(matches!(
                e,
                IpError::BadChecksum | IpError::BadHeaderLen | IpError::BadVersion
                    | IpError::TooShort
            )),
        }
    }

    #[test]
    fn truncation_is_detected(r in repr(), payload in prop::collection::vec(any::<u8>(), 1..100),
                              cut in 1usize..100) {
        let pkt = packet(&r, &payload);
        let cut = cut.min(payload.len());
        let short = &pkt[..pkt.len() - cut];
        prop_assert_eq!(parse_ipv4(short), Err(IpError::Truncated));
    }
}
